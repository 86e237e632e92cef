"""The HTML report: content, self-containedness, and a real browser rendering it."""
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from hvr_model.tools.cli import main
from hvr_model.hyperv.config import load_config
from hvr_model.hyperv.describe import changes
from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.tools.report import action_coverage, render_report, write_report
from hvr_model.tools.verification import check_config as check

MUTANT = "planned_failover_without_final_log"


@pytest.fixture(scope="module")
def violated():
    return check(load_config("single_vm"), MUTANT)


@pytest.fixture(scope="module")
def page(violated):
    return render_report(violated)


def test_summary_and_properties_table(page, violated):
    e = violated.exploration
    assert f"<th>states</th><td>{e.states:,}</td>" in page
    assert f"<th>transitions</th><td>{e.edges:,}</td>" in page
    assert f"<th>depth</th><td>{e.depth}</td>" in page
    assert f"violated: {MUTANTS[MUTANT].kills}" in page
    for r in violated.results:
        assert f"<code>{r.name}</code>" in page
    assert page.count('<span class="violated">VIOLATED</span>') == len(violated.violated)
    assert '<span class="na">vacuous</span>' in page  # single_vm has no vault fault


def test_counterexample_is_shown_step_by_step_with_the_state_diff(page, violated):
    steps = violated.result(MUTANTS[MUTANT].kills).counterexample
    section = page.split('<section id="counterexamples">')[1].split("</section>")[0]
    for before, step in zip(steps, steps[1:]):
        assert f"<li><code>{step.action}</code>" in section
        for path in changes(before.state, step.state, violated.config):
            assert f"<code>{path}</code>" in section
    assert section.count("every variable") == len(steps)


def test_action_coverage_lists_the_never_enabled_events(page, violated):
    coverage = action_coverage(violated)
    bound = [e.label for e in violated.system.events]
    assert sorted(label for c in coverage for label in c.bound) == sorted(bound)
    fired = {label for _, _, actions in violated.exploration.graph.edges(data="actions") for label in actions}
    never = sorted(set(bound) - fired)
    assert sorted(label for c in coverage for label in c.never) == never
    section = page.split('<section id="coverage">')[1].split("</section>")[0]
    assert never and all(f"<li><code>{label}</code></li>" in section for label in never)


def test_machine_diagrams_are_inline_svg_with_unique_ids(page, violated):
    assert page.count("<svg") == len(violated.system.machines)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_report_is_self_contained(page):
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r'\b(?:src|href)="(?!#)', page), "a reference outside the page"
    assert "url(" not in page
    assert "disk contents" not in page.lower()  # no section pretends the block store exists yet


def test_all_properties_hold_report(tmp_path):
    path = write_report(check(load_config("single_vm")), tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    assert path.name == "index.html" and "decided properties hold" in text and "vacuous" in text
    assert "None: no property is violated." in text


def test_check_command_writes_the_report(tmp_path, capsys):
    assert main(["check", "--config", "single_vm", "--mutant", MUTANT, "--quiet", "--report", str(tmp_path)]) == 1
    assert (tmp_path / "index.html").exists()
    assert f"wrote {tmp_path / 'index.html'}" in capsys.readouterr().err


# -- a real browser ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(apt-get install chromium chromium-driver; .ci/run does)")


def _screenshot(url: str, tmp_path: Path, size=(1280, 1600)) -> tuple[bytes, list[str]]:
    """Load ``url`` in headless Chromium: the PNG screenshot and the console lines it logged."""
    png, profile = tmp_path / "shot.png", tmp_path / "profile"
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
            f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", url]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return png.read_bytes(), console


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA PNG with the stdlib: width, height, unfiltered rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += [body] if kind == b"IDAT" else []
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, bpp)
        rows.append(row)
        previous = row
    return width, height, rows


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """Bytewise (a + b) mod 256 on whole rows at once (SIMD within one big integer)."""
    n = len(a)
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "big")


def _unfilter(kind: int, row: bytearray, prev: bytes, bpp: int) -> bytes:
    if kind == 0:
        return bytes(row)
    if kind == 2:
        return _add_bytes(bytes(row), prev)
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        if kind == 1:
            row[i] = (row[i] + left) & 255
        elif kind == 3:
            row[i] = (row[i] + ((left + prev[i]) >> 1)) & 255
        else:
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    return bytes(row)


def _colours(data: bytes) -> Counter:
    """How many pixels of each colour (alpha ignored)."""
    width, height, rows = _png_pixels(data)
    bpp = len(rows[0]) // width
    counts: Counter = Counter()
    for row in rows:
        counts.update(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    return counts


def _is_blank(data: bytes) -> bool:
    """Blank: almost every pixel has the background colour, or there are hardly any colours at all."""
    counts = _colours(data)
    total = sum(counts.values())
    _, background = counts.most_common(1)[0]
    return len(counts) < 16 or total - background < total // 100


def _paeth(left: int, up: int, corner: int) -> int:
    p = left + up - corner
    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
    return left if pa <= pb and pa <= pc else up if pb <= pc else corner


def _filter(kind: int, row: bytes, prev: bytes, bpp: int = 3) -> bytes:
    """PNG's forward filter of one row (the reference the decoder must invert)."""
    out = bytearray([kind])
    for i, x in enumerate(row):
        left, up = row[i - bpp] if i >= bpp else 0, prev[i]
        corner = prev[i - bpp] if i >= bpp else 0
        predictor = (0, left, up, (left + up) >> 1, _paeth(left, up, corner))[kind]
        out.append((x - predictor) & 255)
    return bytes(out)


def _png(width: int, height: int, filtered: bytes) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(filtered)) + chunk(b"IEND", b"")


def test_png_decoder_inverts_every_filter():
    pixels = [bytes((7 * y + 31 * x * x + 200 * (x % 2)) & 255 for x in range(9)) for y in range(5)]
    previous, filtered = bytes(9), b""
    for kind, row in enumerate(pixels):  # rows filtered None, Sub, Up, Average, Paeth
        filtered += _filter(kind, row, previous)
        previous = row
    width, height, decoded = _png_pixels(_png(3, 5, filtered))
    assert (width, height, decoded) == (3, 5, pixels)


@needs_chromium
def test_report_renders_in_chromium_without_console_errors(tmp_path, violated):
    path = write_report(violated, tmp_path / "report")
    png, console = _screenshot(path.as_uri(), tmp_path)
    assert console == [], f"the browser logged: {console}"
    assert not _is_blank(png), "the screenshot of the report is blank"


@needs_chromium
def test_the_browser_checks_see_console_errors_and_blank_pages(tmp_path):
    """The two checks above catch what they are meant to catch."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>x</p><script>console.error("boom")</script></body></html>')
    _, console = _screenshot(bad.as_uri(), tmp_path, size=(400, 300))
    assert any("boom" in line for line in console)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    png, console = _screenshot(blank.as_uri(), tmp_path, size=(400, 300))
    assert console == [] and _is_blank(png)
