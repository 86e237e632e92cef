"""The requirements traceability table: current, complete or explained, and its command's exit codes."""
import dataclasses
import difflib
from pathlib import Path
from types import SimpleNamespace

import pytest

from hvr_model.specs.catalogue import ALL_PROPERTIES
from hvr_model.specs.requirements import CatalogueError, load_catalogue, parse_catalogue
from hvr_model.tools.cli import main
from hvr_model.tools.traceability import DEFAULT_OUT, TraceabilityError, build, problems, render_html, render_markdown

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate it with: hvr-model traceability (then commit specs/traceability.md)"


@pytest.fixture(scope="module")
def table():
    return build()


@pytest.fixture(scope="module")
def text(table):
    return render_markdown(table)


def test_the_committed_table_is_the_generated_one(text):
    committed = DEFAULT_OUT.read_text(encoding="utf-8") if DEFAULT_OUT.exists() else ""
    diff = "".join(list(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                             "committed", "generated", n=0))[:12])
    assert committed == text, f"specs/traceability.md is stale: {REGENERATE}\n{diff}"


def test_the_catalogue_lists_req_01_to_req_38_in_order():
    assert [r.id for r in load_catalogue().requirements] == [f"REQ-{i:02d}" for i in range(1, 39)]


def test_every_requirement_has_a_property_or_a_stated_reason(table):
    missing = [r.id for r in table.requirements if not r.properties and not r.requirement.no_property]
    assert missing == [], f"no property and no no_property reason in specs/requirements.toml: {missing}"


def test_every_requirement_with_a_property_has_a_catching_mutant_or_a_stated_reason(table):
    missing = [r.id for r in table.requirements if r.properties and not r.mutants and not r.requirement.no_mutant]
    assert missing == [], f"no property of these catches a mutant, and no no_mutant reason: {missing}"


def test_every_property_of_a_requirement_catches_a_mutant_or_the_table_says_why(table):
    missing = [p.name for p in table.properties if p.requirements and not p.mutants and not p.no_mutant]
    assert missing == [], ("no mutant catches these properties: add one to the manifest, or a [[property]] "
                           f"no_mutant reason to specs/requirements.toml: {missing}")


def test_every_requirement_a_property_names_is_in_the_catalogue():
    known = load_catalogue().ids
    unknown = sorted({(p.name, r) for p in ALL_PROPERTIES for r in p.requirements if r not in known})
    assert unknown == []


def test_the_catalogue_explains_nothing_that_is_no_longer_so(table):
    assert problems(table) == []


def test_implemented_in_names_files_of_the_repository():
    missing = [(r.id, p) for r in load_catalogue().requirements for p in r.implemented_in if not (ROOT / p).is_file()]
    assert missing == []


def test_a_property_naming_an_unknown_requirement_is_an_error():
    ghost = SimpleNamespace(name="ghost", kind="always", requirements=("REQ-99",))
    with pytest.raises(TraceabilityError, match="property ghost names REQ-99"):
        build(properties=(*ALL_PROPERTIES, ghost))


def test_problems_names_a_stale_reason_and_an_unexplained_property(table):
    cat = table.catalogue
    stale = dataclasses.replace(cat.requirements[0], no_property="none yet")
    changed = dataclasses.replace(cat, requirements=(stale, *cat.requirements[1:]), properties=cat.properties[1:])
    found = problems(build(changed))
    assert "REQ-01: has a property, but requirements.toml still says why not (no_property)" in found
    assert f"property {cat.properties[0].name}: no mutant catches it and requirements.toml states no reason" in found


def _catalogue(*entries: str) -> str:
    return "".join(f'[[requirement]]\nid = "REQ-{i + 1:02d}"\narea = "a"\ntitle = "t"\n{extra}\n'
                   for i, extra in enumerate(entries))


