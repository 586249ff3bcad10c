"""Strategies: one class that runs unchanged in a backtest and against a venue.

:mod:`core.strategy.base` is the API (:class:`Strategy`, :class:`Bar`), :mod:`.context` what a
strategy sees and the commands it sends (all through the engine's one order path),
:mod:`.params` its declared parameters, :mod:`.loader` finds a strategy by module path or file,
and :mod:`.backtest` runs one on the in-process venue bar by bar.
"""
