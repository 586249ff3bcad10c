"""A JSON-ready copy of a journal record's payload with every secret removed.

The rules are the log formatter's (:class:`~core.observability.redact.Redactor`): fields named like
a credential are masked, text is scrubbed of credential pairs and registered secret values. The
types records are made of (str, Decimal, numbers, dicts) are dispatched on their exact type first;
the answer of :func:`~core.observability.redact.is_secret_key` is remembered per field name and a
dataclass's field names per class (both depend on nothing else).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from core.observability.redact import MASK, MAX_DEPTH, Redactor, is_secret_key

__all__ = ["sanitize"]


def sanitize(value: Any, redactor: Redactor | None = None) -> Any:
    """A JSON-ready copy of ``value`` with every secret removed (recursively).

    The rules are the log formatter's (:class:`~core.observability.redact.Redactor`): fields named
    like a credential, credential pairs in text, and the redactor's registered secret values.
    """
    return _sanitize(value, redactor or Redactor(), 0)


def _sanitize(value: Any, red: Redactor, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return MASK
    kind = type(value)  # the exact types records are made of first, then the general rules
    if kind is str:
        return red.text(value)
    if kind is Decimal:
        return str(value)
    if value is None or kind in _PLAIN:
        return value
    if kind is dict:
        return {str(k): (MASK if _secret_key(k) else _sanitize(v, red, depth + 1)) for k, v in value.items()}
    return _sanitize_other(value, red, depth)


def _sanitize_other(value: Any, red: Redactor, depth: int) -> Any:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return red.text(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return _sanitize(value.value, red, depth + 1)
    if isinstance(value, Mapping):
        return {str(k): (MASK if _secret_key(k) else _sanitize(v, red, depth + 1)) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            name: (MASK if _secret_key(name) else _sanitize(getattr(value, name), red, depth + 1))
            for name in _field_names(type(value))
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_sanitize(v, red, depth + 1) for v in items]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, BaseException):
        return red.text(f"{type(value).__name__}: {value}")
    # anything else (datetime, SecretStr, ...): its string form, scrubbed
    return red.text(str(value))


_PLAIN = frozenset({bool, int, float})
"""Types written as they are."""
_KEY_CACHE_MAX = 4096
"""Field names whose :func:`is_secret_key` answer is remembered (records use a few dozen)."""
_secret_keys: dict[str, bool] = {}
_fields: dict[type, tuple[str, ...]] = {}


def _secret_key(key: object) -> bool:
    """:func:`is_secret_key`, remembered per field name (it depends on the name alone)."""
    if type(key) is not str:
        return is_secret_key(key)
    known = _secret_keys.get(key)
    if known is None:
        known = is_secret_key(key)
        if len(_secret_keys) < _KEY_CACHE_MAX:
            _secret_keys[key] = known
    return known


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass ``cls``'s field names, in order (looked up once per class)."""
    names = _fields.get(cls)
    if names is None:
        names = _fields[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names
