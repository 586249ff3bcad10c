"""Venue-qualified symbol helpers."""

from __future__ import annotations

import pytest

from core.venue_symbols import asset_of, is_qualified, on_venue, split, venue_label, venue_of


def test_plain_symbol_is_on_the_primary_venue() -> None:
    assert split("BTCUSDT") == ("BTCUSDT", "bybit")
    assert venue_label("BTCUSDT") == "BYB"


def test_suffix_names_the_second_venue_and_round_trips() -> None:
    assert venue_of("ETHUSDT.HL") == "hyperliquid"
    assert asset_of("ETHUSDT.HL") == "ETHUSDT"
    assert on_venue("ETHUSDT", "hyperliquid") == "ETHUSDT.HL"
    assert on_venue("ETHUSDT", "bybit") == "ETHUSDT"
    assert asset_of("ETHUSDT.BY") == "ETHUSDT"
    assert venue_label("ETHUSDT.HL") == "HL"


def test_unknown_suffix_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown venue suffix 'XX'"):
        venue_of("BTCUSDT.XX")
    with pytest.raises(ValueError, match="no symbol suffix"):
        on_venue("BTCUSDT", "nowhere")
    assert venue_label("BTCUSDT.XX") == "?"


def test_qualified_form() -> None:
    assert is_qualified("BTCUSDT.HL")
    assert is_qualified("1000PEPEUSDT")
    assert not is_qualified("btcusdt.hl")
    assert not is_qualified("BTCUSDT.")
