"""One backtest per combination: a sweep's trials never repeat a set of parameters.

Optuna's sampler may propose a combination already tried (in a discrete space it does so often,
and always once every combination is tried). Such a trial runs no backtest: it is pruned with
:data:`REPEAT_ATTR` naming the trial it repeats, and it does not count toward ``--trials``, which
counts the combinations tried. A space with fewer combinations than ``--trials`` (integer
ranges, Decimal grids and choices only) is enumerated whole by a grid sampler, each once, and the
sweep ends when every combination has been tried. A sampler that proposes only tried combinations
:data:`MAX_REPEATS_IN_A_ROW` times in a row ends the worker's sweep (it found nothing new).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from core.strategy.sweep_space import Choice, DecimalRange, Dimension, IntRange

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

REPEAT_ATTR = "same_as"
"""Set on a trial that proposed the parameters of an earlier one: that trial's number."""
MAX_REPEATS_IN_A_ROW = 200


def combinations(space: dict[str, Dimension]) -> int | None:
    """How many parameter sets ``space`` holds (None: a float range makes it unbounded)."""
    sizes = []
    for dim in space.values():
        if isinstance(dim, IntRange):
            sizes.append(dim.high - dim.low + 1)
        elif isinstance(dim, Choice):
            sizes.append(len(dim.options))
        elif isinstance(dim, DecimalRange):
            sizes.append(dim.size)
        else:
            return None
    return math.prod(sizes)


def grid(space: dict[str, Dimension]) -> dict[str, list[Any]]:
    """Every value of each dimension of a bounded ``space`` (for a grid sampler)."""
    out: dict[str, list[Any]] = {}
    for name, dim in space.items():
        if isinstance(dim, IntRange):
            out[name] = list(range(dim.low, dim.high + 1))
        elif isinstance(dim, Choice):
            out[name] = list(dim.options)
        elif isinstance(dim, DecimalRange):
            out[name] = dim.values()
    return out


def _tried(study: optuna.Study) -> list[FrozenTrial]:
    """The study's trials that tried a combination of their own (complete, refused or running)."""
    from optuna.trial import TrialState

    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    return [t for t in study.get_trials(deepcopy=False, states=states) if REPEAT_ATTR not in t.user_attrs]


def earlier_same(trial: optuna.Trial) -> int | None:
    """The number of an earlier trial with ``trial``'s parameters (None: they are new)."""
    params = trial.params
    for other in _tried(trial.study):
        if other.number < trial.number and other.params == params:
            return other.number
    return None


def tried(study: optuna.Study) -> int:
    """Combinations tried or being tried (what counts toward ``--trials``)."""
    return len(_tried(study))


def tried_before(trial: optuna.Trial) -> int:
    """Combinations tried by trials numbered before ``trial`` (two workers may race past the total)."""
    return sum(1 for t in _tried(trial.study) if t.number < trial.number)


def finished(study: optuna.Study) -> int:
    """Combinations whose trial has finished (complete or refused): what a stop keeps."""
    from optuna.trial import TrialState

    return sum(1 for t in _tried(study) if t.state is not TrialState.RUNNING)
