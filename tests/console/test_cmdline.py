"""The command line on the deterministic fake engine: bursts, refusals in place, history, aliases,
non-order commands. (Orders reaching a real venue: test_cmdline_engine.py.)"""

from __future__ import annotations

from decimal import Decimal

from textual.pilot import Pilot
from textual.widgets import Static

from console.app import TradeConsoleApp
from console.screens.cmdline import CommandLine
from console.screens.modals import HelpScreen
from core.model import OrderType, Side
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE, Keys
from widgets.log_pane import EventLog


def places(app: TradeConsoleApp) -> list[object]:
    return [req for kind, req in fake(app).calls if kind == "place"]


def summary(app: TradeConsoleApp) -> str:
    return str(app.screen.query_one("#cmd-summary", Static).render())


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_burst_after_colon_lands_in_the_command_line_and_enter_sends(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":buy 0.01 @ 49000"), "enter")
        await settle(pilot)
        assert not isinstance(app.screen, CommandLine)
        (req,) = places(app)
        assert (req.side, req.qty, req.price, req.order_type) == (  # type: ignore[attr-defined]
            Side.BUY, Decimal("0.01"), Decimal("49000"), OrderType.LIMIT,
        )  # fmt: skip
        assert req.source == "cmdline"  # type: ignore[attr-defined]
        assert any("cmd: buy 0.01 @ 49000" in line for line in app.main.query_one(EventLog).history)


async def test_the_preview_is_the_ticket_preview_and_nothing_sends_before_enter(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":sell $500 @ +0.1%"))
        screen = app.screen
        assert isinstance(screen, CommandLine)
        assert screen.plan is not None and screen.plan.ready
        # best ask 50000.5 x 1.001 = 50050.5005 -> 50050.6 (up for a sell); $500 / 50050.6 -> 0.009
        assert summary(app) == "Enter: SELL 0.009 BTCUSDT LIMIT @ 50,050.6"
        detail = str(screen.query_one("#cmd-detail", Static).render())
        assert "best ask 50,000.5 +0.1%" in detail and "notional" in detail and "READY" in detail
        await pilot.pause(0.6)  # the plan follows the market, but never sends by itself
        assert places(app) == []
        await pilot.press("escape")
        await settle(pilot)
        assert places(app) == [] and not isinstance(app.screen, CommandLine)


async def test_a_decimal_comma_is_refused_in_place(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":buy 0,01"))
        assert "use . as the decimal point" in summary(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CommandLine), "a refused line stays open"
        assert "not sent" in summary(app) and "use . as the decimal point" in summary(app)
        assert places(app) == []


async def test_an_unknown_word_or_a_bare_number_never_sends(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for line in ("buy 0.01 now", "95000", "buy 0.01 @ 49000 @ 48000", "buy 0.01 post"):
            await pilot.press(":", *keys(line), "enter")
            await settle(pilot)
            assert isinstance(app.screen, CommandLine)
            assert "not sent" in summary(app), line
            await pilot.press("escape")
        assert fake(app).calls == []


async def test_a_blocked_preview_does_not_send(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":buy 100"), "enter")  # 5M notional > max_order_notional
        await settle(pilot)
        assert isinstance(app.screen, CommandLine)
        assert "max_order_notional" in summary(app)
        assert places(app) == []


async def test_history_recalls_lines_with_up_and_down(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":buy 0.01 @ 49000"), "enter")
        await settle(pilot)
        await pilot.press(*keys(":sym eth"), "enter")
        await settle(pilot)
        assert app.symbol == "ETHUSDT"
        await pilot.press(*keys(":draft"))
        screen = app.screen
        assert isinstance(screen, CommandLine)
        await pilot.press("up")
        assert screen.input.value == "sym eth"
        await pilot.press("up", "up")
        assert screen.input.value == "buy 0.01 @ 49000"
        await pilot.press("down", "down")
        assert screen.input.value == "draft"
        await pilot.press("up", "up", "enter")  # recalled line, for the symbol shown now
        await settle(pilot)
        reqs = places(app)
        assert len(reqs) == 2 and reqs[1].symbol == "ETHUSDT" and reqs[1].price == Decimal("49000")  # type: ignore[attr-defined]


