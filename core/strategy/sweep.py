"""Parameter sweeps on Optuna: many backtests of one strategy, one study, many worker processes.

The study lives in an Optuna RDB storage: a local SQLite file by default, or any SQLAlchemy URL
(PostgreSQL, MySQL) that several machines share. Every worker process opens the same study
(``load_if_exists``) and asks it for trials until the study holds ``trials`` combinations
finished or running (a proposal of one already tried runs nothing and does not count:
:mod:`core.strategy.sweep_repeats`), so a sweep that stopped (a crash, Ctrl-C) continues to the
total when run again with the same storage and study name, and two machines on one storage split
the work without repeating a trial number. Trials that were running when their process died are
failed once their heartbeat is stale and retried with the same parameters.

Each trial is deterministic: the bars are the same for every trial (the sweep's data file or
generated market), and the trial's backtest seed (the in-process venue's) is the sweep seed plus
the trial number. Optuna is imported here only, never on the console's start-up path.
"""

from __future__ import annotations

import math
import os
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.analytics.stats import Stats
from core.strategy import data, params, sweep_stop
from core.strategy.backtest import NEXT_OPEN, BacktestConfig, run_backtest
from core.strategy.backtest_types import DEFAULT_FUNDING_RATE, DEFAULT_LATENCY_MS, FundingSeries
from core.strategy.base import Bar, Strategy
from core.strategy.loader import StrategyFailed, load_strategy_class, strategy_frame
from core.strategy.report import stats
from core.strategy.sweep_repeats import (
    MAX_REPEATS_IN_A_ROW,
    REPEAT_ATTR,
    combinations,
    earlier_same,
    finished,
    grid,
    tried,
    tried_before,
)
from core.strategy.sweep_space import Choice, DecimalRange, Dimension, IntRange, parse_space, shown, typed
from core.strategy.sweep_stale import settle_running
from core.strategy.sweep_stop import SweepStopped
from core.strategy.sweep_storage import mismatch, open_storage, storage_refusal
from core.strategy.sweep_workers import run_workers, worker_tag

if TYPE_CHECKING:
    import optuna

NOT_METRICS = frozenset({"start_ms", "end_ms", "periods", "periods_per_year", "risk_free_rate"})
METRICS = tuple(f.name for f in fields(Stats) if f.name not in NOT_METRICS)
MINIMIZED = frozenset(
    {"volatility", "max_drawdown", "max_drawdown_duration_ms", "longest_drawdown_ms", "fees_paid"}
)
"""Metrics where smaller is better; every other metric is maximised."""
REPORTED = ("net_pnl", "total_return", "sharpe", "max_drawdown", "trades", "fills")
"""Stats kept with each trial (besides the metric) for the table and sweep.csv."""
HEARTBEAT_S = 10
GRACE_S = 30
"""A running trial whose heartbeat is older than this is failed (its process died) and retried."""
SQLITE_TIMEOUT_S = 60
POLL_S = 0.5
SETUP_ATTR = "sweep_setup"
WORKER_ATTR = "worker"
"""The ``host:pid`` of the process running a trial (its trial is failed if it has to be killed)."""
WORKERS_PER_CPU = 2
"""More worker processes than this per core only make the backtests take turns."""


class SweepError(ValueError):
    """The sweep cannot run as asked; the message names the option or parameter."""


class StudyMismatch(SweepError):
    """The study was made for another sweep; the message shows both and the fix."""


class OverBudget(Exception):
    """A worker asked for a trial after the study reached its total (a race with another worker)."""


