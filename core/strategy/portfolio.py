"""Several strategies at once on a started engine, each with its allocation, PnL and kill switch.

A :class:`Portfolio` runs each strategy's :class:`~core.strategy.live.LiveRunner` as a task on the
engine's loop, inside a :class:`~core.strategy.slot.StrategySlot` that counts its own fills and
enforces its capital allocation. Every start, stop, kill and failure is journaled
(``strategy_start``, ``strategy_stop``, ``strategy_kill``, ``strategy_fail``) and said in the log
pane, so the journal tells what ran. After a restart :meth:`Portfolio.resume` brings back the ones
the journal shows still running (the console died under them; see :mod:`core.strategy.resume`).
A strategy whose callback raises is stopped and marked ``failed`` with the error, never silently.
The portfolio registers with the engine's panic, which stops every strategy right after the algos
and before it flattens the account.

Venue-neutral and UI-free: the console calls :meth:`Portfolio.start`, :meth:`Portfolio.stop`,
:meth:`Portfolio.kill` and reads :meth:`Portfolio.snapshots` at its table rate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.api import CommandResult
from core.events import Severity
from core.market.candles import TIMEFRAMES
from core.strategy.kill import ClosePlan
from core.strategy.live import POLL_S, StrategyError
from core.strategy.loader import StrategyNotFound, load_strategy_class, strategy_spec
from core.strategy.params import ParamError, qty_refusal, resolve
from core.strategy.resume import Unfinished, own_fills, own_links, unfinished, warm_candles
from core.strategy.slot import StrategySlot, StrategySnapshot, StrategyState

if TYPE_CHECKING:
    from core.engine import Engine
    from core.strategy.base import Strategy

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Entry:
    slot: StrategySlot
    spec: str
    params: dict[str, Any]
    task: asyncio.Task[None] | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Portfolio:
    """The strategies running on one engine, by name."""

    def __init__(self, engine: Engine, *, poll_s: float = POLL_S) -> None:
        self.engine = engine
        self.poll_s = poll_s
        """How often each runner looks for a newly closed bar."""
        self.name = "strategies"
        """What the panic's progress step calls the portfolio."""
        self._entries: dict[str, _Entry] = {}
        engine.panic_runner.stoppables.append(self)

    # --- commands ---------------------------------------------------------------------------------
    async def start(
        self,
        strategy: str,
        symbol: str,
        *,
        params: Sequence[str] = (),
        allocation: Decimal | None = None,
        name: str | None = None,
        timeframe: str = "1m",
        who: str = "user",
    ) -> CommandResult:
        """Load ``strategy`` (a shipped example's name, ``pkg.mod[:Class]`` or a file), set its
        ``params`` (``k=v``) and run it on ``symbol`` as ``name`` (default: the strategy's name)."""
        built = self._checked(strategy, symbol, params, allocation, name, timeframe)
        if isinstance(built, str):
            self.engine.journal.record(
                "strategy_refused", symbol=symbol, name=name or strategy, who=who, reason=built
            )
            return CommandResult(False, built)
        instance, values = built
        label = name or instance.name
        slot = StrategySlot(
            self.engine, instance, name=label, symbol=symbol, allocation=allocation, timeframe=timeframe
        )
        entry = _Entry(slot, strategy_spec(strategy), values)
        self._entries[label] = entry
        self._journal(
            "strategy_start",
            slot,
            who=who,
            spec=entry.spec,
            params=_jsonable(values),
            timeframe=timeframe,
        )
        slot.attach()
        failed = await self._launch(entry)
        if failed:
            return CommandResult(False, f"strategy {label} failed to start: {failed}")
        alloc = f", allocation {allocation}" if allocation is not None else ""
        self._say(f"strategy {label} started on {symbol} ({_params_text(values)}{alloc})")
        return CommandResult(True, f"strategy {label} running on {symbol}")

    async def resume(self) -> int:
        """Bring back every strategy the journal shows running when the last session ended (the
        console died: a stop, kill, failure or quit is journaled and ends it). Each is rebuilt
        from its start record, its own position and PnL from the journaled fills of its own
        client order ids, and its indicators are warmed from the venue's klines before it may
        trade; the log pane says so. Run after the engine started; the number resumed."""
        resumed = 0
        for found in unfinished(self.engine.journal):
            if found.name in self._entries:
                continue
            resumed += await self._resume_one(found)
        return resumed

    async def _resume_one(self, found: Unfinished) -> int:
        built = self._checked(
            found.spec, found.symbol, found.pairs, found.allocation, found.name, found.timeframe
        )
        if isinstance(built, str):
            why = f"not resumed: {built}"
            self.engine.journal.record("strategy_fail", symbol=found.symbol, name=found.name, reason=why)
            self._say(f"strategy {found.name} {why}", Severity.ERROR)
            return 0
        instance, values = built
        slot = StrategySlot(
            self.engine,
            instance,
            name=found.name,
            symbol=found.symbol,
            allocation=found.allocation,
            timeframe=found.timeframe,
        )
        entry = _Entry(slot, found.spec, values)
        self._entries[found.name] = entry
        slot.ctx.resumed = True
        slot.restore(own_links(self.engine.journal, found.name, found.seq))
        slot.attach()
        slot.book(own_fills(self.engine.journal, slot.runner.links, found.seq))
        warm = await warm_candles(self.engine, found.symbol, found.timeframe)
        if warm:
            self._say(f"strategy {found.name}: {warm}", Severity.WARN)
        self._journal("strategy_resume", slot, spec=found.spec, position=str(slot.own_size()))
        failed = await self._launch(entry)
        if failed:
            return 0
        self._say(
            f"strategy {found.name} resumed on {found.symbol} ({_params_text(values)}): own position "
            f"{slot.own_size()} from {len(slot.runner.links)} orders of its own, "
            f"{len(slot.ctx.bars)} bars warm"
        )
        return 1

    async def _launch(self, entry: _Entry) -> str:
        """Warm and start the runner, then its task; why it failed ('' when running)."""
        try:
            await entry.slot.runner.start()
        except StrategyError as err:
            self._fail(entry, str(err))
            return str(err)
        entry.task = asyncio.create_task(self._drive(entry), name=f"strategy-{entry.slot.name}")
        return ""

    async def stop(self, name: str, *, who: str = "user", reason: str = "") -> CommandResult:
        """Stop ``name``: ``on_stop`` runs; its orders and position stay (``kill`` flattens them)."""
        entry = self._entries.get(name)
        if entry is None or entry.slot.state is not StrategyState.RUNNING:
            return CommandResult(False, f"strategy {name} is not running")
        slot = entry.slot
        why = reason or f"stopped by {who}"
        await self._halt(entry, why, graceful=True)
        self._journal("strategy_stop", slot, who=who, reason=why)
        self._say(f"strategy {name} stopped: {why}")
        return CommandResult(True, f"strategy {name} stopped")

    async def kill(self, name: str, *, who: str = "user") -> CommandResult:
        """The kill switch: stop ``name`` at once, cancel its working orders and close exactly its
        own position (from its own fills) at market through the one order path, marked as its
        kill; reduce-only unless the account does not cover it (see :mod:`core.strategy.kill`).
        A close the risk chain refuses marks the strategy failed with the check's reason."""
        entry = self._entries.get(name)
        if entry is None:
            return CommandResult(False, f"no strategy named {name}")
        slot = entry.slot
        # Durable before it acts: a console that dies mid-kill must not bring the strategy back.
        self._journal("strategy_killing", slot, who=who)
        if slot.state is StrategyState.RUNNING:
            await self._halt(entry, f"killed by {who}", graceful=False)
        cancelled, close, plan = await slot.flatten()
        closed = _close_text(close, plan)
        ok = close is None or close.ok
        if close is not None and not close.ok:
            slot.state = StrategyState.FAILED
            slot.reason = f"kill failed: close refused by {close.check or 'the venue'}: {close.message}"
        self._journal(
            "strategy_kill",
            slot,
            who=who,
            cancelled=cancelled,
            close=closed,
            ok=ok,
            reduce_only=plan.reduce_only if plan is not None else None,
        )
        verb = "killed" if ok else "kill FAILED"
        text = f"strategy {name} {verb}: {cancelled} orders cancelled; close: {closed}"
        self._say(text, Severity.INFO if ok else Severity.ERROR)
        return CommandResult(ok, text, close.order_link_id if close is not None else "")

    async def stop_all(self, reason: str) -> int:
        """Stop every running strategy at once (no ``on_stop``: a panic flattens after); the count."""
        running = [e for e in self._entries.values() if e.slot.state is StrategyState.RUNNING]
        for entry in running:
            await self._halt(entry, reason, graceful=False)
            self._journal("strategy_stop", entry.slot, who=reason, reason=reason)
        if running:
            self._say(f"{len(running)} strategies stopped: {reason}", Severity.WARN)
        return len(running)

    async def close(self) -> None:
        """Stop every strategy (the console is closing); their orders and positions stay."""
        await self.stop_all("console closing")
        for entry in self._entries.values():
            entry.slot.release()

    # --- what the console reads --------------------------------------------------------------------
    def snapshots(self) -> list[StrategySnapshot]:
        """Every strategy of the session, running ones first, each in start order."""
        snaps = [e.slot.snapshot(e.slot.strategy.name, e.params) for e in self._entries.values()]
        return sorted(snaps, key=lambda s: s.terminal)

    def get(self, name: str) -> StrategySlot | None:
        """The slot of ``name`` (None when no such strategy ran this session)."""
        entry = self._entries.get(name)
        return entry.slot if entry is not None else None

    def refusal(
        self,
        strategy: str,
        symbol: str,
        params: Sequence[str] = (),
        allocation: Decimal | None = None,
        name: str | None = None,
        timeframe: str = "1m",
    ) -> str:
        """Why :meth:`start` would refuse these arguments now ("" when it would start): the
        console shows it before Enter. Nothing is started or journaled."""
        built = self._checked(strategy, symbol, params, allocation, name, timeframe)
        return built if isinstance(built, str) else ""

    # --- inside -----------------------------------------------------------------------------------
    def _checked(
        self,
        strategy: str,
        symbol: str,
        params: Sequence[str],
        allocation: Decimal | None,
        name: str | None,
        timeframe: str,
    ) -> tuple[Strategy, dict[str, Any]] | str:
        if timeframe not in TIMEFRAMES:  # the candles the engine keeps; any other never closes a bar
            kept = ", ".join(TIMEFRAMES)
            return f"strategy {strategy}: tf={timeframe} is not one of {kept} (the engine's candles)"
        try:
            instance, values = self._build(strategy, params)
            instance.check()
        except (StrategyNotFound, ParamError, TypeError, ValueError) as exc:
            return f"strategy {strategy}: {exc}"
        label = name or instance.name
        return (
            self._refusal(label, symbol, allocation)
            or self._size_refusal(label, symbol, values)
            or self._allocation_refusal(label, symbol, values, allocation)
            or (
                instance,
                values,
            )
        )

    def _build(self, strategy: str, params: Sequence[str]) -> tuple[Strategy, dict[str, Any]]:
        cls = load_strategy_class(strategy_spec(strategy))
        values = resolve(cls.params, params)
        return cls(**values), values

    def _refusal(self, name: str, symbol: str, allocation: Decimal | None) -> str:
        running = self._entries.get(name)
        if running is not None and running.slot.state is StrategyState.RUNNING:
            return f"strategy {name} is already running (give another name with as=NAME)"
        if symbol not in self.engine.instruments:
            return f"strategy {name}: {symbol} is not an instrument of the venue"
        if allocation is not None and allocation <= 0:
            return f"strategy {name}: allocation must be positive, got {allocation}"
        return ""

    def _size_refusal(self, name: str, symbol: str, values: dict[str, Any]) -> str:
        """A ``qty`` the venue would refuse on every order (below its minimum, off its step) is
        refused before the start, not one order at a time after it."""
        inst = self.engine.instruments.get(symbol)
        why = qty_refusal(values, inst) if inst is not None else ""
        return f"strategy {name}: {why}" if why else ""

    def _allocation_refusal(
        self, name: str, symbol: str, values: dict[str, Any], allocation: Decimal | None
    ) -> str:
        """An allocation smaller than one order of the strategy's ``qty`` at the market now would
        refuse every order it opens: refused before the start."""
        qty = values.get("qty")
        if allocation is None or not isinstance(qty, Decimal):
            return ""
        price = self.engine.pretrade.ref_price(symbol)
        if price is None or qty * price <= allocation:
            return ""
        return (
            f"strategy {name}: alloc={allocation} is less than one order: qty {qty} x {price} = "
            f"{qty * price:.2f} USDT; give alloc= of at least that"
        )

    async def _drive(self, entry: _Entry) -> None:
        """The runner's task: a raise marks the strategy failed (journaled, in the log pane)."""
        try:
            await entry.slot.runner.run(self.poll_s)
        except StrategyError as err:
            self._fail(entry, str(err))
        except Exception as exc:
            log.exception("strategy %s failed", entry.slot.name)
            self._fail(entry, f"{type(exc).__name__}: {exc}")

    async def _halt(self, entry: _Entry, reason: str, *, graceful: bool) -> None:
        slot = entry.slot
        slot.state, slot.reason = StrategyState.STOPPED, reason
        task, entry.task = entry.task, None
        if graceful:
            try:
                await slot.runner.stop()
            except StrategyError as err:
                slot.reason = f"{reason}; {err}"
        slot.detach()
        if task is not None and task is not asyncio.current_task():
            # Not cancelled: an order being sent finishes (its outcome known); nothing after it runs.
            await asyncio.gather(task, return_exceptions=True)

    def _fail(self, entry: _Entry, reason: str) -> None:
        slot = entry.slot
        if slot.state is not StrategyState.RUNNING:
            return
        slot.state, slot.reason = StrategyState.FAILED, reason
        slot.detach()
        self._journal("strategy_fail", slot, reason=reason)
        self._say(f"strategy {slot.name} FAILED and stopped: {reason}", Severity.ERROR)

    def _journal(self, kind: str, slot: StrategySlot, **data: Any) -> None:
        alloc = str(slot.allocation) if slot.allocation is not None else None
        self.engine.journal.record(kind, symbol=slot.symbol, name=slot.name, allocation=alloc, **data)

    def _say(self, text: str, severity: Severity = Severity.INFO) -> None:
        self.engine.publisher.log_line(text, severity)


def _close_text(close: CommandResult | None, plan: ClosePlan | None) -> str:
    if close is None or plan is None:
        return "no position of its own to close"
    if not close.ok:
        return f"{plan.describe()} REFUSED: {close.message}"
    return f"{plan.describe()}: {close.message}"


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, bool | int | float | str) else str(v) for k, v in values.items()}


def _params_text(values: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items()) or "no params"


__all__ = ["Portfolio", "StrategySnapshot", "StrategyState", "strategy_spec"]
