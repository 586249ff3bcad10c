"""The console's rule for what a command's outcome says (the log line, the error toast)."""

from __future__ import annotations

from console.command_outcome import Said, said_of
from core.api import CommandResult


def test_an_outcome_someone_else_said_is_not_said_again() -> None:
    assert said_of("amend", CommandResult(True, "amended", "tc-1")) == Said()  # the order's event
    assert said_of("amend", CommandResult(False, "too far", "tc-1", check="price_band")) == Said()
    assert said_of("trail", CommandResult(True, "Trailing stop set", logged=True)) == Said()


def test_success_is_a_line_and_a_refusal_a_line_and_a_toast() -> None:
    ok = CommandResult(True, "BTCUSDT leverage 5x")
    assert said_of("leverage", ok) == Said("leverage: BTCUSDT leverage 5x")
    assert said_of("tpsl", CommandResult(False, "no position", check="position")) == Said(
        "tpsl REJECTED [position]: no position", "tpsl rejected: no position"
    )
    venue_said = said_of("tpsl", CommandResult(False, "bad", ret_code=10001))
    assert venue_said.line == "tpsl REJECTED [retCode 10001]: bad"
    failed = said_of("tpsl", CommandResult(False, "timed out"))
    assert failed == Said("tpsl FAILED: timed out", "tpsl failed: timed out")
