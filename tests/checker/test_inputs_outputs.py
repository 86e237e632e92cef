"""The one input path (bounded, regular files, UTF-8, bounded nesting) and the one output path
(validated before work, staged, committed together, nothing left behind)."""
import os
import signal
import subprocess
import sys

import pytest

from hvr_model.checker.inputs import InputError, parse_json, parse_toml, read_text
from hvr_model.checker.outputs import OutputError, Outputs, write_atomic


# -- inputs -------------------------------------------------------------------------------------
def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="a FIFO, not a configuration file"):
        read_text(fifo, what="configuration")


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a device"), ("/", "a folder")])
def test_devices_and_folders_are_refused_before_a_byte_is_read(path, kind):
    with pytest.raises(InputError, match=kind):
        read_text(path, what="trace")


def test_a_file_over_the_bound_is_refused_by_its_size(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2048)
    with pytest.raises(InputError, match="2,048 bytes, more than the 1,024"):
        read_text(big, limit=1024)


def test_bad_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'name = "a"\nvms = []\n\xff\n')
    with pytest.raises(InputError) as info:
        read_text(bad)
    assert str(info.value).startswith(f"{bad}:3: not UTF-8")


def test_a_byte_order_mark_is_dropped(tmp_path):
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbfa = 1\n")
    assert parse_toml(read_text(tmp_path / "bom.toml"), "bom.toml") == {"a": 1}


@pytest.mark.parametrize("depth", [33, 495, 5000])
def test_deep_toml_is_refused_without_recursion_error(depth):
    with pytest.raises(InputError, match="nested deeper than 32 levels"):
        parse_toml("x = " + "[" * depth + "]" * depth, "deep.toml")


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_json_is_refused_without_recursion_error(depth):
    with pytest.raises(InputError, match="nested deeper than 32 levels"):
        parse_json("[" * depth + "]" * depth, "t.jsonl", line=2)


@pytest.mark.parametrize("text, reason", [("NaN", "NaN is not a JSON value"), ("-Infinity", "not a JSON value"),
                                          ("9" * 5000, "not JSON"), ('{"a": ', "not JSON")])
def test_json_outside_the_standard_is_refused(text, reason):
    with pytest.raises(InputError, match=reason):
        parse_json(text, "t.jsonl", line=1)


def test_a_line_over_the_bound_is_refused_without_echoing_it():
    with pytest.raises(InputError) as info:
        parse_json('"' + "x" * 2_000_000 + '"', "t.jsonl", line=4)
    assert len(str(info.value)) < 200 and str(info.value).startswith("t.jsonl:4:")


# -- outputs ------------------------------------------------------------------------------------
def test_write_atomic_refuses_a_directory_a_link_a_device_and_a_read_only_file(tmp_path):
    with pytest.raises(OutputError, match="is a folder, not a file"):
        write_atomic(tmp_path, "x")
    (tmp_path / "real.md").write_text("kept")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(tmp_path / "link.md", "x")
    with pytest.raises(OutputError, match="not a regular file"):
        write_atomic("/dev/null", "x")
    (tmp_path / "real.md").chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        write_atomic(tmp_path / "real.md", "x")
    assert (tmp_path / "real.md").read_text() == "kept" and (tmp_path / "link.md").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "real.md"]


def test_a_location_that_cannot_be_written_is_refused_before_any_work(tmp_path):
    with Outputs() as out:
        with pytest.raises(OutputError, match="cannot write into /proc/hvr-report"):
            out.folder("/proc/hvr-report", "--report")
        (tmp_path / "afile").write_text("mine")
        with pytest.raises(OutputError, match="afile is a file, not a folder"):
            out.folder(tmp_path / "afile", "--itf")
        with pytest.raises(OutputError, match="is not a folder"):
            out.file(tmp_path / "afile" / "g.graphml", "--export-graph")
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_all_outputs_or_none_an_exception_before_commit_leaves_the_earlier_files(tmp_path):
    (tmp_path / "a.txt").write_text("earlier a")
    with pytest.raises(RuntimeError):
        with Outputs() as out:
            out.stage(out.file(tmp_path / "a.txt", "a"), "new a")
            out.stage(out.file(tmp_path / "new" / "deeper" / "b.txt", "b"), "new b")
            raise RuntimeError("the run crashed after staging")
    assert (tmp_path / "a.txt").read_text() == "earlier a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]      # the folders it made are gone too


def test_commit_renames_everything_and_keeps_a_replaced_files_mode(tmp_path):
    (tmp_path / "a.txt").write_text("earlier")
    (tmp_path / "a.txt").chmod(0o640)
    with Outputs() as out:
        out.stage(out.file(tmp_path / "a.txt", "a"), "new")
        out.stage(out.folder(tmp_path / "dir", "d") / "b.json", b"{}")
        assert out.commit() == [tmp_path / "a.txt", tmp_path / "dir" / "b.json"]
    assert (tmp_path / "a.txt").read_text() == "new" and (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.json", "dir"]


_SLOW_WRITER = """
import sys, time
from hvr_model.checker.outputs import Outputs
from hvr_model.tools.guard import guarded

def run():
    with Outputs() as out:
        out.stage(out.file(sys.argv[1], "--out"), "half")
        print("staged", flush=True)
        time.sleep(60)
        out.commit()
    return 0

sys.exit(guarded(run))
"""


def test_sigterm_while_staged_leaves_the_earlier_file_and_no_temporary(tmp_path):
    target = tmp_path / "g.graphml"
    target.write_text("the earlier export")
    child = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "staged"
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 143 and "Traceback" not in err and "terminated" in err
    assert target.read_text() == "the earlier export" and [p.name for p in tmp_path.iterdir()] == ["g.graphml"]
