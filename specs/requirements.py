"""The requirements catalogue (``specs/requirements.toml``), read and validated.

The project's requirements (REQ-01..REQ-38) are kept outside the repository; this
file is the copy the repository needs: per requirement an id, the area it belongs
to, a one-line title, and, where the model, the properties or the mutants leave it
out, the reason why (shown in ``specs/traceability.md``). It also states why some
properties have no mutant that breaks them.

Validation is plain Python (the project has no schema library): every problem is a
:class:`CatalogueError` naming the entry and the key at fault.

>>> catalogue = load_catalogue()
>>> [r.id for r in catalogue.requirements][:3], catalogue.requirement("REQ-24").status
(['REQ-01', 'REQ-02', 'REQ-03'], 'revised')
>>> parse_catalogue('[[requirement]]\\nid = "REQ-1"\\narea = "a"\\ntitle = "t"')
Traceback (most recent call last):
...
hvr_model.specs.requirements.CatalogueError: requirement[0].id: must look like REQ-01, got 'REQ-1'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from hvr_model.checker.inputs import InputError, excerpt, parse_toml, read_text

__all__ = ["Requirement", "PropertyReason", "Catalogue", "CatalogueError", "CATALOGUE", "STATUSES",
           "load_catalogue", "parse_catalogue"]

#: The catalogue shipped with the package (``specs/requirements.toml``).
CATALOGUE = resources.files("hvr_model.specs") / "requirements.toml"
#: What ``status`` may say: changed since the first catalogue, or undocumented (our choice).
STATUSES = ("revised", "new", "model decision")

_ID = re.compile(r"REQ-(\d{2,})")
_REASONS = ("no_model_element", "no_property", "no_mutant")
_REQUIREMENT_KEYS = {"id", "area", "title", "status", "implemented_in", *_REASONS}
_PROPERTY_KEYS = {"name", "no_mutant"}


class CatalogueError(InputError):
    """The requirements catalogue is malformed; the message names the entry and the key (exit 2)."""


@dataclass(frozen=True)
class Requirement:
    """One requirement: its id, area and title, and the reasons for what it lacks.

    ``implemented_in`` lists files (relative to the repository) that carry the requirement
    where no event or guard of the machine tables does. Each ``no_*`` is a reason, or ``""``.
    """

    id: str
    area: str
    title: str
    status: str = ""
    implemented_in: tuple[str, ...] = ()
    no_model_element: str = ""
    no_property: str = ""
    no_mutant: str = ""


@dataclass(frozen=True)
class PropertyReason:
    """Why no mutant is shown to break the property ``name``."""

    name: str
    no_mutant: str


@dataclass(frozen=True)
class Catalogue:
    """The requirements in id order, and the stated reasons of properties without a mutant."""

    requirements: tuple[Requirement, ...]
    properties: tuple[PropertyReason, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.requirements)

    def requirement(self, req_id: str) -> Requirement:
        """The requirement ``req_id``; KeyError if the catalogue has none."""
        for r in self.requirements:
            if r.id == req_id:
                return r
        raise KeyError(req_id)

    def property_reason(self, name: str) -> str:
        """Why property ``name`` has no catching mutant, or ``""`` if the catalogue says nothing."""
        return next((p.no_mutant for p in self.properties if p.name == name), "")


def load_catalogue() -> Catalogue:
    """The shipped catalogue (``specs/requirements.toml``), validated.

    Raises
    ------
    CatalogueError
        When it is not valid TOML or breaks a rule of :func:`parse_catalogue`.
    """
    path = Path(str(CATALOGUE))
    try:
        return parse_catalogue(read_text(path, what="requirements catalogue"), str(path))
    except CatalogueError as exc:
        raise exc if str(exc).startswith(str(path)) else CatalogueError(f"{path}: {exc}") from None
    except InputError as exc:
        raise CatalogueError(str(exc)) from None


def parse_catalogue(text: str, source: str = "") -> Catalogue:
    """A catalogue from TOML text.

    Rules: ``[[requirement]]`` entries with the ids REQ-01, REQ-02, ... in that order, none
    missing or repeated; non-empty one-line ``area`` and ``title``; ``status`` one of
    :data:`STATUSES`; ``implemented_in`` a list of paths; reasons non-empty strings; no other
    key. ``[[property]]`` entries name each property once, with a ``no_mutant`` reason.

    Raises
    ------
    CatalogueError
        Naming the entry (``requirement[3]``, ``property[0]``) and the key at fault.
    """
    try:
        raw = parse_toml(text, source)
    except InputError as exc:
        raise CatalogueError(str(exc)) from None
    unknown = set(raw) - {"requirement", "property"}
    if unknown:
        raise CatalogueError(f"unknown table {excerpt(sorted(unknown)[0])} (tables: requirement, property)")
    requirements = tuple(_requirement(i, item) for i, item in enumerate(_entries(raw, "requirement")))
    if not requirements:
        raise CatalogueError("requirement: the catalogue lists no requirement")
    properties = tuple(_property_reason(i, item) for i, item in enumerate(_entries(raw, "property")))
    for i, r in enumerate(requirements):
        expected = f"REQ-{i + 1:02d}"
        if r.id in (earlier.id for earlier in requirements[:i]):
            raise CatalogueError(f"requirement[{i}].id: {r.id} is listed twice")
        if r.id != expected:
            raise CatalogueError(f"requirement[{i}].id: expected {expected} (ids run from REQ-01 in order, "
                                 f"none missing or repeated), got {excerpt(r.id)}")
    seen: set[str] = set()
    for i, p in enumerate(properties):
        if p.name in seen:
            raise CatalogueError(f"property[{i}].name: {excerpt(p.name)} is listed twice")
        seen.add(p.name)
    return Catalogue(requirements, properties)


def _entries(raw: dict, table: str) -> list[dict]:
    items = raw.get(table, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CatalogueError(f"{table}: must be an array of tables ([[{table}]])")
    return items


def _requirement(i: int, item: dict) -> Requirement:
    where = f"requirement[{i}]"
    _check_keys(where, item, _REQUIREMENT_KEYS, {"id", "area", "title"})
    req_id = _text(where, item, "id")
    if not _ID.fullmatch(req_id):
        raise CatalogueError(f"{where}.id: must look like REQ-01, got {excerpt(req_id)}")
    status = item.get("status", "")
    if status != "" and status not in STATUSES:
        raise CatalogueError(f"{where}.status: must be one of {', '.join(STATUSES)}, got {excerpt(status)}")
    paths = item.get("implemented_in", [])
    if not isinstance(paths, list) or not all(_is_repository_path(p) for p in paths):
        raise CatalogueError(f"{where}.implemented_in: must be a list of relative file paths inside the "
                             f"repository (forward slashes, no '..'), got {excerpt(paths)}")
    reasons = {key: _text(where, item, key) for key in _REASONS if key in item}
    return Requirement(req_id, _text(where, item, "area"), _text(where, item, "title"), status, tuple(paths),
                       **reasons)


def _property_reason(i: int, item: dict) -> PropertyReason:
    where = f"property[{i}]"
    _check_keys(where, item, _PROPERTY_KEYS, _PROPERTY_KEYS)
    return PropertyReason(_text(where, item, "name"), _text(where, item, "no_mutant"))


def _check_keys(where: str, item: dict, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise CatalogueError(f"{where}.{unknown[0]}: unknown key (keys: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(item))
    if missing:
        raise CatalogueError(f"{where}.{missing[0]}: missing")


def _is_repository_path(path: object) -> bool:
    if not isinstance(path, str) or not path.strip() or "\\" in path or len(path.splitlines()) != 1:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts and not pure.name.startswith(".")


def _text(where: str, item: dict, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value.strip().splitlines()) != 1:
        raise CatalogueError(f"{where}.{key}: must be a non-empty one-line string, got {excerpt(value)}")
    return value.strip()