async def test_close_percent_cancel_all_leverage_and_breakeven_run_through_the_engine(keys: Keys) -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":close 50%"))
        assert summary(app) == "Enter: SELL 0.250 BTCUSDT MARKET reduce-only"  # long 0.500
        await pilot.press("enter")
        await settle(pilot)
        assert eng.calls == [("close_position", ("BTCUSDT", Decimal("0.5")))]
        await pilot.press(*keys(":cancel all sol"))
        assert summary(app) == "Enter: CANCEL ALL 1 working order(s) on SOLUSDT"
        await pilot.press("enter")
        await settle(pilot)
        assert eng.calls[-1] == ("cancel_all", "SOLUSDT")
        await pilot.press(*keys(":lev 5"), "enter")
        await settle(pilot)
        assert any(
            "leverage BTCUSDT 5x: BTCUSDT leverage 5x" in line
            for line in app.main.query_one(EventLog).history
        )
        await pilot.press(*keys(":be eth"))
        assert summary(app) == "Enter: ETHUSDT short 2.00: STOP LOSS -> 3,010.00 (entry) (now 3,100.00)"
        await pilot.press("enter")
        await settle(pilot)
        assert eng.calls[-1] == ("breakeven", "ETHUSDT")


async def test_breakeven_is_refused_in_place_when_not_in_profit(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys(":be sol"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, CommandLine)
        assert "not sent — be: no open position in SOLUSDT" in summary(app)
        assert fake(app).calls == []


async def test_an_alias_key_prefills_the_command_line_and_needs_enter() -> None:
    app = make_app(aliases={"f1": "buy risk 0.5% stop -1%", "f2": "buy 0,5", "b": "sell 1"})
    async with app.run_test(size=SIZE) as pilot:
        log = app.main.query_one(EventLog).history
        assert any("[aliases] f2" in line and "use . as the decimal point" in line for line in log)
        assert any("[aliases] b: the key is already bound" in line for line in log)
        await pilot.press("f1")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        assert screen.input.value == "buy risk 0.5% stop -1%"
        assert screen.plan is not None and screen.plan.ready
        # equity 100,250.50 x 0.5% = 501.2525; entry = best ask 50000.5, stop 49500.5 (-1%, to tick)
        # per contract 500 + 0.00055 x 99501 = 554.72555 -> 0.903
        assert summary(app) == "Enter: BUY 0.903 BTCUSDT MARKET SL 49,500.5"
        await pilot.pause(0.6)
        assert places(app) == []
        await pilot.press("enter")
        await settle(pilot)
        (req,) = places(app)
        assert req.qty == Decimal("0.903") and req.stop_loss == Decimal("49500.5")  # type: ignore[attr-defined]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.help_text()
        assert "buy risk 0.5% stop -1%" in help_text and "command_line" in help_text
        assert "f2" not in help_text.split("ALIASES")[1]


async def test_risk_sizing_prices_fees_at_the_accounts_own_taker_rate(keys: Keys) -> None:
    """The resolver takes the engine's fee rate for the symbol, not a hard-coded base tier: a
    dearer taker rate sizes the same risk smaller."""
    sizes = {}
    for taker in (Decimal("0.00055"), Decimal("0.01")):
        app = make_app()

        def rates(symbol: str, taker: Decimal = taker) -> tuple[Decimal, Decimal]:
            return taker, Decimal("0.0002")

        fake(app).fee_rates = rates  # type: ignore[method-assign]
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*keys(":buy risk $200 stop 49000 @ 50000"))
            screen = app.screen
            assert isinstance(screen, CommandLine)
            assert screen.plan is not None and screen.plan.ready, screen.plan
            sizes[taker] = summary(app)
    # $200 / (1000 move + 0.00055 x 99000 fees) = 0.189 ; at 1%: $200 / (1000 + 990) = 0.100
    assert "BUY 0.189 BTCUSDT" in sizes[Decimal("0.00055")]
    assert "BUY 0.1 BTCUSDT" in sizes[Decimal("0.01")] or "BUY 0.100 BTCUSDT" in sizes[Decimal("0.01")]