@dataclass(frozen=True, slots=True)
class BarSource:
    """Where every trial's bars come from: a CSV file, or the generator with a seed."""

    start_ms: int
    end_ms: int
    seed: int = 7
    path: Path | None = None

    def load(self) -> list[Bar]:
        """The bars, oldest first."""
        if self.path is not None:
            return list(data.csv_bars(self.path, self.start_ms, self.end_ms))
        return list(data.generated_bars(self.seed, self.start_ms, self.end_ms))


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """One sweep: the strategy, the space, the bars, the objective, the study and its workers."""

    strategy: str
    space: str
    bars: BarSource
    storage: str
    study: str
    fixed: tuple[str, ...] = ()
    symbol: str = "BTCUSDT"
    fill_model: str = NEXT_OPEN
    latency_ms: int = DEFAULT_LATENCY_MS
    """Through-book fills: milliseconds from a bar's close to the send (as ``--latency-ms``)."""
    funding_rate: Decimal | FundingSeries | None = DEFAULT_FUNDING_RATE
    """Every trial's funding: a constant rate, a recorded series, or None (as the backtest's)."""
    metric: str = "sharpe"
    trials: int = 20
    workers: int = 1
    seed: int = 7
    heartbeat_s: int = HEARTBEAT_S
    grace_s: int = GRACE_S

    @property
    def direction(self) -> str:
        """``minimize`` or ``maximize``, by the metric."""
        return "minimize" if self.metric in MINIMIZED else "maximize"

    def setup(self) -> str:
        """What makes two runs the same sweep (stored with the study; a resume must match it)."""
        src = self.bars
        bars = f"{src.path}" if src.path is not None else f"generated seed {src.seed}"
        return (
            f"{self.strategy} space[{self.space}] fixed[{' '.join(self.fixed)}] {self.symbol} "
            f"{bars} {src.start_ms}..{src.end_ms} fill {self.fill_model} metric {self.metric} "
            f"seed {self.seed}{self._costs()}"
        )

    def _costs(self) -> str:
        """Latency and funding when not the defaults (a study made before they were passed on
        ran at the defaults and still matches)."""
        out = ""
        if self.latency_ms != DEFAULT_LATENCY_MS:
            out += f" latency {self.latency_ms}"
        rate = self.funding_rate
        if rate is None:
            out += " funding off"
        elif isinstance(rate, tuple):
            first, last = (rate[0][0], rate[-1][0]) if rate else (0, 0)
            out += f" funding recorded {len(rate)} {first}..{last}"
        elif rate != DEFAULT_FUNDING_RATE:
            out += f" funding {rate:f}"
        return out


@dataclass(frozen=True, slots=True)
class TrialRow:
    """One finished trial as reported."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    attrs: dict[str, Any]


@dataclass(slots=True)
class SweepResult:
    """The study's trials, best first (trials without a value last, by number)."""

    spec: SweepSpec
    rows: list[TrialRow] = field(default_factory=list)
    ran_here: int = 0

    @property
    def best(self) -> TrialRow | None:
        """The best complete trial, if any."""
        return self.rows[0] if self.rows and self.rows[0].value is not None else None


def check(spec: SweepSpec) -> tuple[type[Strategy], dict[str, Dimension]]:
    """The strategy class and the space, or :class:`SweepError` naming what is wrong."""
    if spec.metric not in METRICS:
        raise SweepError(f"--metric {spec.metric!r}: one of {', '.join(METRICS)}")
    if spec.trials < 1 or spec.workers < 1:
        bad = "--trials" if spec.trials < 1 else "--workers"
        raise SweepError(
            f"{bad} must be at least 1, got {spec.trials if bad == '--trials' else spec.workers}"
        )
    space = parse_space(spec.space)
    cls = load_strategy_class(spec.strategy)
    declared = {p.name: p.type for p in cls.params}
    fixed = params.split_pairs(spec.fixed)
    for name in space:
        if name not in declared:
            raise params.ParamError(name, f"not a parameter of {cls.name} (it takes: {', '.join(declared)})")
        if name in fixed:
            raise params.ParamError(name, "both swept and fixed by --params")
    return cls, typed(space, declared)


def usable_workers(requested: int, total: int) -> int:
    """Worker processes worth starting: no more than the trials, nor :data:`WORKERS_PER_CPU`
    per core of this machine."""
    return max(1, min(requested, total, WORKERS_PER_CPU * (os.cpu_count() or 1)))


def trial_seed(spec: SweepSpec, number: int) -> int:
    """The backtest seed of trial ``number``."""
    return spec.seed + number


