"""`trade-console backtest` when the strategy's own code is broken, or the run is interrupted:
one line naming the file, the line and the error (and the bar), never a traceback.

Before: a strategy file with a syntax error or a failing import, an empty STRATEGY, a strategy
raising in ``on_bar`` and Ctrl-C during the progress bar each ended in a Python traceback (exit 1);
``backtest sma_cross`` was "module not found" although the console's ``strat start sma_cross``
takes the same bare name."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.cli import main
from core.strategy.loader import StrategyNotFound, load_strategy_class

SHORT = ["--from", "2026-01-01", "--to", "2026-01-01T00:20", "--no-plots"]

BROKEN = {
    "syntax.py": ("from core.strategy.base import Strategy\nclass S(Strategy)\n    pass\n", "syntax.py:2"),
    "badimport.py": ("import no_such_module_for_a_strategy\n", "badimport.py:1"),
    "raises.py": ("raise RuntimeError('config missing')\n", "raises.py:1"),
}

BOOM = """
from core.strategy.base import Strategy

class Boom(Strategy):
    name = "boom"

    def on_bar(self, bar):
        if len(self.ctx.bars) == 6:
            raise ZeroDivisionError("division by zero in my signal")
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["backtest", *argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_strategy_file_that_does_not_import_is_named_with_its_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, where = BROKEN[name]
    path = tmp_path / name
    path.write_text(source)
    code, err = _run(capsys, str(path), *SHORT, "--out", str(tmp_path / "out"))
    assert code == 2, err
    assert "does not import" in err and where in err
    assert not (tmp_path / "out" / "stats.json").exists()


def test_an_empty_strategy_says_what_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, "", *SHORT, "--out", str(tmp_path / "out"))
    assert code == 2
    assert "give a module" in err


def test_a_module_whose_own_import_fails_is_not_called_missing() -> None:
    with pytest.raises(StrategyNotFound, match="not found"):
        load_strategy_class("core.strategy.examples.no_such_example")


def test_a_bare_example_name_runs_like_in_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["backtest", "sma_cross", *SHORT, "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "stats.json").is_file()


def test_a_strategy_raising_in_on_bar_names_file_line_and_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "boom.py"
    path.write_text(BOOM)
    code, err = _run(capsys, str(path), *SHORT, "--out", str(tmp_path / "out"))
    assert code == 1, err
    assert "strategy boom raised ZeroDivisionError: division by zero in my signal" in err
    assert f"{path}:9 in on_bar" in err
    assert "bar 6 of 20 (2026-01-01T00:05:00 UTC)" in err
    assert not (tmp_path / "out").exists()  # the folder made for the report is removed, empty


def test_ctrl_c_during_the_run_says_where_it_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = asyncio.run

    def interrupted(coro: object, **kw: object) -> object:
        task_coro = coro

        async def until_bar_5() -> object:
            from core.strategy import backtest

            seen = 0
            original = backtest.Backtest._closed

            def counting(self: backtest.Backtest, bar: object, close_ms: int) -> None:
                nonlocal seen
                seen += 1
                if seen == 5:
                    raise KeyboardInterrupt
                original(self, bar, close_ms)  # type: ignore[arg-type]

            monkeypatch.setattr(backtest.Backtest, "_closed", counting)
            return await task_coro  # type: ignore[misc]

        return real_run(until_bar_5(), **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "run", interrupted)
    sma = "core.strategy.examples.sma_cross:SmaCross"
    code, err = _run(capsys, sma, *SHORT, "--out", str(tmp_path / "out"))
    assert code == 130, err
    assert "interrupted at bar 4 of 20; no report written" in err
