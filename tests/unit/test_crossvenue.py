"""Cross-venue math: spreads after fees both ways, basis, pairing by asset, spread alerts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.market.crossvenue import (
    A_TO_B,
    B_TO_A,
    SpreadAlerts,
    VenueQuote,
    basis_bps,
    cross_view,
    pair_symbols,
    quote_of,
    raw_spread_bps,
    spread_after_fees_bps,
)
from core.model import BookLevel, BookView, Ticker

D = Decimal
prices = st.decimals(min_value=D("0.0001"), max_value=D("1000000"), places=4)
fees = st.decimals(min_value=D(0), max_value=D("0.01"), places=6)


def q(sym: str, bid: str, ask: str, fee: str = "0.00055") -> VenueQuote:
    return VenueQuote(sym, D(bid), D(ask), D(fee))


def test_buy_a_sell_b_after_fees_known_numbers() -> None:
    # Buy on A at 100 + 0.1% = 100.1; sell on B at 101 - 0.1% = 100.899; (100.899-100.1)/100.1
    bps = spread_after_fees_bps(D(100), D("0.001"), D(101), D("0.001"))
    assert bps.quantize(D("0.0001")) == D("79.8202")
    view = cross_view("BTCUSDT", q("BTCUSDT", "99", "100", "0.001"), q("BTCUSDT.HL", "101", "102", "0.001"))
    assert view.a_to_b_bps == bps
    # the reverse: buy on B at 102.102, sell on A at 98.901: deeply negative
    assert view.b_to_a_bps is not None and view.b_to_a_bps < 0
    # mids 99.5 and 101.5: basis 2/99.5 in bps
    assert view.basis_bps == (D("101.5") - D("99.5")) / D("99.5") * 10_000


@given(prices, fees, prices, fees)
def test_spread_after_fees_never_better_than_raw(
    ask: Decimal, fa: Decimal, bid: Decimal, fb: Decimal
) -> None:
    assert spread_after_fees_bps(ask, fa, bid, fb) <= raw_spread_bps(ask, bid)


@given(prices, prices)
def test_no_fees_is_the_raw_spread(ask: Decimal, bid: Decimal) -> None:
    assert spread_after_fees_bps(ask, D(0), bid, D(0)) == raw_spread_bps(ask, bid)


@given(prices, prices, fees)
def test_symmetric_books_give_symmetric_spreads(bid: Decimal, width: Decimal, fee: Decimal) -> None:
    ask = bid + width
    view = cross_view("X", VenueQuote("X", bid, ask, fee), VenueQuote("X.HL", bid, ask, fee))
    assert view.a_to_b_bps == view.b_to_a_bps
    assert view.a_to_b_bps is not None and view.a_to_b_bps < 0  # crossing your own spread loses
    assert view.basis_bps == 0


@given(prices, prices, prices, prices, fees, fees)
def test_swapping_venues_swaps_directions_and_negates_basis(
    b1: Decimal, w1: Decimal, b2: Decimal, w2: Decimal, f1: Decimal, f2: Decimal
) -> None:
    qa, qb = VenueQuote("X", b1, b1 + w1, f1), VenueQuote("X.HL", b2, b2 + w2, f2)
    ab, ba = cross_view("X", qa, qb), cross_view("X", qb, qa)
    assert ab.a_to_b_bps == ba.b_to_a_bps and ab.b_to_a_bps == ba.a_to_b_bps
    assert ab.basis_bps is not None and ba.basis_bps is not None
    assert (ab.basis_bps > 0) == (ba.basis_bps < 0) or ab.basis_bps == ba.basis_bps == 0


def test_missing_quote_gives_no_numbers() -> None:
    view = cross_view("X", VenueQuote("X", None, None, D(0)), q("X.HL", "1", "2"))
    assert view.a_to_b_bps is None and view.b_to_a_bps is None and view.basis_bps is None
    assert basis_bps(q("X", "1", "2"), VenueQuote("X.HL", D(1), None, D(0))) is None


def test_quote_from_book_first_then_ticker_with_funding() -> None:
    book = BookView("X", (BookLevel(D(10), D(1)),), (BookLevel(D(11), D(1)),), 1, 1, 0)
    tick = Ticker("X", D(10), D(10), D(10), D(9), D(12), funding_rate=D("0.0001"), next_funding_ms=5)
    got = quote_of("X", book, tick, D("0.001"))
    assert (got.bid, got.ask, got.funding_rate, got.next_funding_ms) == (D(10), D(11), D("0.0001"), 5)
    only_ticker = quote_of("X", None, tick, D("0.001"))
    assert (only_ticker.bid, only_ticker.ask) == (D(9), D(12))
    assert quote_of("X", None, None, D(0)).bid is None


def test_pairs_are_assets_listed_on_two_venues() -> None:
    symbols = ["BTCUSDT", "ETHUSDT", "BTCUSDT.HL", "SOLUSDT.HL", "ETHUSDT.HL", "bad.ZZZ"]
    assert pair_symbols(symbols) == [
        ("BTCUSDT", "BTCUSDT", "BTCUSDT.HL"),
        ("ETHUSDT", "ETHUSDT", "ETHUSDT.HL"),
    ]
    # the primary venue is A even when listed second
    assert pair_symbols(["BTCUSDT.HL", "BTCUSDT"]) == [("BTCUSDT", "BTCUSDT", "BTCUSDT.HL")]


def test_alert_fires_once_and_rearms_below_threshold() -> None:
    alerts = SpreadAlerts(D(5))
    wide = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.1", "100.2", "0"))  # A→B +10 bps
    narrow = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.01", "100.2", "0"))  # +1 bps
    fired = alerts.check([wide])
    assert [(a.asset, a.direction) for a in fired] == [("X", A_TO_B)]
    assert "10.00 bps" in fired[0].message
    assert alerts.check([wide]) == []  # still above: no repeat
    assert alerts.above("X", A_TO_B) and not alerts.above("X", B_TO_A)
    assert alerts.check([narrow]) == []  # falls back: re-armed, nothing fires
    assert not alerts.above("X", A_TO_B)
    assert len(alerts.check([wide])) == 1  # crosses again: fires again


def test_alert_hovering_at_the_threshold_fires_once() -> None:
    """Before: a spread that ticked 5.02, 4.98, 5.01 ... bps around a 5 bps threshold alerted at
    every tick above it (a log line and a toast a second on the sims)."""
    alerts = SpreadAlerts(D(10))
    at = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.1", "100.2", "0"))  # +10 bps
    just_under = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.095", "100.2", "0"))  # +9.5
    far_under = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.08", "100.2", "0"))  # +8
    assert len(alerts.check([at])) == 1
    for _ in range(5):
        assert alerts.check([just_under]) == []
        assert alerts.check([at]) == []
    assert alerts.check([far_under]) == []  # 2 bps under: re-armed
    assert len(alerts.check([at])) == 1


def test_alert_at_exactly_the_threshold_fires() -> None:
    alerts = SpreadAlerts(D(10))
    view = cross_view("X", q("X", "99", "100", "0"), q("X.HL", "100.1", "100.2", "0"))
    assert view.a_to_b_bps == D(10)
    assert len(alerts.check([view])) == 1
