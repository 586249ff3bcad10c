"""Opening a sweep's Optuna storage when several workers, commands or machines open it at once.

The first opening of a fresh storage creates its tables. Two processes doing that together race:
the slower one finds a table the other has just made (``table alembic_version already exists``,
``UNIQUE constraint failed: alembic_version``) and its opening fails although the storage is fine.
Such a failure is retried, a few times with a short pause, before it counts as a bad storage.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

ATTEMPTS = 5
PAUSE_S = 0.2
RACED = ("already exists", "unique constraint failed", "duplicate")
"""Words of a schema creation that lost the race to another process (SQLite, PostgreSQL, MySQL)."""


def open_storage(
    url: str, *, engine_kwargs: dict[str, Any], heartbeat_s: int, grace_s: int
) -> optuna.storages.RDBStorage:
    """The storage at ``url`` with heartbeats and one retry of a dead worker's trial; an error
    other than a lost schema race (or one left after the last attempt) is raised as it is."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    for attempt in range(1, ATTEMPTS + 1):
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_s,
                grace_period=grace_s,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
        except SQLAlchemyError as exc:
            if attempt == ATTEMPTS or not any(word in str(exc).lower() for word in RACED):
                raise
            time.sleep(PAUSE_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
