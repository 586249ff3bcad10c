"""The strategies pane on fixed data: its cells (signs, colours, win rate, allocation) and a
snapshot of the pane at a compact and a wide size."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult

from core.strategy.slot import StrategySnapshot
from tests.support.console_types import SnapCompare
from themes import THEME_VARIABLE_DEFAULTS
from widgets.strategies import StrategiesPane, strategy_cells

ROWS = [
    StrategySnapshot(
        name="sma_cross",
        kind="sma_cross",
        symbol="BTCUSDT",
        state="running",
        reason="",
        position=Decimal("0.010"),
        entry_price=Decimal("95000"),
        realised=Decimal("12.5"),
        unrealised=Decimal("-3.21"),
        fees=Decimal("1.05"),
        trades=4,
        win_rate=0.75,
        allocation=Decimal(2000),
        open_orders=0,
        params={"fast": 9, "slow": 41},
    ),
    StrategySnapshot(
        name="brk",
        kind="breakout",
        symbol="ETHUSDT",
        state="failed",
        reason="on_bar raised ZeroDivisionError: division by zero",
        position=Decimal("-0.5"),
        entry_price=Decimal("3500"),
        realised=Decimal(0),
        unrealised=Decimal("4"),
        fees=Decimal(0),
        trades=0,
        win_rate=float("nan"),
        allocation=None,
        open_orders=1,
        params={},
    ),
]


class PaneApp(App[None]):
    """Only the pane, fed once."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(THEME_VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield StrategiesPane(id="strategies")

    def on_mount(self) -> None:
        self.query_one(StrategiesPane).update_strategies(ROWS)


def test_cells_say_sign_state_and_missing_values() -> None:
    run = strategy_cells(ROWS[0], None)
    assert run["pos"] == ("+0.010", "strat--long")
    assert run["real"] == ("+12.50", "strat--up")
    assert run["unreal"] == ("-3.21", "strat--down")
    assert (run["win"][0], run["alloc"][0], run["state"]) == ("75%", "2,000", ("running", "strat--running"))
    failed = strategy_cells(ROWS[1], None)
    assert failed["win"][0] == "—" and failed["alloc"][0] == "—"
    assert failed["state"] == ("failed", "strat--failed")
    assert failed["pos"] == ("-0.500", "strat--short")
    assert "ZeroDivisionError" in failed["note"][0]


def test_pane_snapshot_wide(snap_compare: SnapCompare) -> None:
    assert snap_compare(PaneApp(), terminal_size=(110, 6))


def test_pane_snapshot_compact(snap_compare: SnapCompare) -> None:
    assert snap_compare(PaneApp(), terminal_size=(70, 6))
