"""A deterministic in-memory engine for console tests: seeded market data, a frozen clock,
and simple command semantics. Implements :class:`core.api.EngineAPI`."""

from __future__ import annotations

import ast
import asyncio
import inspect
import math
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.api import (
    AlgoChildPreview,
    AlgoPreview,
    AlgoSnapshot,
    CheckResult,
    CommandResult,
    PanicReport,
    RiskPreview,
)
from core.clock import FrozenClock
from core.config import Settings, load_settings
from core.engine.algo_view import StaticView
from core.engine.order_path import open_order_ids
from core.engine.panic import PanicRunner
from core.events import (
    AlgoUpdated,
    BreakerChanged,
    Connectivity,
    LogLine,
    OrderUpdated,
    PanicProgress,
    PositionUpdated,
    RiskRejected,
    RiskStatus,
    Severity,
)
from core.journal.journal import JournalRecord
from core.model import (
    AccountSnapshot,
    Balance,
    BookLevel,
    BookView,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
    Trade,
    TriggerBy,
)
from core.orders.algos.base import Place
from core.orders.algos.registry import build_algo
from core.store import MarketStore

if TYPE_CHECKING:
    from console.app import TradeConsoleApp
    from core.sim.runner import SimVenueThread

D = Decimal
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _runner_steps(runner: type) -> frozenset[str]:
    """The step names the real panic runner reports: every literal it passes to its ``_step``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.getmodule(runner) or runner)))
    return frozenset(
        call.args[1].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "_step"
        and len(call.args) > 1
        and isinstance(call.args[1], ast.Constant)
        and isinstance(call.args[1].value, str)
    )


REAL_PANIC_STEPS = _runner_steps(PanicRunner)
"""What the fake's panic may report: the real runner's own step names, read from its code."""

MIDS = {"BTCUSDT": D("50000.0"), "ETHUSDT": D("3000.00"), "SOLUSDT": D("150.000")}


def instrument(symbol: str) -> Instrument:
    """Bybit-like filters per symbol."""
    tick = {"BTCUSDT": D("0.1"), "ETHUSDT": D("0.01"), "SOLUSDT": D("0.001")}[symbol]
    step = {"BTCUSDT": D("0.001"), "ETHUSDT": D("0.01"), "SOLUSDT": D("0.1")}[symbol]
    return Instrument(
        symbol=symbol,
        base_coin=symbol.removesuffix("USDT"),
        quote_coin="USDT",
        tick_size=tick,
        qty_step=step,
        min_order_qty=step,
        max_order_qty=D("1000"),
        max_mkt_order_qty=D("100"),
        min_notional=D("5"),
        min_leverage=D("1"),
        max_leverage=D("100"),
        leverage_step=D("0.01"),
    )


def console_settings(mode: str = "sim", **overrides: Any) -> Settings:
    """Settings for console tests (no metrics, default theme pinned)."""
    base: dict[str, Any] = {"metrics": {"enabled": False}, "ui": {"theme": "trade-dark"}}
    base.update(overrides)
    if mode == "sim":
        return load_settings(**base)
    # demo/live need keys; fake ones never leave the process (the fake engine has no venue).
    keys: dict[str, Any] = {f"{mode}_api_key": "TESTKEY", f"{mode}_api_secret": "TESTSECRET"}
    return load_settings(allow_live=True, mode=mode, **keys, **base)


def seed_market(store: MarketStore, clock: FrozenClock, symbols: tuple[str, ...] = tuple(MIDS)) -> None:
    """A fixed book, ticker, price series and trade tape per symbol."""
    for sym in symbols:
        mid = MIDS[sym]
        inst = instrument(sym)
        tick = inst.tick_size
        half = tick * 5
        step = tick * 10
        bids = tuple(BookLevel(mid - half - step * i, D(str(0.5 + ((i * 37) % 11) / 4))) for i in range(30))
        asks = tuple(BookLevel(mid + half + step * i, D(str(0.4 + ((i * 53) % 13) / 4))) for i in range(30))
        store.put_book(BookView(sym, bids, asks, update_id=1, seq=1, ts_ms=clock.now_ms() - 200))
        for i in range(120):
            px = mid * D(str(round(1 + 0.004 * math.sin(i / 9) + 0.001 * math.cos(i / 3), 6)))
            px = px.quantize(tick)
            store.put_ticker(Ticker(sym, px, px, px, px - half, px + half, ts_ms=T0 - (120 - i) * 1000))
        store.put_ticker(Ticker(sym, mid, mid, mid, mid - half, mid + half, ts_ms=clock.now_ms()))
        store.put_trades(
            [
                Trade(
                    sym,
                    Side.BUY if (i * 7) % 3 else Side.SELL,
                    (mid + tick * ((i * 13) % 9 - 4)).quantize(tick),
                    D(str(round(0.01 + ((i * 29) % 17) / 100, 3))),
                    T0 - (40 - i) * 1500,
                    f"t{i}",
                )
                for i in range(40)
            ]
        )


class FakeEngine:
    """EngineAPI with deterministic state; ``calls`` records every command."""

    def __init__(self, settings: Settings | None = None, clock: FrozenClock | None = None) -> None:
        self.settings = settings or console_settings()
        self.clock = clock or FrozenClock(T0)
        self.store = MarketStore()
        self._instruments = {s: instrument(s) for s in MIDS}
        self.calls: list[tuple[str, Any]] = []
        self.started = False
        self.metrics_started = False
        """Whether the metrics/health server was started (at start or after the first frame)."""
        self.held: tuple[str, ...] = ()
        """Symbols whose venue is down (a test sets them; none by default)."""
        self.stopped = False
        self.notes: list[JournalRecord] = []
        self.block_notional_over = self.settings.risk.max_order_notional
        self.panic_delay = 0.0
        self._n = 0
        self.balance = Balance("USDT", D("100000"), D("100250.50"), D("93120.10"), D("250.50"), D("6880.40"))
        self.positions: dict[str, Position] = {
            "BTCUSDT": Position(
                "BTCUSDT",
                Side.BUY,
                D("0.500"),
                D("49500.0"),
                D("50000.0"),
                D("250.00"),
                leverage=D("10"),
                liq_price=D("45050.0"),
                take_profit=D("52000.0"),
                position_im=D("2475"),
            ),
            "ETHUSDT": Position(
                "ETHUSDT",
                Side.SELL,
                D("2.00"),
                D("3010.00"),
                D("3000.00"),
                D("20.00"),
                leverage=D("5"),
                liq_price=D("3580.00"),
                stop_loss=D("3100.00"),
            ),
        }
        self.orders: dict[str, Order] = {}
        self._add_order(Side.BUY, "BTCUSDT", D("0.100"), D("49995.5"), created=T0 - 65_000)
        self._add_order(Side.SELL, "BTCUSDT", D("0.050"), D("50005.5"), created=T0 - 5_000, ro=True)
        self._add_order(Side.BUY, "SOLUSDT", D("10.0"), D("145.000"), created=T0 - 3_600_000)
        self.breakers: dict[str, tuple[str, str]] = {
            "daily_loss": ("closed", ""),
            "min_balance": ("closed", ""),
            "exposure": ("closed", ""),
            "api_failures": ("closed", ""),
        }
        self.algo_list: dict[str, AlgoSnapshot] = {}
        seed_market(self.store, self.clock)
        for ev in (
            Connectivity(T0 - 3000, "public", "up"),
            Connectivity(T0 - 3000, "private", "up"),
            LogLine(T0 - 2000, "engine started: mode=sim symbols=BTCUSDT,ETHUSDT,SOLUSDT"),
            LogLine(T0 - 1000, "REJECTED BTCUSDT by price_band: 60000 is 20.0% from mark 50000 (band 5%)"),
        ):
            self.store.put_event(ev)

    # --- helpers ------------------------------------------------------------------------
    def _add_order(
        self, side: Side, symbol: str, qty: Decimal, price: Decimal | None, *, created: int, ro: bool = False
    ) -> Order:
        self._n += 1
        link = f"tc-{self._n:04d}"
        o = Order(
            symbol,
            side,
            OrderType.LIMIT if price is not None else OrderType.MARKET,
            qty,
            price,
            link,
            order_id=f"o{self._n}",
            status=OrderStatus.NEW,
            reduce_only=ro,
            created_ms=created,
            updated_ms=created,
        )
        self.orders[link] = o
        return o

    # --- EngineAPI ----------------------------------------------------------------------
    @property
    def instruments(self) -> dict[str, Instrument]:
        """Fixed instruments."""
        return self._instruments

    def held_symbols(self) -> tuple[str, ...]:
        """The symbols a test said are down (none: a venue without parts)."""
        return self.held

    async def start(self, *, metrics: bool = True) -> None:
        """Nothing to connect."""
        self.started = True
        self.metrics_started = metrics

    async def start_metrics(self) -> None:
        """No server: remembered."""
        self.metrics_started = True

    async def stop(self) -> None:
        """Nothing to disconnect."""
        self.stopped = True

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Bybit's base-tier rates."""
        return Decimal("0.00055"), Decimal("0.0002")

    def preview(self, request: OrderRequest, *, amending: str | None = None) -> RiskPreview:
        """Notional/IM/fee from the request; max_order_notional is the one check that can block."""
        mark = MIDS[request.symbol]
        px = request.price or request.trigger_price or mark
        notional = request.qty * px
        lev = D("10")
        limit = self.block_notional_over
        ok = notional <= limit
        checks = (
            CheckResult("mode", True),
            CheckResult(
                "max_order_notional",
                ok,
                "" if ok else f"order notional {notional:.2f} > max_order_notional {limit}",
            ),
            CheckResult("price_band", True),
        )
        liq = px * (1 - 1 / lev) if request.side is Side.BUY else px * (1 + 1 / lev)
        loss = abs(px - request.stop_loss) * request.qty if request.stop_loss else None
        return RiskPreview(
            request.symbol,
            request.qty,
            request.price,
            notional,
            notional / lev,
            notional * D("0.00055"),
            liq.quantize(D("0.1")),
            loss,
            checks,
        )

    async def place(self, request: OrderRequest) -> CommandResult:
        """Accept the order as New."""
        self.calls.append(("place", request))
        p = self.preview(request)
        if not p.allowed:
            b = p.blocking
            assert b is not None
            self.store.put_event(RiskRejected(self.clock.now_ms(), request.symbol, "", b.check, b.reason))
            return CommandResult(False, f"blocked by {b.check}: {b.reason}", check=b.check)
        o = self._add_order(
            request.side,
            request.symbol,
            request.qty,
            request.price,
            created=self.clock.now_ms(),
            ro=request.reduce_only,
        )
        self.store.put_event(OrderUpdated(self.clock.now_ms(), o), wake=True)
        return CommandResult(True, f"order {o.order_link_id} accepted", order_link_id=o.order_link_id)

    async def amend(
        self,
        order_link_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        expect: Order | None = None,
    ) -> CommandResult:
        """Change price/qty/trigger (recorded as ``(link, qty, price)`` plus the trigger when given;
        ``expect`` is remembered in :attr:`amend_expected`)."""
        self.amend_expected = expect
        args = (
            (order_link_id, qty, price)
            if trigger_price is None
            else (order_link_id, qty, price, trigger_price)
        )
        self.calls.append(("amend", args))
        o = self.orders.get(order_link_id)
        if o is None:
            return CommandResult(False, f"unknown order {order_link_id}", ret_code=110001)
        o = replace(
            o, qty=qty or o.qty, price=price or o.price, trigger_price=trigger_price or o.trigger_price
        )
        self.orders[order_link_id] = o
        self.store.put_event(OrderUpdated(self.clock.now_ms(), o))
        return CommandResult(True, f"order {order_link_id} amended", order_link_id=order_link_id)

    async def cancel(self, order_link_id: str) -> CommandResult:
        """Remove one order."""
        self.calls.append(("cancel", order_link_id))
        o = self.orders.pop(order_link_id, None)
        if o is None:
            return CommandResult(False, f"unknown order {order_link_id}", ret_code=110001)
        self.store.put_event(OrderUpdated(self.clock.now_ms(), replace(o, status=OrderStatus.CANCELLED)))
        return CommandResult(True, f"order {order_link_id} cancelled", order_link_id=order_link_id)

    async def cancel_all(
        self, symbol: str | None = None, *, expect: frozenset[str] | None = None
    ) -> CommandResult:
        """Remove every order (refused, like the engine, when ``expect`` is not the open set)."""
        if expect is not None and open_order_ids(self.orders.values(), symbol) != expect:
            self.calls.append(("cancel_all_refused", symbol))
            return CommandResult(False, "orders changed since shown")
        self.calls.append(("cancel_all", symbol))
        n = len(self.orders)
        self.orders.clear()
        return CommandResult(True, f"cancelled {n} order(s)")

    async def close_position(
        self, symbol: str, fraction: Decimal = D(1), *, expect: tuple[Side, Decimal] | None = None
    ) -> CommandResult:
        """Flatten one position (recorded as the symbol), or reduce it by ``fraction``."""
        if fraction != 1:
            self.calls.append(("close_position", (symbol, fraction)))
            part = self.positions.get(symbol)
            if part is None:
                return CommandResult(False, f"no position in {symbol}")
            self.positions[symbol] = replace(part, size=part.size - part.size * fraction)
            return CommandResult(True, f"{symbol} reduced by {fraction}")
        self.calls.append(("close_position", symbol))
        p = self.positions.pop(symbol, None)
        if p is None:
            return CommandResult(False, f"no position in {symbol}")
        self.store.put_event(PositionUpdated(self.clock.now_ms(), replace(p, side=None, size=D(0))))
        return CommandResult(True, f"{symbol} closed")

    async def flatten_all(self) -> CommandResult:
        """Flatten everything."""
        self.calls.append(("flatten_all", None))
        n = len(self.positions)
        self.positions.clear()
        return CommandResult(True, f"closed {n} position(s)")

    def _panic_step(self, run: list[str], step: str, detail: str, *, done: bool = False) -> None:
        assert step in REAL_PANIC_STEPS, f"the real panic runner has no step {step!r}"
        run.append(f"{step}: {detail}")
        progress = PanicProgress(self.clock.now_ms(), step, detail, done=done, flat=done)
        self.store.put_event(progress, wake=True)

    async def panic(self) -> PanicReport:
        """A clean panic as the real runner reports it (its step names): start, algos, cancel, one
        close per position, done flat."""
        self.calls.append(("panic", None))
        run: list[str] = []
        n_orders, positions = len(self.orders), list(self.positions.values())
        self._panic_step(run, "start", f"{n_orders} orders, {len(positions)} positions")
        self._panic_step(run, "algos", "0 algos stopped")
        if self.panic_delay:
            await asyncio.sleep(self.panic_delay)
        self.orders.clear()
        if n_orders:
            self._panic_step(run, "cancel", f"cancelled {n_orders} orders")
        for pos in positions:
            self._panic_step(run, "close", f"{pos.symbol} {pos.side} {pos.size}: {pos.symbol} closed")
        self.positions.clear()
        self._panic_step(run, "done", "FLAT: no open orders, no positions", done=True)
        return PanicReport(True, tuple(run), n_orders, len(positions), 0.12)

    def stop_panic(self, reason: str = "stopped by the trader") -> bool:
        """Nothing to stop: the fake panic finishes at once."""
        self.calls.append(("stop_panic", reason))
        return False

    async def reset_breaker(self, name: str, who: str = "user", reason: str = "") -> CommandResult:
        """Reset one breaker."""
        self.breakers[name] = ("closed", "")
        said = f": {reason}" if reason else ""
        self.store.put_event(BreakerChanged(self.clock.now_ms(), name, "closed", f"reset by {who}{said}"))
        return CommandResult(True, f"{name} reset")

    async def set_leverage(self, symbol: str, leverage: Decimal) -> CommandResult:
        """Accept (recorded)."""
        self.calls.append(("set_leverage", (symbol, leverage)))
        return CommandResult(True, f"{symbol} leverage {leverage}x")

    async def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        expect: tuple[Side, Decimal] | None = None,
    ) -> CommandResult:
        """Apply to the fake position (0 removes; recorded; refused when ``expect`` differs)."""
        self.calls.append(("set_trading_stop", (symbol, take_profit, stop_loss, trigger_by)))
        p = self.positions.get(symbol)
        if p is None:
            return CommandResult(False, f"no open position in {symbol}", check="position")
        if expect is not None and (p.side, p.size) != expect:
            return CommandResult(False, "position changed since shown", check="position_changed")
        tp = p.take_profit if take_profit is None else (take_profit or None)
        sl = p.stop_loss if stop_loss is None else (stop_loss or None)
        self.positions[symbol] = replace(p, take_profit=tp, stop_loss=sl)
        return CommandResult(True, f"{symbol} TP {tp} SL {sl}")

    async def margin_mode(self) -> str:
        """A unified account in cross margin."""
        return "cross"

    async def set_trailing_stop(
        self, symbol: str, distance: Decimal, activation: Decimal | None = None
    ) -> CommandResult:
        """The venue's trailing stop (recorded)."""
        self.calls.append(("set_trailing_stop", symbol))
        if symbol not in self.positions:
            return CommandResult(False, f"no open position in {symbol}", check="position")
        return CommandResult(True, f"Trailing stop set: {symbol} {distance}")

    async def breakeven(
        self, symbol: str, *, trigger_by: TriggerBy = TriggerBy.MARK, expect: Decimal | None = None
    ) -> CommandResult:
        """Stop to the entry price (recorded)."""
        self.calls.append(("breakeven", symbol))
        p = self.positions.get(symbol)
        if p is None:
            return CommandResult(False, f"no open position in {symbol}", check="position")
        self.positions[symbol] = replace(p, stop_loss=p.entry_price)
        return CommandResult(True, f"{symbol} SL {p.entry_price}")

    def account(self) -> AccountSnapshot:
        """Current fake account."""
        return AccountSnapshot(self.balance, dict(self.positions), dict(self.orders))

    def position(self, symbol: str) -> Position | None:
        """The fake account's position in ``symbol``."""
        return self.positions.get(symbol)

    def journal_note(self, kind: str, *, symbol: str = "", data: Mapping[str, Any]) -> None:
        """Keep the record in memory (the fake has no journal file)."""
        seq = len(self.notes) + 1
        self.notes.append(JournalRecord(seq, self.clock.now_ms(), kind, symbol, "", dict(data)))

    def journal_notes(self, kinds: tuple[str, ...]) -> list[JournalRecord]:
        """The records kept, of ``kinds``."""
        return [r for r in self.notes if r.kind in kinds]

    def risk_status(self) -> RiskStatus:
        """Fixed usage figures."""
        return RiskStatus(
            daily_loss=D("1250"),
            daily_loss_limit=self.settings.breakers.daily_loss_limit,
            gross_exposure=D("31000"),
            gross_exposure_cap=self.settings.risk.max_gross_exposure,
            margin_use_pct=D("6.86"),
            breakers=dict(self.breakers),
            rate_headroom={"order": 0.95, "position": 1.0, "account": 0.4},
            daily_pnl=D("-1250"),
        )

    # --- algos: validated by the real algo classes, kept as snapshots ------------------------------
    async def start_algo(self, kind: str, params: Mapping[str, Any]) -> CommandResult:
        """Validate with the real algo class and keep a running snapshot (recorded)."""
        self.calls.append(("start_algo", (kind, dict(params))))
        algo_id = f"a{len(self.algo_list) + 1}"
        try:
            algo = build_algo(kind, algo_id, params)
        except ValueError as err:
            return CommandResult(False, str(err), check="params")
        side = getattr(algo, "side", "")
        self.algo_list[algo_id] = AlgoSnapshot(
            algo_id, kind, algo.symbol, getattr(side, "value", str(side or "")), "running",
            D(0), D(str(params.get("qty", "0"))), None, None, "", algo.describe(), self.clock.now_ms(), 0,
        )  # fmt: skip
        self.store.put_event(AlgoUpdated(self.clock.now_ms(), algo_id, "running"), wake=True)
        return CommandResult(True, f"algo {algo_id} started: {algo.describe()}", algo_id)

    def _algo_state(self, op: str, algo_id: str, state: str) -> CommandResult:
        self.calls.append((op, algo_id))
        snap = self.algo_list.get(algo_id)
        if snap is None or snap.terminal:
            return CommandResult(False, f"no running algo {algo_id}", algo_id)
        self.algo_list[algo_id] = replace(snap, state=state)
        self.store.put_event(AlgoUpdated(self.clock.now_ms(), algo_id, state), wake=True)
        return CommandResult(True, f"algo {algo_id} {state}", algo_id)

    async def pause_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Mark it paused (recorded)."""
        return self._algo_state("pause_algo", algo_id, "paused")

    async def resume_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Mark it running (recorded)."""
        return self._algo_state("resume_algo", algo_id, "running")

    async def cancel_algo(self, algo_id: str, who: str = "user") -> CommandResult:
        """Mark it cancelled (recorded)."""
        return self._algo_state("cancel_algo", algo_id, "cancelled")

    def algos(self) -> list[AlgoSnapshot]:
        """The snapshots, in start order."""
        return list(self.algo_list.values())

    def preview_algo(self, kind: str, params: Mapping[str, Any]) -> AlgoPreview:
        """The real algo's first Places (on a market-less view), each through :meth:`preview`."""
        try:
            algo = build_algo(kind, "preview", params)
        except ValueError as err:
            return AlgoPreview(kind, error=str(err))
        return AlgoPreview(kind, algo.describe(), tuple(self._child_previews(algo)))

    def _child_previews(self, algo: Any) -> list[AlgoChildPreview]:
        view = StaticView(self.clock.now_ms, self.store, self._instruments, self.positions, self.orders)
        out: list[AlgoChildPreview] = []
        for action in algo.start(view):
            if isinstance(action, Place):
                out.append(AlgoChildPreview(action.tag, action.request, self.preview(action.request)))
        return out

    def log(self, message: str, severity: Severity = Severity.INFO) -> None:
        """Queue a log line."""
        self.store.put_event(LogLine(self.clock.now_ms(), message, severity))


def make_app(mode: str = "sim", *, refresh: bool = False, **overrides: Any) -> TradeConsoleApp:
    """A console on the deterministic fake engine."""
    from console.app import TradeConsoleApp

    settings = console_settings(mode, **overrides)
    engine = FakeEngine(settings)
    return TradeConsoleApp(engine, settings, clock=engine.clock, refresh=refresh)


def fake(app: TradeConsoleApp) -> FakeEngine:
    """The app's fake engine, typed."""
    assert isinstance(app.engine, FakeEngine)
    return app.engine


def amends(app: TradeConsoleApp) -> list[object]:
    """The arguments of every amend the app sent to its fake engine."""
    return [args for name, args in fake(app).calls if name == "amend"]


def real_settings(venue: SimVenueThread, tmp_path: Path) -> Settings:
    """Settings for a real engine on ``venue`` with a private journal and metrics off."""
    return load_settings(
        sim=venue.settings.model_copy(update={"port": venue.port}),
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        ui={"theme": "trade-dark"},
    )
