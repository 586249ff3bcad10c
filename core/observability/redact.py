"""Remove API keys, secrets and signatures from log text, journal records and structured fields.

The one set of rules for everything the console writes down: the log formatter and the journal
both use :class:`Redactor`. Three layers, applied in order:

1. configured secret strings (the api key and secret of the running mode, webhook tokens …) are
   replaced wherever they occur;
2. ``key=value`` / ``'key': 'value'`` / ``"key": "value"`` pairs (header dumps, query strings)
   whose key names a credential (``X-BAPI-API-KEY``, ``X-BAPI-SIGN``, ``api_key``, ``api_secret``,
   ``secret``, ``sign``, ``signature``, ``password``, ``token``, ``Authorization``) get their value
   replaced;
3. shapes that carry credentials without a key name: the WebSocket ``auth`` frame's ``args``
   (key, expiry, signature) and bare 64-hex-digit strings (HMAC-SHA256 signatures).

Structured data (dicts, lists, tuples) is redacted recursively by key name (:func:`is_secret_key`)
and by text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MASK", "MAX_DEPTH", "SECRET_KEY_NAMES", "Redactor", "is_secret_key"]

MASK = "***"

#: Field names whose values are always masked (compared case-insensitively, ``-`` == ``_``).
SECRET_KEY_NAMES = frozenset(
    {
        "x_bapi_api_key",
        "x_bapi_sign",
        "api_key",
        "apikey",
        "api_secret",
        "apisecret",
        "secret",
        "sign",
        "signature",
        "password",
        "passphrase",
        "token",
        "authorization",
        "private_key",
        "key",
        "auth",
        "cookie",
    }
)
#: A field whose (normalised) name contains one of these holds a credential (``demo_api_secret``).
SECRET_KEY_PARTS = ("secret", "api_key", "apikey", "password", "passphrase", "private_key", "privatekey")
#: A field whose name ends with one of these holds a signature (``request_sign``).
SECRET_KEY_SUFFIXES = ("_sign", "_signature")
#: Bybit's authentication headers (``X-BAPI-*``) are masked as fields, except the ones below.
BAPI_HEADER_PREFIX = "x_bapi_"
#: ``X-BAPI-SIGN-TYPE`` only names the signing scheme ("2" = HMAC-SHA256): shown.
PUBLIC_BAPI_HEADERS = frozenset({"x_bapi_sign_type"})
#: Nesting deeper than this is masked whole (a cyclic or absurd structure never recurses forever).
MAX_DEPTH = 20

_KEY_ALT = (
    r"x-bapi-api-key|x-bapi-sign|api[_-]?key|api[_-]?secret|secret|signature|sign|password|passphrase|"
    r"token|private[_-]?key"
)
# key, optional closing quote, separator, optional opening quote -> value up to a delimiter.
_PAIR_RE = re.compile(
    rf"(?i)(?<![A-Za-z0-9_-])((?:{_KEY_ALT})[\"']?\s*[:=]\s*[\"']?)([^\"'\s,&;}}\]\)]+)",
)
_AUTH_HEADER_RE = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)?\s*)([^\"'\s,;}]+)")
_WS_AUTH_RE = re.compile(r"(?i)([\"']op[\"']\s*:\s*[\"']auth[\"']\s*,\s*[\"']args[\"']\s*:\s*)\[[^\]]*\]")
HEX_SIGNATURE_LEN = 64
"""Hex digits of an HMAC-SHA256 signature, masked wherever they stand alone in text."""
_HEX64_RE = re.compile(rf"(?i)(?<![0-9a-f])[0-9a-f]{{{HEX_SIGNATURE_LEN}}}(?![0-9a-f])")

#: Secrets shorter than this are not replaced as plain strings (they would mangle ordinary text).
MIN_SECRET_LEN = 6


def _norm_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_")


def is_secret_key(key: object) -> bool:
    """True when a field called ``key`` holds a credential (compared case-insensitively, ``-`` == ``_``)."""
    k = _norm_key(key)
    if k in SECRET_KEY_NAMES or k.endswith(SECRET_KEY_SUFFIXES):
        return True
    if k.startswith(BAPI_HEADER_PREFIX):
        return k not in PUBLIC_BAPI_HEADERS
    return any(part in k for part in SECRET_KEY_PARTS)


class Redactor:
    """Masks credentials in strings and nested data. Thread-safe; secrets can be added later."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """``secrets``: exact strings to mask wherever they appear (blank or short ones are ignored)."""
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Add exact strings to mask. Longest first, so a secret containing another is masked whole."""
        new = {s for s in secrets if s and len(s.strip()) >= MIN_SECRET_LEN}
        with self._lock:
            merged = set(self._secrets) | new
            self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def is_secret_key(self, key: object) -> bool:
        """True when a field called ``key`` holds a credential (:func:`is_secret_key`)."""
        return is_secret_key(key)

    def text(self, value: str) -> str:
        """``value`` with every known credential shape masked."""
        out = value
        for secret in self._secrets:
            if secret in out:
                out = out.replace(secret, MASK)
        if len(out) < HEX_SIGNATURE_LEN and ":" not in out and "=" not in out:
            return out  # every pattern below needs a separator or 64 characters
        out = _WS_AUTH_RE.sub(lambda m: f'{m.group(1)}["{MASK}"]', out)
        out = _AUTH_HEADER_RE.sub(lambda m: m.group(1) + MASK, out)
        out = _PAIR_RE.sub(lambda m: m.group(1) + MASK, out)
        return _HEX64_RE.sub(MASK, out)

    def data(self, value: Any, _depth: int = 0) -> Any:
        """A redacted copy of ``value``: mappings by key name and text, sequences item by item."""
        if _depth > MAX_DEPTH:
            return MASK
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes | bytearray):
            return self.text(bytes(value).decode("utf-8", "replace"))
        if isinstance(value, Mapping):
            return {
                k: (MASK if isinstance(k, str) and is_secret_key(k) else self.data(v, _depth + 1))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.data(v, _depth + 1) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.text(str(value))