class Objective:
    """Runs one trial's backtest in this process (bars loaded once per process)."""

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self.cls, self.space = check(spec)
        self.target = planned(spec, self.space)
        self.bars = spec.bars.load()
        if not self.bars:
            raise SweepError("--from/--to: no bars in the range")

    def config(self, seed: int) -> BacktestConfig:
        """The backtest of one trial: the sweep's symbol, fill model, latency and funding."""
        spec = self.spec
        return BacktestConfig(
            symbol=spec.symbol,
            seed=seed,
            fill_model=spec.fill_model,
            latency_ms=spec.latency_ms,
            funding_rate=spec.funding_rate,
        )

    def __call__(self, trial: optuna.Trial) -> float:
        import optuna

        sweep_stop.check()  # a stopped sweep starts no backtest (this trial fails, and does not count)
        _check_budget(trial, self.target)
        trial.set_user_attr(WORKER_ATTR, worker_tag())
        chosen = {name: _suggest(trial, name, dim) for name, dim in self.space.items()}
        same = earlier_same(trial)
        if same is not None:  # no second backtest of one combination: it does not count either
            trial.set_user_attr(REPEAT_ATTR, same)
            raise optuna.TrialPruned(f"same parameters as trial {same}")
        pairs = [*self.spec.fixed, *(f"{k}={shown(self.space[k], v)}" for k, v in chosen.items())]
        seed = trial_seed(self.spec, trial.number)
        trial.set_user_attr("seed", seed)
        try:
            strategy = self.cls(**params.resolve(self.cls.params, pairs))
            config = self.config(seed)
            result = run_backtest(strategy, self.bars, config, sweep_stop.between_bars)
        except SweepStopped:
            raise  # the trial fails (not counted); the worker stops
        except ValueError as exc:  # the strategy refused this combination (e.g. fast >= slow)
            trial.set_user_attr("refused", str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        except Exception as exc:
            failed = self._failed(trial.number, chosen, exc)
            if failed is None:
                raise
            raise failed from None
        summary = stats(result, config.starting_balance)
        for key in REPORTED:
            trial.set_user_attr(key, summary.get(key))
        value = _number(summary.get(self.spec.metric))
        if value is None or math.isnan(value):
            trial.set_user_attr("refused", f"{self.spec.metric} is undefined for this run")
            raise optuna.TrialPruned(f"{self.spec.metric} undefined")
        return value

    def _failed(self, number: int, chosen: dict[str, Any], exc: Exception) -> StrategyFailed | None:
        """A trial the strategy's own code broke stops the sweep, naming the error and where
        (None: the error is not the strategy's, raise it as it is)."""
        where = strategy_frame(exc, self.cls)
        if where is None:
            return None
        values = " ".join(f"{k}={shown(self.space[k], v)}" for k, v in chosen.items())
        return StrategyFailed(
            f"trial {number} ({values}): strategy {self.cls.name} raised "
            f"{type(exc).__name__}: {exc} at {where}"
        )


def _suggest(trial: optuna.Trial, name: str, dim: Dimension) -> Any:
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.low, dim.high)
    if isinstance(dim, Choice):
        return trial.suggest_categorical(name, dim.options)
    if isinstance(dim, DecimalRange):
        return trial.suggest_float(name, float(dim.low), float(dim.high), step=float(dim.step))
    return trial.suggest_float(name, dim.low, dim.high)


def _typed(value: object) -> str:
    """A suggested value as a trader would type it: a float in full, never ``1e-05``."""
    if isinstance(value, float):
        return f"{Decimal(repr(value)):f}"
    return str(value)


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(str(value))


def planned(spec: SweepSpec, space: dict[str, Dimension] | None = None) -> int:
    """The combinations the sweep tries: ``--trials``, or every one of a smaller space."""
    size = combinations(space if space is not None else check(spec)[1])
    return spec.trials if size is None else min(spec.trials, size)


def _check_budget(trial: optuna.Trial, total: int) -> None:
    """Refuse a trial if ``total`` combinations were tried by smaller trial numbers (two workers raced)."""
    if tried_before(trial) >= total:
        trial.set_user_attr("refused", "over the sweep's trial budget")
        raise OverBudget(f"trial {trial.number}: the study already has {total} trials")


