"""Bybit's retCodes, HTTP statuses and transport exceptions mapped onto the classified errors,
each with the ``ret_class`` the request metrics count it as."""

from __future__ import annotations

import errno
import socket

import pytest
import requests

from core.resilience.errors import (
    AuthFailed,
    DuplicateClientId,
    OrderGone,
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unchanged,
    Unknown,
    VenueError,
    malformed_reply,
    never_sent,
    outcome_category,
)
from core.venues.bybit.errors import classify, classify_exception


def test_classify_ret_codes() -> None:
    assert classify(ret_code=0) is None
    rl = classify(ret_code=10006, reset_ms=123)
    assert isinstance(rl, RateLimited) and rl.reset_ms == 123 and rl.code == 10006
    assert isinstance(classify(ret_code=10002), TimestampError)
    assert isinstance(classify(ret_code=10016, idempotent=True), Transient)
    assert isinstance(classify(ret_code=10000, idempotent=False), Unknown)
    rej = classify(ret_code=110007, message="ab not enough for new order")
    assert type(rej) is Rejected and rej.code == 110007 and rej.reason == "ab not enough for new order"
    assert str(rej) == "Rejected: retCode=110007 ab not enough for new order"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (110072, DuplicateClientId),
        (110001, OrderGone),
        (110008, OrderGone),
        (110043, Unchanged),
        (34040, Unchanged),
        (10003, AuthFailed),
        (10004, AuthFailed),
        (10010, AuthFailed),
    ],
)
def test_business_refusals_by_kind(code: int, kind: type[Rejected]) -> None:
    err = classify(ret_code=code, message="words")
    assert type(err) is kind and isinstance(err, Rejected)
    assert err.code == code and err.reason == "words"


def test_classify_http_status() -> None:
    assert classify(http_status=200) is None
    assert isinstance(classify(http_status=502, idempotent=True), Transient)
    assert isinstance(classify(http_status=503, idempotent=False), Unknown)
    assert isinstance(classify(http_status=429), RateLimited)
    r = classify(http_status=403)
    assert type(r) is Rejected and r.http_status == 403
    assert isinstance(classify(http_status=401), AuthFailed)


def test_classify_exceptions() -> None:
    assert isinstance(classify_exception(requests.ReadTimeout(), idempotent=False), Unknown)
    assert isinstance(classify_exception(requests.ReadTimeout(), idempotent=True), Transient)
    ct = classify_exception(requests.ConnectTimeout(), idempotent=False)
    assert isinstance(ct, Transient) and not ct.sent
    assert isinstance(classify_exception(TimeoutError(), idempotent=False), Unknown)
    assert isinstance(classify_exception(ConnectionResetError(), idempotent=False), Unknown)
    refused = classify_exception(ConnectionRefusedError(errno.ECONNREFUSED, "refused"), idempotent=False)
    assert isinstance(refused, Transient) and not refused.sent
    # requests wraps urllib3: a refused connection deep in the chain proves nothing was sent
    wrapped = requests.ConnectionError(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert never_sent(wrapped)
    assert never_sent(socket.gaierror(-2, "Name or service not known"))
    assert classify_exception(ValueError("a bug")) is None


def _classified(**kw: object) -> VenueError:
    err = classify(**kw)  # type: ignore[arg-type]
    assert err is not None
    return err


@pytest.mark.parametrize(
    ("err", "ret_class"),
    [
        (None, "ok"),
        (_classified(ret_code=10006, message="Too many visits!"), "rate_limited"),
        (_classified(http_status=429), "http_429"),
        (_classified(ret_code=10002), "timestamp"),
        (_classified(ret_code=10003), "auth"),
        (_classified(ret_code=110007, message="ab not enough for new order"), "order"),
        (_classified(ret_code=110072), "order"),
        (_classified(ret_code=10001, message="params error"), "param"),
        (_classified(ret_code=170130), "venue_other"),
        (_classified(http_status=403), "http_403"),
        (_classified(http_status=404), "http_4xx"),
        (_classified(http_status=502), "http_5xx"),
        (_classified(http_status=503, idempotent=False), "http_5xx"),
        (_classified(ret_code=10016, idempotent=False), "server"),
        (_classified(exc=requests.ReadTimeout()), "network"),
        (_classified(exc=ConnectionRefusedError(errno.ECONNREFUSED, "refused")), "network"),
        (malformed_reply("the body is a JSON list", idempotent=False), "network"),
    ],
)
def test_each_outcome_has_its_ret_class(err: VenueError | None, ret_class: str) -> None:
    assert outcome_category(err) == ret_class
