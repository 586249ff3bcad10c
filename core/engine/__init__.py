"""The engine: a thin :class:`Engine` facade (implements :class:`core.api.EngineAPI`) over small
collaborators, one job each.

Where an order goes, in walking order: ``order_path`` (place, cancel) → ``pretrade`` (build,
risk context, preview) → the risk chain (:mod:`core.risk.chain`) → ``lifecycle`` (the journal
records) → the executor (:mod:`core.orders.executor`). Beside it: ``amend``, ``positions``,
``outcomes``; ``account_sync`` (REST snapshots, pushes, fills), ``reconcile`` (unknown outcomes by
client order id), ``guards`` (breakers), ``health``, ``loops``, ``streams``, ``resync``,
``startup``, ``panic``, ``failsafe``; ``wiring`` builds the guards from the settings.
"""

from core.engine.facade import Engine

__all__ = ["Engine"]
