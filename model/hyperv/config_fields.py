"""The checks every configuration field goes through: type, keys, choice, range (named errors).

:class:`ConfigError` names the key at fault first; :mod:`hvr_model.hyperv.config` parses
each table with these helpers.
"""
from __future__ import annotations

from typing import Any

from ..checker.inputs import InputError, excerpt

__all__ = ["ConfigError"]


class ConfigError(InputError):
    """A configuration is malformed: the message starts with the file, then the key at fault (exit 2)."""


def _check_type(path: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(f"{path}: expected {_type_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ConfigError(f"{path}: expected {_type_name(kind)}, got {type(value).__name__}")
    return value


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({str: "a string", int: "an integer", bool: "a boolean", list: "a list",
                        dict: "a table"}.get(k, k.__name__) for k in kinds)


def _check_keys(path: str, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ConfigError(f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _choice(path: str, value: Any, choices: tuple[str, ...]) -> str:
    _check_type(path, value, str)
    if value not in choices:
        raise ConfigError(f"{path}: must be one of {', '.join(choices)}, got {excerpt(value)}")
    return value


def _int_range(path: str, value: Any, low: int, high: int) -> int:
    _check_type(path, value, int)
    if not low <= value <= high:
        raise ConfigError(f"{path}: must be between {low} and {high}, got {value}")
    return value
