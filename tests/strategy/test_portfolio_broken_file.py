"""`:strat start path/to/mine.py` on a file that does not import is refused naming the file, the
line and the error, like a bad parameter; the engine and the other strategies run on.

Before: the portfolio caught only a missing strategy and bad parameters, so the file's
``SyntaxError`` (or the ``ImportError`` of one of its imports) escaped the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.portfolio_rig import SYM, Rig


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("from core.strategy.base import Strategy\nclass S(Strategy)\n    pass\n", "mine.py:2: SyntaxError"),
        ("import no_such_module_for_a_strategy\n", "mine.py:1: ModuleNotFoundError"),
    ],
)
async def test_a_strategy_file_that_does_not_import_is_refused_and_said(
    rig: Rig, tmp_path: Path, source: str, error: str
) -> None:
    path = tmp_path / "mine.py"
    path.write_text(source)
    result = await rig.portfolio.start(str(path), SYM)
    assert not result.ok
    assert "does not import" in result.message and error in result.message
    assert [r["reason"] for r in rig.records("strategy_refused")] == [result.message]
    ok = await rig.portfolio.start("sma_cross", SYM, params=["fast=3", "slow=5"])
    assert ok.ok, ok.message