BAD = [
    ("an id out of order", _catalogue("") + '[[requirement]]\nid = "REQ-03"\narea = "a"\ntitle = "t"\n',
     "requirement[1].id: expected REQ-02"),
    ("an id twice", _catalogue("") + '[[requirement]]\nid = "REQ-01"\narea = "a"\ntitle = "t"\n',
     "requirement[1].id: REQ-01 is listed twice"),
    ("a malformed id", '[[requirement]]\nid = "req-01"\narea = "a"\ntitle = "t"\n', "requirement[0].id: must look"),
    ("no title", '[[requirement]]\nid = "REQ-01"\narea = "a"\n', "requirement[0].title: missing"),
    ("an empty title", '[[requirement]]\nid = "REQ-01"\narea = "a"\ntitle = " "\n', "requirement[0].title: must"),
    ("a two-line title", '[[requirement]]\nid = "REQ-01"\narea = "a"\ntitle = "t\\nu"\n',
     "requirement[0].title: must be a non-empty one-line"),
    ("an unknown key", _catalogue('colour = "red"'), "requirement[0].colour: unknown key"),
    ("an unknown status", _catalogue('status = "old"'), "requirement[0].status: must be one of"),
    ("implemented_in not a list", _catalogue('implemented_in = "model/x.py"'), "requirement[0].implemented_in"),
    ("a property reason twice", _catalogue("") + '[[property]]\nname = "p"\nno_mutant = "r"\n' * 2,
     "property[1].name: 'p' is listed twice"),
    ("a property without its reason", _catalogue("") + '[[property]]\nname = "p"\n', "property[0].no_mutant: missing"),
    ("no requirement", '[[property]]\nname = "p"\nno_mutant = "r"\n', "requirement: the catalogue lists no"),
    ("an unknown table", _catalogue("") + "[extra]\nx = 1\n", "unknown table 'extra'"),
    ("not TOML", "[[requirement]\n", "not valid TOML"),
]


@pytest.mark.parametrize("what, text, message", BAD, ids=[b[0] for b in BAD])
def test_a_malformed_catalogue_is_refused_naming_the_key(what, text, message):
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text)
    assert str(info.value).startswith(message), str(info.value)


def test_titles_are_escaped_in_markdown_and_html(table):
    cat = table.catalogue
    odd = dataclasses.replace(cat.requirements[0], title="a <b> & c | d")
    shown = build(dataclasses.replace(cat, requirements=(odd, *cat.requirements[1:])))
    assert "a &lt;b&gt; &amp; c | d" in render_html(shown)
    assert "| REQ-01 | a <b> & c \\| d |" in render_markdown(shown)


# -- the command ---------------------------------------------------------------------------
def test_check_exits_0_on_a_current_copy_and_1_on_a_stale_one(tmp_path, text, capsys):
    copy = tmp_path / "traceability.md"
    copy.write_text(text, encoding="utf-8")
    assert main(["traceability", "--check", "--out", str(copy)]) == 0
    copy.write_text(text.replace("REQ-01", "REQ-00", 1), encoding="utf-8")
    assert main(["traceability", "--check", "--out", str(copy)]) == 1
    assert "stale, regenerate it with: hvr-model traceability" in capsys.readouterr().err
    assert copy.read_text(encoding="utf-8") != text         # --check writes nothing


def test_check_of_the_committed_file_exits_0():
    assert main(["traceability", "--check"]) == 0, f"specs/traceability.md is stale: {REGENERATE}"


def test_check_of_a_missing_file_exits_1(tmp_path):
    assert main(["traceability", "--check", "--out", str(tmp_path / "none.md")]) == 1


def test_writing_replaces_the_file_whole_and_leaves_no_temporary(tmp_path, text):
    (tmp_path / "t.md").write_text("old", encoding="utf-8")
    assert main(["traceability", "--out", str(tmp_path / "t.md")]) == 0
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["t.md"]


def test_a_folder_as_the_table_exits_2_with_a_named_error_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "folder").mkdir()
    assert main(["traceability", "--out", str(tmp_path / "folder")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hvr-model: error: --out: {tmp_path / 'folder'} is a folder") and "Traceback" not in err
    assert [p.name for p in tmp_path.rglob("*")] == ["folder"]     # no temporary file left behind


def test_a_missing_folder_is_made_for_the_table(tmp_path, text):
    assert main(["traceability", "--out", str(tmp_path / "new" / "t.md")]) == 0
    assert (tmp_path / "new" / "t.md").read_text(encoding="utf-8") == text


