"""StreamResync: retries the REST resync after a reconnect with backoff until it works, then reports up.

The end-to-end version (a real sim process stopped and restarted) is tests/engine/test_outage.py;
these pin the schedule and the edge cases with a recorded sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core.engine.resync import RecoveryTiming, StreamResync
from core.events import Severity
from core.resilience.breaker import CircuitOpen
from core.resilience.errors import Transient

TIMING = RecoveryTiming(resync_backoff_s=(0.5, 2.0))


class Harness:
    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.calls = 0
        self.connected = True
        self.reports: list[tuple[str, str, str]] = []
        self.lines: list[tuple[str, Severity]] = []
        self.sleeps: list[float] = []
        self.during_call: Callable[[], None] | None = None
        self.resync = StreamResync(
            resync=self._resync,
            connected=lambda _s: self.connected,
            report=lambda *a: self.reports.append(a),
            log_line=lambda m, sev: self.lines.append((m, sev)),
            timing=TIMING,
            sleep=self._sleep,
        )

    async def _resync(self, _stream: str) -> None:
        self.calls += 1
        if self.during_call is not None:
            hook, self.during_call = self.during_call, None
            hook()
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    async def settle(self, stream: str = "private") -> None:
        await wait(lambda: not self.resync.pending(stream))


async def wait(cond: Callable[[], bool], tries: int = 500) -> None:
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not met")


def down(msg: str = "ConnectionError: not sent") -> Transient:
    return Transient(msg, endpoint="/v5/order/realtime")


async def test_failed_resyncs_are_retried_with_backoff_until_up() -> None:
    h = Harness([down(), down(), down(), None])
    h.resync.request("private")
    await h.settle()
    assert h.calls == 4
    assert h.sleeps == [0.5, 1.0, 2.0]  # doubling, capped at the longest wait
    states = [(s, st) for s, st, _d in h.reports]
    assert states == [("private", "resync")] * 3 + [("private", "up")]
    assert "REST resync failed" in h.reports[0][2] and "retry in 0.5s" in h.reports[0][2]
    assert h.reports[-1] == ("private", "up", "resynced over REST")
    assert [sev for _m, sev in h.lines] == [Severity.WARN] * 3 + [Severity.INFO]


async def test_an_open_endpoint_circuit_is_waited_out_not_hammered() -> None:
    h = Harness([CircuitOpen("/v5/market/tickers", 0.0, 7.5, "5 failures"), None])
    h.resync.request("public")
    await h.settle("public")
    assert h.sleeps == [7.5]
    assert h.reports[-1] == ("public", "up", "resynced over REST")


async def test_a_reconnect_during_the_resync_takes_another_snapshot_before_up() -> None:
    h = Harness([None, None])
    h.during_call = lambda: h.resync.request("private")  # the socket flapped mid-snapshot
    h.resync.request("private")
    await h.settle()
    assert h.calls == 2
    assert [st for _s, st, _d in h.reports] == ["up"]


async def test_socket_down_again_abandons_without_reporting_up() -> None:
    h = Harness([down()])

    def drop() -> None:
        h.connected = False

    h.during_call = drop
    h.resync.request("private")
    await h.settle()
    assert h.calls == 1
    assert all(st != "up" for _s, st, _d in h.reports)
    # The next reconnect asks again and succeeds.
    h.connected = True
    h.resync.request("private")
    await h.settle()
    assert h.reports[-1][1] == "up"


async def test_an_unexpected_error_is_logged_and_retried() -> None:
    h = Harness([RuntimeError("bug"), None])
    h.resync.request("private")
    await h.settle()
    assert h.calls == 2 and h.reports[-1][1] == "up"
    assert "RuntimeError: bug" in h.reports[0][2]


async def test_requests_after_stop_are_ignored() -> None:
    gate = asyncio.Event()

    async def blocked(_s: float) -> None:
        await gate.wait()

    h = Harness([down()])
    h.resync._sleep = blocked
    h.resync.request("private")
    await wait(lambda: h.calls == 1)
    await h.resync.stop()
    assert not h.resync.pending("private")
    h.resync.request("private")
    assert not h.resync.pending("private")
