"""Where protections live, in the console (on the deterministic fake engine, and once on the real
engine and the sim venue): the header shows the dead-man's switch (``DMS 10s`` armed, ``DMS off``,
``DMS failed``) and warns while protections live only in this process; each position's TP and SL
cells say ``ex`` (the venue holds it) or ``algo`` (an algo of this engine keeps it)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.protections import guards, protective_algos
from console.quitting import quit_notice
from core.api import AlgoSnapshot
from core.engine import Engine
from core.events import DeadMansSwitchChanged
from core.model import Mode, Order, OrderStatus, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_fakes import fake, make_app, real_settings
from tests.support.console_types import SIZE, AppReady, WaitUntil
from widgets.header import HeaderData, StatusLine
from widgets.log_pane import format_event
from widgets.positions import ALGO, EX, STOP_LOSS, TAKE_PROFIT, Guard

D = Decimal
WARNING = "protections in-process: 2 — only while this engine runs"


def _algo(algo_id: str, kind: str, symbol: str, state: str = "running") -> AlgoSnapshot:
    return AlgoSnapshot(
        algo_id, kind, symbol, "", state, D(0), D(1), None, None, "", f"{kind} {symbol}", 0, 0
    )


def _stop(symbol: str, side: Side, trigger: Decimal) -> Order:
    return Order(
        symbol,
        side,
        OrderType.MARKET,
        D("0.5"),
        None,
        f"stop-{symbol}",
        status=OrderStatus.UNTRIGGERED,
        reduce_only=True,
        trigger_price=trigger,
    )


def _header_text(app: TradeConsoleApp) -> str:
    (line,) = app.main.header.status.lines
    return "".join(text for text, _ in line)


async def _refresh(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, TradeConsoleApp)
    await pilot.pause()
    app.refresh_ui(force=True)
    await pilot.pause()


def _cell(app: TradeConsoleApp, symbol: str, column: str) -> str:
    return str(app.main.positions.get_cell(symbol, column)).strip()


async def test_header_shows_the_switch_and_warns_about_in_process_protections() -> None:
    app = make_app()
    engine = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await _refresh(pilot)
        assert "DMS" not in _header_text(app)  # nothing said yet: nothing shown
        engine.store.put_event(DeadMansSwitchChanged(engine.clock.now_ms(), "armed", 10))
        engine.algo_list["a1"] = _algo("a1", "trail", "BTCUSDT")
        engine.algo_list["a2"] = _algo("a2", "bracket", "ETHUSDT")
        engine.algo_list["a3"] = _algo("a3", "twap", "BTCUSDT")  # not a protection
        engine.algo_list["a4"] = _algo("a4", "oco", "BTCUSDT", state="done")  # ended
        await _refresh(pilot)
        text = _header_text(app)
        assert "DMS 10s" in text and WARNING in text, text
        engine.store.put_event(
            DeadMansSwitchChanged(engine.clock.now_ms(), "failed", 10, "venue unreachable")
        )
        await _refresh(pilot)
        assert "DMS failed" in _header_text(app)
        engine.store.put_event(DeadMansSwitchChanged(engine.clock.now_ms(), "off"))
        engine.algo_list.clear()
        await _refresh(pilot)
        text = _header_text(app)
        assert "DMS off" in text and "in-process" not in text, text


async def test_positions_say_where_each_protection_lives() -> None:
    app = make_app()
    engine = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await _refresh(pilot)
        assert _cell(app, "BTCUSDT", "tp") == "52,000.0 ex"  # the position's own TP: the venue's
        assert _cell(app, "BTCUSDT", "sl") == "—"
        stop = _stop("BTCUSDT", Side.SELL, D("48000.0"))
        engine.orders[stop.order_link_id] = stop
        engine.algo_list["a1"] = _algo("a1", "trail", "BTCUSDT")
        engine.algo_list["a2"] = _algo("a2", "bracket", "ETHUSDT")
        await _refresh(pilot)
        assert _cell(app, "BTCUSDT", "sl") == "48,000.0 ex+1"  # a venue stop, and a trailing algo
        assert _cell(app, "ETHUSDT", "tp") == "bracket algo"
        assert _cell(app, "ETHUSDT", "sl") == "3,100.00 ex+1"
        engine.orders.pop(stop.order_link_id)
        await _refresh(pilot)
        assert _cell(app, "BTCUSDT", "sl") == "trail algo"


def test_guards_classify_venue_stops_and_algos() -> None:
    engine = fake(make_app())
    pos = engine.positions
    short_tp = _stop("ETHUSDT", Side.BUY, D("2900.00"))  # below the mark of a short: its take-profit
    same_side = _stop("BTCUSDT", Side.BUY, D("48000.0"))  # adds to the long: protects nothing
    not_reduce = replace(_stop("BTCUSDT", Side.SELL, D("47000.0")), reduce_only=False)
    orders = {o.order_link_id + str(i): o for i, o in enumerate((short_tp, same_side, not_reduce))}
    algos = [_algo("a1", "oco", "BTCUSDT"), _algo("a2", "trail", "ETHUSDT", state="cancelled")]
    got = guards(pos, orders, algos)
    assert got == {
        "BTCUSDT": (Guard(TAKE_PROFIT, ALGO, None, "oco"), Guard(STOP_LOSS, ALGO, None, "oco")),
        "ETHUSDT": (Guard(TAKE_PROFIT, EX, D("2900.00"), "stop"),),
    }


def test_the_venues_trailing_stop_is_an_exchange_stop_loss() -> None:
    pos = fake(make_app()).positions
    pos = {**pos, "BTCUSDT": replace(pos["BTCUSDT"], trailing_stop=D("50.0"))}
    got = guards(pos, {}, [_algo("a1", "trail", "BTCUSDT")])
    assert got["BTCUSDT"] == (Guard(STOP_LOSS, EX, None, "trail"), Guard(STOP_LOSS, ALGO, None, "trail"))


def test_header_forms_shorten_on_a_narrow_terminal() -> None:
    data = HeaderData(symbol="BTCUSDT", dms_state="armed", dms_window_s=10, in_process_protections=3)
    wide = "".join(t for t, _ in StatusLine.build_line(data, 200))
    narrow = "".join(t for t, _ in StatusLine.build_line(data, 40))
    assert "DMS 10s" in wide and "protections in-process: 3 — only while this engine runs" in wide
    assert "in-process: 3" in narrow or "⚠3 algo" in narrow, narrow
    failed = replace(data, dms_state="failed")
    assert "DMS failed" in "".join(t for t, _ in StatusLine.build_line(failed, 40))


async def test_real_engine_arms_the_switch_and_the_header_says_so(
    sim_venue: SimVenueThread, tmp_path: Path, wait_until: WaitUntil, app_ready: AppReady
) -> None:
    base = real_settings(sim_venue, tmp_path)
    settings = base.model_copy(update={"venue": base.venue.model_copy(update={"dead_mans_switch_s": 10})})
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        await wait_until(pilot, lambda: "DMS 10s" in _header_text(app), "DMS 10s in the header")
        assert "in-process" not in _header_text(app)


def test_quit_notice_says_the_switch_will_cancel_the_orders() -> None:
    text = quit_notice(
        Mode.DEMO, embedded_sim=False, venue="", n_orders=2, n_positions=1, dead_mans_switch_s=10
    )
    assert text is not None
    assert "dead-man's switch cancels the working orders 10s after" in text
    assert "orders keep working" not in text and "positions stay open and at risk" in text
    plain = quit_notice(Mode.DEMO, embedded_sim=False, venue="", n_orders=2, n_positions=1)
    assert plain is not None and "orders keep working and can fill" in plain


def test_switch_events_are_the_header_s_not_log_lines() -> None:
    assert format_event(DeadMansSwitchChanged(0, "armed", 10)) is None


def test_a_bracket_waiting_for_its_entry_protects_nothing_yet() -> None:
    """A bracket whose entry has not filled has no exits: a position it did not open (a TWAP's)
    is not shown as guarded by it, and it is not counted as an in-process protection; once the
    entry fills, its exits guard the position."""
    pos = fake(make_app()).positions
    waiting = _algo("a1", "bracket", "BTCUSDT", state="waiting")
    assert guards(pos, {}, [waiting]) == {}
    assert protective_algos([waiting]) == []
    working = replace(waiting, state="running", filled=D("0.05"))
    assert protective_algos([working]) == [working]
    assert guards(pos, {}, [working])["BTCUSDT"] == (
        Guard(TAKE_PROFIT, ALGO, None, "bracket"),
        Guard(STOP_LOSS, ALGO, None, "bracket"),
    )
