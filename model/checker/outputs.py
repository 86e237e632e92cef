"""One output path: a run's outputs are validated before any work and written all together or not at all.

:class:`Outputs` is used in three steps. Before the run, :meth:`Outputs.file` and
:meth:`Outputs.folder` check each location the user named (a writable folder
exists or can be made, the file is not a folder, a link, a device or
read-only) by creating and removing a probe file there, so a path that cannot
be written is refused as bad input before minutes of exploration. After the
run, :meth:`Outputs.stage` writes each file to a temporary file in its own
folder. :meth:`Outputs.commit` then renames every staged file into place; if
anything failed first (an exception, Ctrl-C, SIGTERM), :meth:`Outputs.abort`
removes the temporary files and the folders it made, and the user's earlier
files are untouched. A reader never sees half a file, and a tool never
deletes a file it did not write.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with Outputs() as out:
...     target = out.file(folder / "sub" / "a.txt", "--out")
...     _ = out.stage(target, "hello")
...     written = out.commit()
>>> [p.name for p in written], (folder / "sub" / "a.txt").read_text()
(['a.txt'], 'hello')
>>> with Outputs() as out:
...     out.file(folder / "sub", "--out")
Traceback (most recent call last):
...
hvr_model.checker.outputs.OutputError: --out: .../sub is a folder, not a file
"""
from __future__ import annotations

import os
import signal
import stat
import tempfile
from pathlib import Path
from typing import Callable

from .inputs import InputError, read_so_far

__all__ = ["OutputError", "Outputs", "write_atomic"]


class OutputError(InputError):
    """An output location that cannot be written: bad input (exit 2); nothing was written."""


#: What a path given by a user may raise before a byte is written (too long, a NUL, a lone surrogate).
_PATH_ERRORS = (OSError, ValueError, UnicodeError)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _nearest_existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _refuse_existing(path: Path, flag: str, folder: bool) -> None:
    """OutputError unless an existing ``path`` is the kind of thing this output replaces."""
    if path.is_symlink():
        raise OutputError(f"{flag}: {path} is a symbolic link (never replaced)")
    if not path.exists():
        return
    mode = path.stat().st_mode
    if folder and not stat.S_ISDIR(mode):
        raise OutputError(f"{flag}: {path} is a file, not a folder")
    if not folder and stat.S_ISDIR(mode):
        raise OutputError(f"{flag}: {path} is a folder, not a file")
    if not folder and not stat.S_ISREG(mode):
        raise OutputError(f"{flag}: {path} is not a regular file (a device, FIFO or socket is never replaced)")
    if not folder and not (mode & stat.S_IWUSR and os.access(path, os.W_OK)):
        raise OutputError(f"{flag}: {path} is read-only (not replaced)")
    if not folder and path.resolve() in read_so_far():
        raise OutputError(f"{flag}: {path} is an input of this run (never overwritten)")


def _probe(folder: Path, flag: str, target: Path) -> None:
    """OutputError unless a file can be created in ``folder`` (made and removed at once)."""
    if not folder.is_dir():
        raise OutputError(f"{flag}: cannot write {target}: {folder} is not a folder")
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".hvr-model-probe-")
    os.close(fd)
    os.unlink(probe)


