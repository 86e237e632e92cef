"""The API reference is generated from the docstrings by one command (pdoc) and builds."""
import subprocess
import sys


def test_the_api_reference_builds_from_the_docstrings(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hvr_model.tools.api_reference", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    for module in ("hvr_model/checker.html", "hvr_model/conformance/oracle.html", "hvr_model/checker/inputs.html",
                   "hvr_model/blockstore/hrl.html", "hvr_model/tools/schemas.html", "hvr_model/specs/liveness.html"):
        assert module in pages, sorted(pages)[:20]
    assert "Event" in (tmp_path / "hvr_model/conformance/events.html").read_text()
    oracle = (tmp_path / "hvr_model/conformance/oracle.html").read_text()
    assert '<h6 id="parameters">Parameters</h6>' in oracle and "<li><strong>observed</strong>" in oracle
    verification = (tmp_path / "hvr_model/tools/verification.html").read_text()
    assert len(verification) < 200_000      # no default value printed whole (the property tuple was 39 KB)
