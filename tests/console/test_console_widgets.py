"""Widget and bridge logic without a screen: layout lines, event formatting, table diffing,
ticket validation, theme variables, and the bridge's skip-unchanged-frames behaviour."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from textual.app import App, ComposeResult

from console.bridge import UIBridge
from console.keymap import BINDING_IDS
from core.events import (
    BreakerChanged,
    FillReceived,
    LogLine,
    PanicProgress,
    RiskRejected,
    RiskStatus,
    Severity,
    VenueRejected,
)
from core.model import BookLevel, BookView, Fill, Side
from tests.support.console_fakes import T0, FakeEngine
from themes import THEME_VARIABLE_DEFAULTS, THEMES
from widgets.fmt import fmt_age, fmt_compact, fmt_dec, fmt_pct
from widgets.ladder import OrderLadder
from widgets.log_pane import format_event
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable
from widgets.risk_meters import RiskMeters, level_class

D = Decimal


def book() -> BookView:
    bids = tuple(BookLevel(D("100") - i, D("1") + i) for i in range(5))
    asks = tuple(BookLevel(D("101") + i, D("2")) for i in range(5))
    return BookView("BTCUSDT", bids, asks, 1, 1, T0)


def test_ladder_layout_best_levels_own_orders_and_stale() -> None:
    lad = OrderLadder()
    lad.symbol = "BTCUSDT"
    lad._book = book()
    lad._own = {D("99"): [(Side.BUY, D("0.5"))]}
    lines = lad.build_lines(height=12, width=40)
    classes = [[cls for _, cls in line] for line in lines]
    texts = ["".join(t for t, _ in line) for line in lines]
    spread = next(i for i, t in enumerate(texts) if "spread" in t)
    assert "ladder--best-ask" in classes[spread - 1] and "ladder--best-bid" in classes[spread + 1]
    assert "101.00" in texts[spread - 1] and "100.00" in texts[spread + 1]
    assert any("◆B0.5" in t for t in texts)
    lad._book = BookView("BTCUSDT", book().bids, book().asks, 1, 1, T0, stale=True)
    assert any("STALE" in "".join(t for t, _ in ln) for ln in lad.build_lines(12, 40))
    lad._book = None
    assert "waiting" in "".join(t for t, _ in lad.build_lines(12, 40)[1])


def test_event_lines_name_check_and_numbers() -> None:
    assert format_event(RiskRejected(T0, "BTCUSDT", "x", "price_band", "60000 > bound 52500")) == (
        "00:00:00 REJECTED BTCUSDT by price_band: 60000 > bound 52500"
    )
    assert "retCode 10001" in (format_event(VenueRejected(T0, "BTCUSDT", "x", 10001, "bad qty")) or "")
    fill = Fill("BTCUSDT", Side.BUY, D("0.1"), D("50000"), D("2.75"), "e", "o", "l", False, T0)
    assert "FILL BTCUSDT Buy 0.1 @ 50,000 (taker, fee 2.7500)" in (format_event(FillReceived(T0, fill)) or "")
    inst = FakeEngine().instruments["BTCUSDT"]
    assert "FILL BTCUSDT Buy 0.100 @ 50,000.0 (taker" in (format_event(FillReceived(T0, fill), inst) or "")
    assert "BREAKER daily_loss open: loss 5001 > 5000" in (
        format_event(BreakerChanged(T0, "daily_loss", "open", "loss 5001 > 5000")) or ""
    )
    assert (format_event(PanicProgress(T0, "done", "ok", done=True, flat=True)) or "").endswith("FLAT")
    assert "WARN hello" in (format_event(LogLine(T0, "hello", Severity.WARN)) or "")


async def test_diff_tables_touch_only_changed_cells() -> None:
    eng = FakeEngine()

    class Host(App[None]):
        def get_theme_variable_defaults(self) -> dict[str, str]:
            return dict(THEME_VARIABLE_DEFAULTS)

        def compose(self) -> ComposeResult:
            yield PositionsTable(id="p")
            yield OrdersTable(id="o")

    app = Host()
    async with app.run_test() as pilot:
        pos = app.query_one(PositionsTable)
        orders = app.query_one(OrdersTable)
        insts = eng.instruments
        assert pos.update_positions(eng.positions, insts) == 2
        assert pos.update_positions(eng.positions, insts) == 0, "unchanged data costs nothing"
        p = eng.positions["BTCUSDT"]
        from dataclasses import replace

        moved = dict(eng.positions, BTCUSDT=replace(p, mark_price=D("50100"), unrealised_pnl=D("300")))
        ops = pos.update_positions(moved, insts)
        assert 0 < ops <= 4
        assert orders.update_orders(eng.orders, T0, insts) == 3
        assert orders.update_orders(eng.orders, T0, insts) == 0
        assert orders.update_orders(eng.orders, T0 + 61_000, insts) > 0  # ages move
        one = dict(list(eng.orders.items())[:1])
        orders.update_orders(one, T0, insts)
        assert orders.row_count == 1
        await pilot.pause()


def test_risk_meter_levels_and_breakers() -> None:
    assert (
        level_class(10) == "risk--ok" and level_class(60) == "risk--warn" and level_class(95) == "risk--hot"
    )
    rm = RiskMeters()
    status = RiskStatus(
        D("4500"),
        D("5000"),
        D("10"),
        D("100"),
        D("1"),
        {"daily_loss": ("open", "loss 5001 > 5000"), "min_balance": ("closed", "")},
        {"order": 0.1},
    )
    rm._status = status
    lines = rm.build_lines(60, 20)
    text = ["".join(t for t, _ in ln) for ln in lines]
    assert any("daily loss" in t and "90.0%" in t for t in text)
    assert any("✖ daily_loss TRIPPED  loss 5001 > 5000" in t for t in text)
    assert any("● min_balance ok" in t for t in text)
    compact = ["".join(t for t, _ in ln) for ln in rm.build_lines(60, 4)]
    assert any("TRIPPED" in t for t in compact) and not any("min_balance" in t for t in compact)


def test_rate_line_names_tight_groups_and_calms_down_when_idle() -> None:
    rm = RiskMeters()
    base = RiskStatus(D("0"), D("5000"), D("0"), D("100"), D("0"), {}, {})
    rm._status = replace(
        base, rate_headroom={"order.create": 0.3, "position.list": 0.95, "account.info": 1.0}
    )
    text = ["".join(t for t, _ in ln) for ln in rm.build_lines(80, 20)]
    assert any("order.create 30%" in t for t in text)
    rm._status = replace(base, rate_headroom={"order.create": 1.0, "account.info": 0.98})
    text = ["".join(t for t, _ in ln) for ln in rm.build_lines(80, 20)]
    assert any("all 2 groups ≥ 90%" in t for t in text) and not any("order.create" in t for t in text)


def test_formatting_helpers() -> None:
    assert fmt_dec(D("1234.5"), 2, sign=True) == "+1,234.50"
    assert fmt_dec(None) == "—"
    assert fmt_pct(D("-1.234"), 1) == "-1.2%"
    assert fmt_age(65_000) == "1m" and fmt_age(500) == "0.5s"
    assert fmt_compact(D("1000000")) == "1.00M" and fmt_compact(D("31000")) == "31.0k"


def test_every_theme_defines_the_trading_variables() -> None:
    for theme in THEMES.values():
        missing = set(THEME_VARIABLE_DEFAULTS) - set(theme.variables)
        assert not missing, (theme.name, missing)
    assert "trade-ansi" in THEMES and THEMES["trade-ansi"].ansi


def test_binding_ids_cover_the_trading_actions() -> None:
    """Every action a trader may remap has a binding id (unknown ids are refused by the config check)."""
    assert {
        "panic",
        "buy",
        "sell",
        "amend",
        "cancel",
        "cancel_all",
        "close_position",
        "help",
        "quit",
    } <= BINDING_IDS


def test_bridge_skips_unchanged_frames_and_refreshes_tables_at_table_hz() -> None:
    eng = FakeEngine()
    bridge = UIBridge(eng, eng.clock, refresh_hz=10, table_hz=2)
    bridge.symbol = "BTCUSDT"
    first = bridge.tick()
    assert first is not None and first.events and first.market and first.account
    frames = [bridge.tick() for _ in range(10)]
    assert sum(1 for f in frames if f is not None) == 2, "only table ticks (every 5th) produce frames"
    eng.store.put_event(LogLine(T0, "x"))
    f = bridge.tick()
    assert f is not None and [type(e) for e in f.events] == [LogLine]
    assert bridge.feed_age_s(eng.store.book("BTCUSDT")) == 0.2
    assert bridge.session_pnl() == 0


def test_no_secret_in_any_snapshot() -> None:
    """Demo/live snapshots are built with keys; none of them (nor the sim secret) is ever drawn."""
    from pathlib import Path

    from core.config import SIM_API_SECRET

    svgs = list((Path(__file__).parent / "__snapshots__").rglob("*.svg"))
    assert svgs
    for svg in svgs:
        text = svg.read_text()
        for secret in ("TESTSECRET", "TESTKEY", SIM_API_SECRET):
            assert secret not in text, (svg.name, secret)
