"""Conditional (multi-trigger) algo: an order — and/or another algo — armed on a condition tree.

Parameters (:meth:`Conditional.params`):

* ``condition`` — a condition tree as plain data (:mod:`core.orders.algos.conditions`).
* ``order`` — the order placed when it is true (:class:`OrderParams`): ``symbol``, ``side``,
  ``qty``, ``order_type`` (``market`` or ``limit``; a limit needs ``price``), an optional
  ``trigger_price`` making it a stop (``trigger_by`` mark/last/index, mark by default;
  ``trigger_direction`` rising/falling, by default rising for a buy and falling for a sell),
  ``time_in_force``, ``reduce_only``.
* ``then_algo`` — optional ``{"kind": ..., "params": {...}}``: another algo to start, asked of
  the runner with a :class:`StartAlgo` action and named in the Finish reason.
* ``expiry_ms`` — optional epoch ms: still unfired then → Finish(CANCELLED, "expired ...").
* ``symbol`` — the algo's symbol; the order's when there is one (required without an order).

At least one of ``order`` / ``then_algo`` is required.

Rules: the tree is evaluated on every event while WAITING (ticks, order events, fills), once per
event, every node (so each cross sees every observation); WakeAt asks for a tick at the next
time trigger or the expiry. Firing happens once, on True (Unknown never fires). With an order:
it is placed (price, trigger and qty snapped to the instrument: qty down, a limit passively, a
trigger away from the market), status RUNNING; the follow-up algo is started when the order is
completely filled; DONE then. A cancelled/rejected order ends CANCELLED/FAILED with no follow-up.
Without an order: the follow-up starts at firing and the algo is DONE. Pause stops evaluating
(the placed order, a trader's order, stays); expiry applies while paused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.model import Order, OrderStatus
from core.orders.algos import _common as c
from core.orders.algos import conditions as cond
from core.orders.algos._cond_leaves import check_epoch_ms
from core.orders.algos._cond_order import ALGO_KINDS, OrderParams
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    AlgoState,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    MarketView,
    OrderEvent,
    Place,
    StartAlgo,
    WakeAt,
)

ORDER_TAG = "order"


class Conditional(Algo):
    """An order and/or a follow-up algo armed on a condition; see the module docstring."""

    kind = "cond"

    def __init__(self, algo_id: str, params: Mapping[str, Any]) -> None:
        self.condition = cond.from_dict(params.get("condition"), "condition")
        raw_order = params.get("order")
        self.order = None if raw_order is None else OrderParams.parse(raw_order)
        self.then_kind, self.then_params = _then_algo(params.get("then_algo"))
        if self.order is None and self.then_kind is None:
            raise ValueError("order/then_algo: at least one is required")
        symbol = self.order.symbol if self.order is not None else str(params.get("symbol") or "")
        if not symbol:
            raise ValueError("symbol: required without an order")
        if params.get("symbol") not in (None, symbol):
            raise ValueError(f"symbol: {params.get('symbol')!r} differs from the order's {symbol!r}")
        raw_expiry = params.get("expiry_ms")
        self.expiry_ms = (
            None
            if raw_expiry is None
            else check_epoch_ms(c.param_int(params, "expiry_ms", minimum=0), "expiry_ms")
        )
        super().__init__(algo_id, symbol)
        self.memory: dict[str, bool] = {}
        self.truth: cond.Truth = cond.UNKNOWN
        self.fired_ms: int | None = None
        self.fired_reason = ""
        self.wake_ms: int | None = None
        self.then_started = False
        self.resume_status = AlgoState.WAITING
        self.progress.note = f"waiting: {self.condition.describe(symbol)}"

    @classmethod
    def from_params(cls, algo_id: str, params: Mapping[str, Any]) -> Conditional:
        """Rebuild from :meth:`params`; ValueError names a bad parameter."""
        return cls(algo_id, params)

    def params(self) -> Mapping[str, Any]:
        """The parameters as plain data."""
        then = None if self.then_kind is None else {"kind": self.then_kind, "params": dict(self.then_params)}
        return {
            "symbol": self.symbol,
            "condition": self.condition.to_dict(),
            "order": None if self.order is None else self.order.to_data(),
            "then_algo": then,
            "expiry_ms": self.expiry_ms,
        }

    def describe(self) -> str:
        """``cond BTCUSDT: if (mark >= 96000 AND ...) OR ... then Buy 0.1 limit @ 95000``."""
        then = [] if self.order is None else [self.order.summary()]
        if self.then_kind is not None:
            then.append(f"start {self.then_kind}")
        text = f"cond {self.symbol}: if {self.condition.describe(self.symbol)} then {', then '.join(then)}"
        if self.expiry_ms is not None:
            text += f"; expires {cond.format_utc(self.expiry_ms)}"
        return text

    # --- decisions ----------------------------------------------------------------------------
    def start(self, view: MarketView) -> list[Action]:
        """Arm and evaluate at once (an ``is`` condition already true fires now)."""
        self.progress.arrival_price = view.price(self.symbol, "mark")
        if self.order is not None:
            self.progress.total = self.order.qty
        return self._watch(view, None)

    def on_event(self, event: AlgoEvent, view: MarketView) -> list[Action]:
        """Evaluate while waiting; follow the placed order after firing."""
        if self.status.terminal:
            return []
        if isinstance(event, ChildUpdate | ChildFill | ChildRejected) and self.fired_ms is not None:
            return self._on_child(event)
        if self.fired_ms is not None:
            return []
        if self.status is AlgoState.PAUSED:
            return self._expired(view) or []
        return self._watch(view, event.order if isinstance(event, OrderEvent) else None)

    def _expired(self, view: MarketView) -> list[Action]:
        now = view.now_ms()
        if self.expiry_ms is None or now < self.expiry_ms:
            return []
        reason = f"expired at {cond.format_utc(self.expiry_ms)} before {self.condition.describe(self.symbol)}"
        return self._finish(AlgoState.CANCELLED, reason)

    def _watch(self, view: MarketView, order: Order | None) -> list[Action]:
        expired = self._expired(view)
        if expired:
            return expired
        seen = {} if order is None else {order.order_link_id: order}
        self.truth, self.memory = cond.evaluate(self.condition, view, self.memory, seen)
        if self.truth is True:
            return self._fire(view)
        self.status = AlgoState.WAITING
        state = "unknown" if self.truth is None else "false"
        self.progress.note = f"waiting ({state}): {self.condition.describe(self.symbol)}"
        return self._wake(view.now_ms())

    def _wake(self, now: int) -> list[Action]:
        times = [t for t in self.condition.wake_times() if t > now]
        if self.expiry_ms is not None:
            times.append(self.expiry_ms)
        due = min(times, default=None)
        if due is None or due == self.wake_ms:
            return []
        self.wake_ms = due
        return [WakeAt(due)]

    def later_orders(self, view: MarketView) -> list[Place]:
        """The order placed when the condition holds, as it would be placed now (none without one)."""
        if self.order is None:
            return []
        request, trigger_by = self.order.request(view.instrument(self.symbol), self.algo_id)
        return [Place(request, tag=ORDER_TAG, trigger_by=trigger_by)]

    def _fire(self, view: MarketView) -> list[Action]:
        now = view.now_ms()
        self.fired_ms = now
        self.fired_reason = f"condition met at {cond.format_utc(now)}: {self.condition.describe(self.symbol)}"
        if self.order is None:
            return [*self._start_then(), *self._finish(AlgoState.DONE, self._reason())]
        request, trigger_by = self.order.request(view.instrument(self.symbol), self.algo_id)
        if request.qty <= 0:
            return self._finish(AlgoState.FAILED, f"{self.fired_reason}; qty {self.order.qty} rounds to 0")
        self.status = AlgoState.RUNNING
        self.progress.total = request.qty
        self.progress.note = f"fired: {self.order.summary()}"
        return [Place(request, tag=ORDER_TAG, trigger_by=trigger_by)]

    def _on_child(self, event: ChildUpdate | ChildFill | ChildRejected) -> list[Action]:
        if c.tag_of(self.progress, event.child_id) != ORDER_TAG:
            return []
        if isinstance(event, ChildRejected):
            return self._finish(
                AlgoState.FAILED, f"{self.fired_reason}; order rejected by {event.check}: {event.reason}"
            )
        if isinstance(event, ChildFill):
            return []  # counted from the order's update that follows it
        order = event.order
        self.progress.filled = order.filled_qty
        self.progress.avg_price = order.avg_price
        if order.status is OrderStatus.FILLED:
            fill = f"order filled {order.filled_qty} @ {order.avg_price}"
            return [*self._start_then(), *self._finish(AlgoState.DONE, self._reason(fill))]
        if order.is_open or order.status is OrderStatus.TRIGGERED:
            return []
        ended = f"order {order.status.value} after {order.filled_qty} filled"
        if order.reject_reason:
            ended += f" ({order.reject_reason})"
        if self.then_kind is not None:
            ended += f"; {self.then_kind} not started"
        state = AlgoState.FAILED if order.status is OrderStatus.REJECTED else AlgoState.CANCELLED
        return self._finish(state, f"{self.fired_reason}; {ended}")

    def _start_then(self) -> list[Action]:
        if self.then_kind is None or self.then_started:
            return []
        self.then_started = True
        return [StartAlgo(self.then_kind, dict(self.then_params))]

    def _reason(self, *parts: str) -> str:
        out = [self.fired_reason, *parts]
        if self.then_kind is not None:
            out.append(f"started {self.then_kind} {json.dumps(self.then_params, sort_keys=True)}")
        return "; ".join(out)

    def _finish(self, state: AlgoState, reason: str) -> list[Action]:
        self.status = state
        self.progress.note = reason
        return [Finish(state, reason)]

    def on_pause(self, view: MarketView) -> list[Action]:
        """Stop evaluating; a placed order is the trader's order and stays."""
        if not self.status.terminal and self.status is not AlgoState.PAUSED:
            self.resume_status = self.status
            self.status = AlgoState.PAUSED
        return []

    def on_resume(self, view: MarketView) -> list[Action]:
        """Evaluate again now (a cross compares with the last observation before the pause)."""
        if self.status is not AlgoState.PAUSED:
            return []
        self.status = self.resume_status
        return [] if self.fired_ms is not None else self._watch(view, None)

    # --- state --------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Edge memory, last truth, firing, wake-up, follow-up and progress as plain data."""
        return {
            "status": self.status.value,
            "resume_status": self.resume_status.value,
            "memory": dict(self.memory),
            "truth": self.truth,
            "fired_ms": self.fired_ms,
            "fired_reason": self.fired_reason,
            "wake_ms": self.wake_ms,
            "then_started": self.then_started,
            "progress": c.progress_state(self.progress),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned."""
        self.status = AlgoState(state["status"])
        self.resume_status = AlgoState(state["resume_status"])
        self.memory = {str(k): bool(v) for k, v in dict(state["memory"]).items()}
        truth = state["truth"]
        self.truth = None if truth is None else bool(truth)
        self.fired_ms = _int_or_none(state["fired_ms"])
        self.fired_reason = str(state["fired_reason"])
        self.wake_ms = _int_or_none(state["wake_ms"])
        self.then_started = bool(state["then_started"])
        self.progress = c.restore_progress(state["progress"])


def _int_or_none(raw: Any) -> int | None:
    return None if raw is None else int(raw)


def _then_algo(raw: Any) -> tuple[str | None, dict[str, Any]]:
    """``then_algo``: None, or ``{"kind": <an algo kind>, "params": {...}}`` (JSON-able)."""
    if raw is None:
        return None, {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"then_algo: {raw!r} is not a mapping with kind and params")
    kind = raw.get("kind")
    if kind not in ALGO_KINDS:
        raise ValueError(f"then_algo.kind: {kind!r} is not one of {', '.join(ALGO_KINDS)}")
    params = raw.get("params")
    if not isinstance(params, Mapping):
        raise ValueError(f"then_algo.params: {params!r} is not a mapping")
    try:
        data: dict[str, Any] = json.loads(json.dumps(dict(params)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"then_algo.params: not plain data ({exc})") from exc
    return str(kind), data
