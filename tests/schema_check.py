"""Validate a document against a shipped JSON Schema (``hvr_model.tools.schemas``) with ``jsonschema``."""
from functools import lru_cache

from jsonschema import Draft202012Validator

from hvr_model.tools.schemas import schema


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """The validator of shipped schema ``name`` (config, trace or result)."""
    return Draft202012Validator(schema(name))


def errors(name: str, doc) -> list[str]:
    """Where and why ``doc`` breaks schema ``name`` (empty when it is valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in sorted(validator(name).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def assert_valid(name: str, doc) -> None:
    """Fail with the schema's complaints if ``doc`` is not valid against schema ``name``."""
    found = errors(name, doc)
    assert not found, f"not valid against the {name} schema:\n" + "\n".join(found[:10])
