"""Trials left running by a worker that died (``kill -9``, a lost machine): a sweep does not stop
short of its total while the study still holds them.

A running trial counts toward ``--trials`` (another worker may be finishing it), so a worker that
finds the total reached waits until no trial is running: one of a live worker finishes, one whose
process died is failed once its heartbeat is older than the grace period and, by the study's
retry callback, queued again with the same parameters for the workers to run.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optuna


def running(study: optuna.Study) -> int:
    """How many of the study's trials are running (here, on another worker, or orphaned)."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def settle_running(study: optuna.Study, poll_s: float, stopping: Callable[[], bool] | None = None) -> None:
    """Return once no trial of ``study`` is running (stale ones are failed, and so retried), or
    once ``stopping`` says the sweep is to stop."""
    import optuna
    from optuna.storages import fail_stale_trials

    while running(study) and not (stopping is not None and stopping()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            fail_stale_trials(study)
        if running(study):
            time.sleep(poll_s)