def open_study(spec: SweepSpec, sampler_seed: int | None = None) -> optuna.Study:
    """Create or load the study (same setup required) on its storage, with heartbeats."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a raced trial is reported in sweep.csv
    engine_kwargs = (
        {"connect_args": {"timeout": SQLITE_TIMEOUT_S}} if spec.storage.startswith("sqlite") else {}
    )
    from sqlalchemy.exc import SQLAlchemyError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            storage = open_storage(
                spec.storage, engine_kwargs=engine_kwargs, heartbeat_s=spec.heartbeat_s, grace_s=spec.grace_s
            )
        except (SQLAlchemyError, ValueError) as exc:  # the URL is not echoed: it may hold a password
            raise storage_refusal(spec.storage, exc) from None
        sampler = _sampler(spec, sampler_seed)
    study = optuna.create_study(
        storage=storage,
        sampler=sampler,
        study_name=spec.study,
        direction=spec.direction,  # type: ignore[arg-type]
        load_if_exists=True,
    )
    known = study.user_attrs.get(SETUP_ATTR)
    if known is None:
        study.set_user_attr(SETUP_ATTR, spec.setup())
    elif known != spec.setup():
        raise StudyMismatch(mismatch(spec.study, known, spec.setup()))
    return study


def _sampler(spec: SweepSpec, seed: int | None) -> optuna.samplers.BaseSampler:
    """Every combination once, in a seeded order, when the space has no more than ``--trials``;
    otherwise Optuna's TPE."""
    import optuna

    space = check(spec)[1]
    size = combinations(space)
    if size is not None and size <= spec.trials:
        return optuna.samplers.GridSampler(grid(space), seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


class _Repeats:
    """This worker's trials that repeated an earlier combination, in a row and in all."""

    def __init__(self) -> None:
        self.in_a_row = 0
        self.new = 0

    def __call__(self, _study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if REPEAT_ATTR in trial.user_attrs:
            self.in_a_row += 1
        else:
            self.in_a_row = 0
            self.new += 1


def work(spec: SweepSpec, worker: int) -> int:
    """One worker: run trials of the shared study until it has tried the planned number of
    combinations; how many it tried here."""
    objective = Objective(spec)
    probe = open_study(spec)
    existing = len(probe.trials)
    # A fresh seed per worker and per restart: a resumed sweep does not replay its first suggestions.
    seed = random.Random(f"{spec.seed}/{worker}/{existing}").getrandbits(32)
    study = open_study(spec, sampler_seed=seed)
    repeats = _Repeats()
    while True:
        while tried(study) < objective.target and repeats.in_a_row < MAX_REPEATS_IN_A_ROW:
            sweep_stop.check()
            study.optimize(objective, n_trials=1, catch=(OverBudget,), callbacks=[repeats])
        settle_running(study, POLL_S, _stopping)  # a dead worker's trial is failed and queued again
        sweep_stop.check()
        if tried(study) >= objective.target or repeats.in_a_row >= MAX_REPEATS_IN_A_ROW:
            return repeats.new


def _stopping() -> bool:
    return sweep_stop.requested() is not None


def run_sweep(
    spec: SweepSpec,
    progress: Callable[[int], None] | None = None,
    opened: Callable[[SweepSpec], None] | None = None,
) -> SweepResult:
    """Run the sweep to ``spec.trials`` (one process, or worker processes: ``spec.workers``, at
    most :func:`usable_workers`); ``opened`` is told the spec run once its study is open.

    Ctrl-C, SIGTERM or SIGHUP stop it with :class:`SweepStopped` (the trials it was running are
    failed, none is left running, no worker outlives it); each finished trial is kept."""
    _, space = check(spec)
    spec = replace(spec, workers=usable_workers(spec.workers, planned(spec, space)))
    with sweep_stop.stop_on_signals():
        study = open_study(spec)  # creates the tables and the study once, before the workers race
        if opened is not None:
            opened(spec)
        ran = work(spec, 0) if spec.workers == 1 else _in_workers(spec, study, progress)
    result = collect(study, spec)
    result.ran_here = ran
    return result


def _in_workers(spec: SweepSpec, study: optuna.Study, progress: Callable[[int], None] | None) -> int:
    """Run the sweep in ``spec.workers`` processes (:mod:`core.strategy.sweep_workers`)."""

    def watch() -> None:
        if progress is not None:  # finished trials only: what a stop now would keep
            progress(min(finished(study), spec.trials))

    return run_workers(spec, work, watch, lambda tags: fail_running(study, tags))


def fail_running(study: optuna.Study, tags: list[str]) -> None:
    """Fail the running trials of the workers ``tags`` name (killed: they cannot finish them)."""
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if t.user_attrs.get(WORKER_ATTR) in tags:
            study.tell(t.number, state=TrialState.FAIL)


def collect(study: optuna.Study, spec: SweepSpec) -> SweepResult:
    """The study's finished trials as rows, best first."""
    from optuna.trial import TrialState

    space = check(spec)[1]
    rows = [
        TrialRow(t.number, t.state.name.lower(), t.value, _shown(space, t.params), dict(t.user_attrs))
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        if REPEAT_ATTR not in t.user_attrs  # a repeat ran no backtest: its combination has its row
    ]
    sign = 1.0 if spec.direction == "minimize" else -1.0
    rows.sort(key=lambda r: (r.value is None, sign * (r.value or 0.0), r.number))
    return SweepResult(spec, rows)


def _shown(space: dict[str, Dimension], values: dict[str, Any]) -> dict[str, Any]:
    """A trial's parameters as reported: a Decimal grid's as the decimal it stands for."""
    return {k: shown(d, v) if isinstance(d := space.get(k), DecimalRange) else v for k, v in values.items()}


def write_csv(result: SweepResult, path: Path) -> Path:
    """``sweep.csv``: one row per trial, best first: number, state, metric, seed, params, stats."""
    import csv

    names = list(parse_space(result.spec.space))
    shown = [k for k in REPORTED if k != result.spec.metric]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["number", "state", result.spec.metric, "seed", *names, *shown, "note"])
        for r in result.rows:
            a = r.attrs
            w.writerow(
                [r.number, r.state, r.value, a.get("seed"), *(r.params.get(n) for n in names)]
                + [a.get(k) for k in shown]
                + [a.get("refused", "")]
            )
    return path
