"""Reading a pybit reply: Bybit's envelope checked, its ``result`` and headers kept (pure).

:class:`RestReply` is private to the adapter: above ``core/venues/`` nobody sees a raw reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.venues.values import BadValue

PYBIT_UNDECODABLE = 409
"""pybit's FailedRequestError status for a reply whose body is not JSON (not an HTTP 409)."""


@dataclass(frozen=True, slots=True)
class RestReply:
    """One accepted reply: its ``result`` object and headers."""

    result: dict[str, Any]
    headers: Mapping[str, str]
    elapsed_s: float


class MalformedEnvelope(Exception):
    """A reply that is not Bybit's envelope; the message says what is wrong (no reply text)."""


SHOWN_CHARS = 24
"""The most of a venue value an error message quotes."""


def shape(value: Any) -> str:
    """A venue value in an error message: short, and never more than 24 characters of it."""
    shown = repr(value)
    return shown if len(shown) <= SHOWN_CHARS else shown[: SHOWN_CHARS - 3] + "..."


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (``list``, ``string``, ...)."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def pybit_complaint(exc: BaseException) -> str:
    """What pybit tripped over while reading a reply, in words (no reply text is echoed)."""
    if isinstance(exc, KeyError):
        return f"field {shape(exc.args[0] if exc.args else '')} missing"
    if isinstance(exc, AttributeError):
        return "the body is not a JSON object"
    return f"unreadable envelope ({type(exc).__name__})"


def headers_of(raw: Any) -> dict[str, str]:
    """Reply headers as a plain ``str -> str`` dict (``{}`` when pybit gave none)."""
    if raw is None:
        return {}
    return {str(k): str(v) for k, v in dict(raw).items()}


def envelope_result(body: Any) -> dict[str, Any]:
    """The ``result`` object of a reply pybit accepted, checked against Bybit's envelope.

    Raises :class:`MalformedEnvelope` for a body that is not an object, a ``retCode`` that is not
    the integer 0, or a ``result`` that is not an object (a missing one is ``{}``).
    """
    if not isinstance(body, dict):
        raise MalformedEnvelope(f"the body is a JSON {json_type(body)}")
    code = body.get("retCode", body.get("ret_code"))
    if type(code) is not int or code != 0:
        raise MalformedEnvelope(f"retCode {shape(code)} is not 0")
    result = body.get("result")
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise MalformedEnvelope(f"result is a JSON {json_type(result)}, not an object")
    return result


class BadEnvelope(BadValue):
    """A reply that is not Bybit's envelope, as the bad-data tracker shows it."""

    def __init__(self, detail: str) -> None:
        super().__init__("reply", None, detail)
        self.args = (f"malformed reply: {detail}",)
