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
import stat
import tempfile
from pathlib import Path
from typing import Callable

from .inputs import InputError

__all__ = ["OutputError", "Outputs", "write_atomic"]


class OutputError(InputError):
    """An output location that cannot be written: bad input (exit 2); nothing was written."""


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
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


def _probe(folder: Path, flag: str, target: Path) -> None:
    """OutputError unless a file can be created in ``folder`` (made and removed at once)."""
    if not folder.is_dir():
        raise OutputError(f"{flag}: cannot write {target}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".hvr-model-probe-")
    except OSError as exc:
        raise OutputError(f"{flag}: cannot write {target}: {exc.strerror or exc} in {folder}") from None
    os.close(fd)
    os.unlink(probe)


class Outputs:
    """The files one run writes: validated up front, staged, then committed together.

    Use as a context manager: leaving it by an exception (or without
    :meth:`commit`) calls :meth:`abort`.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []      # (temporary file, final path)
        self._made: list[Path] = []                     # folders this run created, deepest last
        self.committed: list[Path] = []

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, kind, value, trace) -> None:
        if kind is not None or self._staged:
            self.abort()

    def file(self, path: str | os.PathLike, flag: str) -> Path:
        """Check that ``path`` can be written as a file; returns it as a Path.

        Raises
        ------
        OutputError
            It is a folder, link, device or read-only file, or its folder cannot be written.
        """
        path = Path(path)
        _refuse_existing(path, flag, folder=False)
        _probe(_nearest_existing(path.parent.absolute()), flag, path)
        return path

    def folder(self, path: str | os.PathLike, flag: str) -> Path:
        """Check that files can be written into the folder ``path`` (made at commit if missing)."""
        path = Path(path)
        _refuse_existing(path, flag, folder=True)
        _probe(_nearest_existing(path.absolute()), flag, path)
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

    def stage(self, path: str | os.PathLike, content: str | bytes | Callable[[Path], None]) -> Path:
        """Write ``content`` (text, bytes, or a function writing to the path it is given) to a
        temporary file beside ``path``; it becomes ``path`` at :meth:`commit`."""
        path = Path(path)
        self._make_folder(path.parent)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        temporary = Path(name)
        self._staged.append((temporary, path))
        if callable(content):
            os.close(fd)
            content(temporary)
        else:
            with os.fdopen(fd, "wb") as stream:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(temporary, _mode_for(path))
        return path

    def commit(self) -> list[Path]:
        """Rename every staged file into place; returns the final paths, in staging order."""
        for temporary, path in self._staged:
            os.replace(temporary, path)
            self.committed.append(path)
        self._staged, self._made = [], []
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
        try:
            out.stage(target, content)
            return out.commit()[0]
        except OSError as exc:
            raise OutputError(f"{flag}: cannot write {target}: {exc.strerror or exc}") from None
