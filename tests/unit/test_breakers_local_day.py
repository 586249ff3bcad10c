"""The breakers' local day, remembered per quarter hour, is the zone's calendar day at every instant:
around local midnights, in zones a quarter hour or half an hour off UTC, across DST changes, and
in a historical zone whose offset was not a whole number of quarter hours (not remembered)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import BreakerSettings
from core.risk.breakers import BreakerBoard

ZONES = (
    "UTC",
    "Asia/Kathmandu",  # +5:45
    "America/St_Johns",  # -3:30 / -2:30 with DST
    "Australia/Eucla",  # +8:45
    "Europe/Berlin",
    "America/Santiago",  # DST changes at local midnight
    "Africa/Monrovia",  # -0:44:30 until 1972
)
MIN_MS = -60 * 365 * 86_400_000 // 2  # 1940
MAX_MS = 2_000_000_000_000  # 2033


def _day(tz: str, now_ms: int) -> object:
    return datetime.fromtimestamp(now_ms // 1000, tz=ZoneInfo(tz)).date()


@settings(max_examples=60, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    start=st.integers(MIN_MS, MAX_MS),
    steps=st.lists(st.integers(-3_600_000, 3_600_000), min_size=1, max_size=60),
)
def test_local_day_is_the_zones_calendar_day_at_every_instant(tz: str, start: int, steps: list[int]) -> None:
    board = BreakerBoard(BreakerSettings.model_validate({"timezone": tz}), exposure_cap=Decimal(1))
    now = start
    for step in steps:
        now += step
        assert board.local_day(now) == _day(tz, now), (tz, now)


def test_the_day_changes_at_the_local_midnight_of_a_quarter_hour_zone() -> None:
    tz = "Asia/Kathmandu"
    board = BreakerBoard(BreakerSettings.model_validate({"timezone": tz}), exposure_cap=Decimal(1))
    midnight = int(datetime(2026, 3, 2, tzinfo=ZoneInfo(tz)).timestamp() * 1000)
    for now in (midnight - 60_000, midnight - 1_000, midnight, midnight + 1_000, midnight - 1_000):
        assert board.local_day(now) == _day(tz, now)
