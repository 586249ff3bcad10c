"""Sweeps stopped the hard ways: a strategy that raises in a trial, Ctrl-C, and a worker killed
with a trial running.

Before: a strategy raising in ``on_bar`` ended the sweep in a traceback (with two workers, the
worker's re-raised one); Ctrl-C printed a traceback; and a sweep resumed within 30 s of a
``kill -9`` counted the dead workers' trials as running, stopped short of ``--trials`` and left
them running in the study for good."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import optuna
import pytest

from console.cli import main
from core.strategy import sweep
from core.strategy.sweep import open_study, run_sweep
from tests.support.sweep_hold import spec

SHORT = ["--from", "2026-01-01", "--to", "2026-01-01T00:20", "--workers", "1", "--trials", "3"]

BOOM = """
from core.strategy.base import Strategy
from core.strategy.params import Param

class Boom(Strategy):
    name = "boom"
    params = (Param("x", int, 1),)

    def on_bar(self, bar):
        if len(self.ctx.bars) == 4:
            raise KeyError("no such column in my table")
"""


def test_a_strategy_raising_in_a_trial_stops_the_sweep_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "boom.py"
    path.write_text(BOOM)
    out = tmp_path / "out"
    code = main(["backtest", str(path), *SHORT, "--sweep", "x=1..3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    assert "strategy boom raised KeyError: 'no such column in my table'" in err
    assert f"{path}:11 in on_bar" in err
    assert "fix the strategy, then run the same command again" in err
    study = optuna.load_study(study_name="boom", storage=f"sqlite:///{(out / 'sweep.db').resolve()}")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL]


def test_ctrl_c_keeps_the_study_and_says_how_to_continue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kw: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    code = main(
        [
            "backtest",
            "core.strategy.examples.sma_cross:SmaCross",
            *SHORT,
            "--sweep",
            "fast=2..4",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 130, err
    assert "Traceback" not in err
    assert "sweep stopped: interrupted" in err and "run the same command again to continue" in err


def test_a_killed_workers_running_trial_is_retried_not_counted_for_good(tmp_path: Path) -> None:
    s = spec(tmp_path, trials=4, heartbeat_s=1, grace_s=1)
    study = open_study(s)
    with pytest.warns(UserWarning, match="Heartbeat"):  # a trial asked for by hand, as a worker would
        orphan = study.ask({"side": optuna.distributions.CategoricalDistribution(["long", "short", "flat"])})
    study._storage.record_heartbeat(orphan._trial_id)  # type: ignore[attr-defined]  # then it died
    result = run_sweep(s)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    assert optuna.trial.TrialState.RUNNING not in states
    assert len(result.rows) == s.trials  # complete or pruned: the total asked for
    trials = study.get_trials(deepcopy=False)
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == orphan.number]
    assert retried and retried[0].params["side"] == orphan.params["side"]


def test_two_commands_opening_a_fresh_shared_storage_together_both_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other command creates the storage's tables first: this one's first opening fails on a
    table that now exists (as two ``backtest --sweep --storage URL`` started together did: one
    exited 2, "cannot open it as an Optuna storage (... table alembic_version already exists)")."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    real = optuna.storages.RDBStorage
    lost = sqlite3.OperationalError("table alembic_version already exists")
    races = [OperationalError("CREATE TABLE alembic_version", {}, lost)]

    class Racing(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kw: Any) -> None:
            if races:
                real(*args, **kw)  # the other command made the tables
                raise races.pop()
            super().__init__(*args, **kw)

    monkeypatch.setattr(optuna.storages, "RDBStorage", Racing)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    argv = ["backtest", "core.strategy.examples.sma_cross:SmaCross", *SHORT, "--sweep", "fast=2..4"]
    code = main([*argv, "--storage", storage, "--study", "shared", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert not races
    assert (tmp_path / "out" / "sweep.csv").is_file()
    assert len(optuna.load_study(study_name="shared", storage=storage).trials) == 3


def test_a_space_of_one_combination_runs_one_backtest_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``fast=5..5 slow=20..20 --trials 3`` ran three identical backtests and listed three
    identical rows; it runs one and the header says the space holds no more."""
    argv = ["backtest", "sma_cross", *SHORT, "--sweep", "fast=5..5 slow=20..20", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())  # as printed, whatever the terminal's width
    assert "1 trials (every combination of the space; --trials asked for 3)" in out, out
    rows = (tmp_path / "o" / "sweep.csv").read_text().splitlines()
    assert len(rows) == 2, rows  # the header and one trial


def test_a_proposal_of_a_tried_combination_is_not_run_again(tmp_path: Path) -> None:
    """Optuna's sampler proposes combinations it has tried (every few trials in a discrete space,
    here 3 x 2 values over 5 trials with the seeded TPE): no two rows share their parameters and
    five combinations were tried."""
    s = spec(tmp_path, trials=5)
    result = run_sweep(s)
    combos = [tuple(sorted(r.params.items())) for r in result.rows]
    assert len(combos) == len(set(combos)) == 5
    study = open_study(s)
    repeats = [t for t in study.trials if "same_as" in t.user_attrs]
    for t in repeats:  # each names the trial it repeats, which ran those parameters
        assert study.trials[t.user_attrs["same_as"]].params == t.params


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_an_interrupt_to_the_sweeps_own_process_stops_its_workers(tmp_path: Path) -> None:
    """SIGINT to the command alone (not to its process group, as a terminal's Ctrl-C would): it
    waited for its workers, which ran the study to the end. Now each finishes its running trial,
    starts no other, and the command exits 130 soon after."""
    import signal
    import subprocess
    import sys
    import time

    binary = Path(sys.executable).parent / "trade-console"
    out = tmp_path / "out"
    argv = [str(binary), "backtest", "sma_cross", "--from", "2026-01-01", "--to", "2026-01-01T06:00"]
    argv += ["--workers", "2", "--trials", "400"]
    argv += ["--sweep", "fast=2..20 slow=21..60", "--out", str(out), "--no-plots"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    database = out / "sweep.db"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _done(database) >= 2:
                break
            time.sleep(0.2)
        workers = [p for p in _children(proc.pid) if _alive(p)]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "sweep stopped: interrupted" in err
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)
    assert _done(database) < 400  # it stopped, not ran to the end


def _done(database: Path) -> int:
    """Finished trials, read without writing: ``optuna.load_study`` creates the storage's tables
    when they are missing, and so raced the sweep creating them (``table ... already exists``)."""
    if not database.exists():
        return 0
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        try:
            query = "SELECT COUNT(*) FROM trials WHERE state IN ('COMPLETE', 'PRUNED')"
            return int(db.execute(query).fetchone()[0])
        except sqlite3.OperationalError:  # its tables are not made yet, or are being made
            return 0
