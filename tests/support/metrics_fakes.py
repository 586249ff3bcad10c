"""A manual clock for the metrics registry, and the signatures of the observability fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from core.metrics import Metrics


class FakeClock:
    """A manual clock for ``Metrics(clock=...)``: no wall-clock timing in unit tests."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


ExerciseAll = Callable[[Metrics, FakeClock], None]
"""``exercise_all(metrics, clock)``: every public recording method called at least once."""


class MetricValue(Protocol):
    """``metric_value(metrics, name, **labels)``: one sample's value from a real scrape (0 if absent)."""

    def __call__(self, m: Metrics, metric: str, /, **labels: str) -> float: ...


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
"""A scrape's samples by (sample name, sorted labels)."""
