"""The in-process feeds parse a ticker delta field by field onto the previous ticker; every ticker
they hand over equals the Bybit codec's parse of the merged fields, in bar mode (a backtest's
drives) and with the full streams (the generator's market with its 24 h statistics)."""

from __future__ import annotations

from typing import Any

import pytest

from core.model import Ticker
from core.venues.base import FeedTiming
from core.venues.bybit import parse
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.ticker_delta import FIELDS
from tests.support.recording_sink import RecordingSink

SYM = "BTCUSDT"
MINUTE_MS = 60_000
STEP_MS = 250


class CodecReference:
    """Merges the raw ticker pushes as the Bybit feeds do and parses the whole of them each time."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.tickers: list[Ticker] = []
        self.deltas = 0

    def __call__(self, topic: str, msg: dict[str, Any]) -> None:
        if not topic.startswith("tickers."):
            return
        data = msg["data"]
        if msg["type"] == "snapshot":
            self.state = dict(data)
        else:
            self.state = {**self.state, **data}
            self.deltas += 1
        self.state["symbol"] = SYM
        self.tickers.append(parse.ticker(self.state, int(msg["ts"])))


def _venue(bar_mode: bool) -> tuple[SimulatedVenue, RecordingSink, CodecReference]:
    venue = SimulatedVenue.prepared(seed=5, symbols=(SYM,))
    venue.bars.set_bar_mode(bar_mode)
    sink = RecordingSink()
    feeds = venue.feeds((SYM,), sink, FeedTiming())
    reference = CodecReference()
    venue.exchange.add_public_listener(reference)  # after the feeds' own listener
    feeds.start()
    reference(f"tickers.{SYM}", venue.exchange.public_snapshot(f"tickers.{SYM}") or {})
    return venue, sink, reference


@pytest.mark.parametrize("bar_mode", [True, False])
def test_every_ticker_equals_the_codecs_parse_of_the_merged_fields(bar_mode: bool) -> None:
    venue, sink, reference = _venue(bar_mode)
    clock = venue.clock
    for n in range(50):
        price = 60_000.0 + 37.5 * (n % 11) - 55.0 * (n % 7)
        venue.bars.drive(SYM, price, clock.now_ms() + MINUTE_MS)
        venue.bars.wander(clock.now_ms() + STEP_MS)
        venue.advance(STEP_MS * 2)
    got = sink.of("ticker")
    assert reference.deltas > 40
    assert got == reference.tickers


def test_the_field_table_covers_every_ticker_attribute_and_the_sims_fields() -> None:
    _, _, reference = _venue(False)
    # Every Ticker attribute but the symbol and the time comes from one field of the table, and
    # the sim's full ticker sends each of them.
    assert {attr for attr, _ in FIELDS.values()} == set(Ticker.__dataclass_fields__) - {"symbol", "ts_ms"}
    assert set(FIELDS) <= set(reference.state)
