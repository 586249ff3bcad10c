"""`trade-console backtest` given what a hostile newcomer types: each is refused with exit code 2
and a line naming the flag or parameter, before any bar is run and with no traceback.

Before: ``--out`` naming a file ran the whole backtest and then died in a traceback;
``qty=-1`` silently ran SMA crossover inverted (short when it should be long) and ``qty=0``
ran a strategy that never trades; ``1e3``, ``1_000`` and ``nan`` were taken as numbers, and
``0,01`` was "not a valid Decimal" without saying what to type."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from core.strategy.params import Param, ParamError
from core.strategy.sweep import _typed

SMA = "core.strategy.examples.sma_cross:SmaCross"
SHORT = ["--from", "2026-01-01", "--to", "2026-01-01T00:10", "--no-plots"]


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["backtest", SMA, *SHORT, *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_out_that_is_a_file_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "report"
    afile.write_text("not a folder")
    err = refused(capsys, "--out", str(afile))
    assert "--out" in err and "is a file" in err
    assert "--out" in refused(capsys, "--out", str(afile / "below"))
    assert "--out" in refused(capsys, "--out", str(afile), "--sweep", "fast=5..8", "--trials", "1")
    assert afile.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("pair", "words"),
    [
        ("qty=0", "param qty: must be greater than 0"),
        ("qty=-1", "param qty: must be greater than 0"),
        ("qty=1e3", "no exponents"),
        ("qty=0,01", "use . as the decimal point"),
        ("qty=nan", "param qty"),
        ("fast=1_0", "no separators"),
        ("fast=2.5", "whole number"),
        ("slow=0", "param slow: must be greater than 0"),
    ],
)
def test_bad_numbers_in_params_are_named(pair: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert words in refused(capsys, "--params", pair)


def test_params_are_typed_strictly_but_signed_numbers_stay_possible() -> None:
    offset = Param("offset", float, 0.0)
    assert offset.parse("-1.5") == -1.5 and Param("n", int, 1).parse(" 12 ") == 12
    for text in ("inf", "1e-05", "+1", "--1", "٣"):
        with pytest.raises(ParamError, match="param offset"):
            offset.parse(text)


def test_a_sweeps_float_suggestion_is_typed_in_full() -> None:
    assert _typed(1.2e-05) == "0.000012" and _typed(0.5) == "0.5" and _typed(7) == "7"


def test_a_storage_url_optuna_cannot_open_is_named_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: --storage foo://x died with SQLAlchemy's NoSuchModuleError traceback."""
    out = str(tmp_path / "sw")
    sweep = ["--out", out, "--sweep", "fast=5..8", "--trials", "1", "--workers", "1"]
    for url in ("foo://user:secret@host/db", "not a url secret"):
        err = refused(capsys, *sweep, "--storage", url)
        shown = f" {url.replace(':secret@', ':***@')}" if "://" in url else ""  # no URL: not echoed
        assert f"--storage{shown}: " in err and "secret" not in err, err
        assert "cannot open it" in err or "not a storage URL" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--latency-ms", "100"], "applies only to --fill through-book (this run fills next-open"),
        (["--fill", "bar-close", "--latency-ms", "5"], "this run fills bar-close"),
        (["--funding-rate", "0.01", "--no-funding"], "--no-funding: contradicts --funding-rate"),
        (["--latency-ms", "100", "--sweep", "fast=5..8", "--trials", "1"], "--latency-ms: applies only"),
    ],
)
def test_flags_that_would_be_ignored_or_contradict_are_refused(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``--latency-ms`` without through-book fills was silently ignored, and
    ``--funding-rate`` with ``--no-funding`` ran with no funding without a word."""
    assert words in refused(capsys, *argv)


@pytest.mark.parametrize(
    ("qty", "words"),
    [
        ("0.0001", "qty=0.0001 is below BTCUSDT's minimum order size 0.001"),
        ("0.0015", "qty=0.0015 is not a multiple of BTCUSDT's size step 0.001"),
        ("501", "qty=501 is above BTCUSDT's largest market order size"),
    ],
)
def test_a_size_the_venue_refuses_on_every_order_is_refused_up_front(
    qty: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the console's strategy start refuses it: before, the run went on, one REJECTED line a
    bar (1,411 of them) and a report of no fills, or rounded 0.0015 to 0.001 on the first order."""
    err = refused(capsys, "--params", f"qty={qty}", "--out", str(tmp_path / "report"))
    assert "--params" in err and words in err
    assert "REJECTED" not in err
    assert not (tmp_path / "report").exists()


def test_a_long_range_is_told_its_memory_and_starts_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ten years of generated bars were built into a list first (35 s with nothing on the
    screen, 2.9 GB at 2 %); now they are made as the run takes them, and a long range is told."""
    import console.backtest_cmd as cmd

    monkeypatch.setattr(cmd, "LONG_RUN_BARS", 100)
    taken: list[int] = []
    real = cmd._Bars.of

    def counted(args: object, start: int, end: int) -> object:
        bars = real(args, start, end)  # type: ignore[arg-type]
        assert not isinstance(bars.bars, list)  # generated as the run goes
        taken.append(bars.count)
        return bars

    monkeypatch.setattr(cmd._Bars, "of", staticmethod(counted))
    argv = ["backtest", SMA, "--from", "2026-01-01", "--to", "2026-01-01T03:00", "--no-plots"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert taken == [180]
    assert "--from/--to: 180 bars" in err and "GiB of memory" in err and "Ctrl-C stops the run" in err


def test_a_lower_case_symbol_is_the_venue_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ``--symbol btcusdt`` was blamed on ``risk.symbols``, a setting the user never set."""
    argv = ["backtest", SMA, *SHORT, "--symbol", " btcusdt", "--out", str(tmp_path / "o")]
    assert main(argv) == 0, capsys.readouterr().err
    assert "BTCUSDT" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["nope", "nope:"])
def test_an_unknown_name_lists_the_shipped_strategies(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backtest", name, *SHORT])
    err = capsys.readouterr().err
    assert code == 2
    assert "the shipped ones are breakout, market_maker, sma_cross" in err


def test_a_bad_argument_is_not_called_a_setting(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ``invalid settings:`` and ``strategy: param fast: ...`` for a mistyped --params."""
    err = refused(capsys, "--params", "fast=abc")
    assert err.startswith("trade-console: invalid arguments:\n  --params: param fast:")


@pytest.mark.parametrize(
    "option", [["--trials", "3"], ["--workers", "2"], ["--metric", "sortino"], ["--study", "x"]]
)
def test_a_sweep_option_without_a_sweep_is_refused(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``--trials 3`` without ``--sweep`` was ignored and one backtest ran."""
    err = refused(capsys, *option)
    assert f"{option[0]}: applies only to a sweep" in err


def test_generated_bars_far_from_their_start_are_told_or_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: 1970 ran for 95 s and ended in a venue error; a far range walked silently for tens of
    seconds with Ctrl-C ignored (the walk now runs before the event loop)."""
    import console.backtest_cmd as cmd

    old = ["backtest", SMA, "--from", "1970-01-02", "--to", "1970-01-03", "--out", str(tmp_path / "a")]
    assert main(old) == 2
    assert "generated bars run from 2016-01-01" in capsys.readouterr().err
    monkeypatch.setattr(cmd, "WALK_NOTICE_DAYS", 1)
    later = ["backtest", SMA, "--from", "2026-01-04", "--to", "2026-01-04T00:30", "--no-plots"]
    assert main([*later, "--out", str(tmp_path / "b")]) == 0
    assert "walking the generated market 3 days from 2026-01-01 first" in capsys.readouterr().err