class Outputs:
    """The files one run writes: validated up front, staged, then committed together.

    Use as a context manager: leaving it by an exception (or without
    :meth:`commit`) calls :meth:`abort`. Two outputs naming the same path, a file
    staged where a folder output is, a file that is an input of this run, and a
    target that became a folder, a link or read-only since it was validated are
    all refused before anything is renamed.
    """

    def __init__(self, on_commit: Callable[[Path], None] | None = None) -> None:
        self._on_commit = on_commit                     # told of each file renamed into place
        self._staged: list[tuple[Path, Path]] = []      # (temporary file, final path)
        self._made: list[Path] = []                     # folders this run created, deepest last
        self._planned: dict[Path, tuple[str, str]] = {}  # resolved path -> (flag, "file" or "folder")
        self.committed: list[Path] = []

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, kind, value, trace) -> None:
        if kind is not None or self._staged:
            self.abort()

    def _plan(self, path: Path, flag: str, kind: str) -> None:
        key = path.resolve()
        other = self._planned.get(key)
        if other is not None:
            raise OutputError(f"{flag}: {path} is also the {other[0]} output (two outputs, one path)")
        self._planned[key] = (flag, kind)

    def file(self, path: str | os.PathLike, flag: str) -> Path:
        """Check that ``path`` can be written as a file; returns it as a Path.

        Raises
        ------
        OutputError
            It is a folder, link, device, read-only file or an input of this run, another
            output names it, or its folder cannot be written (or the path is not a valid
            name: too long, a NUL byte).
        """
        return self._validated(Path(path), flag, folder=False)

    def folder(self, path: str | os.PathLike, flag: str) -> Path:
        """Check that files can be written into the folder ``path`` (made at commit if missing)."""
        return self._validated(Path(path), flag, folder=True)

    def _validated(self, path: Path, flag: str, folder: bool) -> Path:
        try:
            _refuse_existing(path, flag, folder=folder)
            _probe(_nearest_existing((path if folder else path.parent).absolute()), flag, path)
            self._plan(path, flag, "folder" if folder else "file")
        except OutputError:
            raise
        except _PATH_ERRORS as exc:
            raise OutputError(f"{flag}: cannot write {'into ' if folder else ''}{path}: {_reason(exc)}") from None
        return path

    @property
    def staged(self) -> list[tuple[Path, Path]]:
        """``(temporary file, final path)`` of every file staged and not yet committed."""
        return list(self._staged)

    def _make_folder(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self._made.append(made)

    def _check_target(self, path: Path) -> None:
        """The final path of a staged file: not staged twice, not another output's folder, replaceable."""
        key = path.resolve()
        if any(final.resolve() == key for _, final in self._staged):
            raise OutputError(f"{path}: two outputs would both write this file")
        planned = self._planned.get(key)
        if planned is not None and planned[1] == "folder":
            raise OutputError(f"{path}: is also the {planned[0]} output folder (two outputs, one path)")
        _refuse_existing(path, "output", folder=False)

    def stage(self, path: str | os.PathLike, content: str | bytes | Callable[[Path], None]) -> Path:
        """Write ``content`` (text, bytes, or a function writing to the path it is given) to a
        temporary file beside ``path``; it becomes ``path`` at :meth:`commit`.

        Raises
        ------
        OutputError
            ``path`` cannot be written (see :meth:`file`), another staged file has the same
            path, or writing failed (a full disk); the caller's ``with`` block then removes
            everything staged.
        """
        path = Path(path)
        try:
            self._check_target(path)
            self._make_folder(path.parent)
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".partial")
            temporary = Path(name)
            self._staged.append((temporary, path))
            if callable(content):
                os.close(fd)
                content(temporary)
            else:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(temporary, _mode_for(path))
        except OutputError:
            raise
        except _PATH_ERRORS as exc:
            raise OutputError(f"cannot write {path}: {_reason(exc)}; nothing was written") from None
        return path

    def commit(self) -> list[Path]:
        """Rename every staged file into place; returns the final paths, in staging order.

        Ctrl-C and SIGTERM are held while the files are renamed, so a run is interrupted
        either before the first rename (nothing written) or after the last (all written).
        """
        missing = [final for temporary, final in self._staged if not temporary.is_file()]
        if missing:
            raise OutputError(f"cannot write {missing[0]}: its staged file is gone; nothing was written")
        held = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for temporary, path in self._staged:
                try:
                    os.replace(temporary, path)
                except OSError as exc:
                    done = len(self.committed)
                    raise OutputError(f"cannot write {path}: {_reason(exc)} ({done} of {len(self._staged)} "
                                      "files were already in place)") from None
                self.committed.append(path)
                if self._on_commit is not None:
                    self._on_commit(path)
            self._staged, self._made = [], []
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return list(self.committed)

    def abort(self) -> None:
        """Remove every staged file and every folder this run made (if still empty)."""
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                pass
        self._staged, self._made = [], []


def _mode_for(path: Path) -> int:
    """The permissions a replaced file keeps, or those of a new file under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, content: str | bytes, flag: str = "output") -> Path:
    """Write one file whole or not at all (validated, staged beside it, renamed into place).

    Raises
    ------
    OutputError
        The location cannot be written (see :meth:`Outputs.file`), or writing failed.
    """
    with Outputs() as out:
        target = out.file(path, flag)
        out.stage(target, content)
        return out.commit()[0]
