"""The sweep's options as a tester met them through ``trade-console backtest --sweep``.

Before: a ``--storage`` URL with a password was printed in full and, its driver missing, ended
in a traceback (exit 1); ``--workers 500`` started 500 processes for 3 trials; a study made for
another sweep was refused showing only its own settings, with dates in epoch milliseconds; a
Decimal parameter was suggested as any float (``--params qty=0.050140053662672955``)."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main
from core.strategy import sweep
from core.strategy.sweep_repeats import combinations, grid
from core.strategy.sweep_space import DecimalRange, parse_space, typed
from core.strategy.sweep_storage import masked, scrub

SHORT = ["--from", "2026-01-01", "--to", "2026-01-01T00:20", "--no-plots"]
SMA = ["backtest", "sma_cross", *SHORT, "--sweep", "fast=2..4 slow=10..12"]
HOLD = ["backtest", "tests.support.sweep_hold:Hold", *SHORT, "--metric", "total_return", "--workers", "1"]


@pytest.mark.parametrize(
    "url,driver,fix",
    [
        ("postgresql://sweep:s3cretpw@127.0.0.1:1/db", "psycopg", "pip install 'psycopg[binary]'"),
        ("postgresql+psycopg2://sweep:s3cretpw@127.0.0.1:1/db", "psycopg2", "pip install psycopg2-binary"),
        ("mysql+pymysql://sweep:s3cretpw@127.0.0.1:1/db", "pymysql", "pip install pymysql"),
    ],
)
def test_a_storage_without_its_driver_names_it_and_never_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, driver: str, fix: str
) -> None:
    code = main([*SMA, "--trials", "3", "--workers", "1", "--storage", url, "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 2, out.err
    assert "s3cretpw" not in out.out + out.err
    assert "Traceback" not in out.err
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert driver in lines[0] and fix in lines[0] and "sweep:***@127.0.0.1" in lines[0]


def test_a_password_is_masked_wherever_the_url_holds_it() -> None:
    url = "postgresql://u:p%40ss@db/x?sslmode=require&password=other"
    assert masked(url) == "postgresql://u:***@db/x?sslmode=require&password=***"
    said = scrub(f"cannot connect to {url}: password p@ss and other refused", url)
    assert "p%40ss" not in said and "p@ss" not in said and "other" not in said


def test_workers_are_capped_by_the_trials_and_the_cores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setenv("COLUMNS", "40")  # a narrow pipe: the line is not broken mid-sentence
    assert sweep.usable_workers(500, 1000) == 2 * sweep.WORKERS_PER_CPU
    assert sweep.usable_workers(500, 3) == 3
    assert sweep.usable_workers(2, 3) == 2
    code = main([*SMA, "--trials", "1", "--workers", "500", "--out", str(tmp_path)])
    raw = capsys.readouterr().out
    assert any(
        "--workers 500: running 1" in line and "per core" in line for line in raw.splitlines()
    )  # one line
    out = " ".join(raw.split())
    assert code == 0, out
    assert "--workers 500: running 1 (no more than the 1 trials" in out
    assert "1 trials, 1 workers" in out


def test_a_study_of_another_sweep_shows_both_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*SMA, "--trials", "1", "--workers", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--seed", "8"]) == 2
    err = capsys.readouterr().err
    assert "the study's: " in err and "this run's: " in err
    assert "seed 7" in err and "seed 8" in err
    assert "2026-01-01T00:00Z..2026-01-01T00:20Z" in err
    assert not re.search(r"[0-9]{13}", err), err
    assert "--study NEW_NAME" in err and "--out" in err


def test_a_decimal_parameter_is_swept_on_the_grid_its_bounds_are_written_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*HOLD, "--sweep", "qty=0.01..0.1", "--trials", "4", "--out", str(tmp_path)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    best = re.search(r"--params qty=(\S+)", out)
    assert best is not None and re.fullmatch(r"0\.(0[1-9]|10)", best[1]), out
    with (tmp_path / "sweep.csv").open() as fh:
        values = [row["qty"] for row in csv.DictReader(fh)]
    assert len(values) == 4 and all(re.fullmatch(r"0\.(0[1-9]|10)", v) for v in values), values


def test_a_small_decimal_grid_is_run_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = typed(parse_space("qty=0.01..0.05 r=0.5..2"), {"qty": Decimal, "r": float})
    assert space["qty"] == DecimalRange(Decimal("0.01"), Decimal("0.05"), 2)
    assert combinations({"qty": space["qty"]}) == 5
    assert grid({"qty": space["qty"]})["qty"] == [0.01, 0.02, 0.03, 0.04, 0.05]
    code = main([*HOLD, "--sweep", "qty=0.01..0.03", "--trials", "5", "--out", str(tmp_path)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "3 trials (every combination of the space; --trials asked for 5)" in out


def test_progress_into_a_file_is_a_line_per_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: carriage-return redraws ran into one long line and the results table's title."""
    assert main([*SMA, "--trials", "3", "--workers", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out, out
    counts = [line.strip() for line in out.splitlines() if line.strip().endswith(" trials")]
    assert counts[-1] == "3/3 trials" and len(counts) == len(set(counts))
    done = [int(c.split("/")[0]) for c in counts]
    assert done == sorted(done) and max(done) <= 3  # finished trials: never back, never past the total


def test_progress_counts_finished_trials_not_running_ones() -> None:
    """Before: running trials were counted (``6/12`` shown, 4 kept after a stop; ``5/4``)."""
    import optuna

    from core.strategy.sweep_repeats import finished, tried

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    study.ask()  # running
    done = study.ask()
    study.tell(done, 1.0)
    assert (tried(study), finished(study)) == (2, 1)


@pytest.mark.parametrize(
    "url,echoed,leaks",
    [
        (
            "postgresql://bob:Tr@der!2026@db.internal/optuna",
            "postgresql://bob:***@der!2026@db.internal/optuna",  # as a parser splitting at the first @
            ["der!2026", "Tr@der"],
        ),
        ("postgresql://sweep:p@ss@w0rd@127.0.0.1:1/db", "host 'ss@w0rd@127.0.0.1'", ["ss@w0rd", "w0rd"]),
    ],
)
def test_a_password_holding_an_at_sign_is_masked_whole(url: str, echoed: str, leaks: list[str]) -> None:
    """Before: ``postgresql://bob:***@der!2026@...`` (the password's end shown), and a one-letter
    first part masked every ``p`` of the message."""
    assert masked(url).count("@") == 1
    said = scrub(f"cannot open {echoed}: install psycopg (pip install psycopg)", url)
    assert not any(leak in said for leak in leaks), said
    assert "pip install psycopg" in said


@pytest.mark.parametrize(
    "url,words",
    [
        ("postgresql://u:s3cretpw@h:notaport/x", "not a storage URL"),
        ("postgres://u:s3cretpw@h/x", "write postgresql://"),
    ],
)
def test_a_mistyped_storage_url_is_one_line(
    url: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a SQLAlchemy traceback and exit 1 for a port that is no number."""
    code = main([*SMA, "--trials", "1", "--workers", "1", "--storage", url, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err and "Traceback" not in err and "s3cretpw" not in err


def test_zero_workers_or_trials_is_named_under_its_own_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ``--sweep: --trials and --workers must be at least 1 (20, 0)``."""
    for flag in ("--workers", "--trials"):
        assert main([*SMA, flag, "0"]) == 2
        assert f"  {flag}: must be at least 1, got 0" in capsys.readouterr().err


def test_a_stop_that_comes_as_the_sweep_finishes_is_told(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a Ctrl-C landing as the last trial finished exited 0 with nothing said (its table
    gone with a ``| tee`` the same Ctrl-C stopped)."""
    import signal

    from console.sweep_cmd import _late_stop
    from core.strategy import sweep_stop

    monkeypatch.setattr(sweep_stop._STATE, "signum", None)
    assert _late_stop("sqlite:///x.db") == 0
    sweep_stop.request(int(signal.SIGINT))
    assert _late_stop("sqlite:///x.db") == 130
    assert "SIGINT came as the sweep finished; it is complete" in capsys.readouterr().err
