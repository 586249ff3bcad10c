"""Group caps and correlated exposure: pass, fail with the group and the numbers, the edges
(exactly at the cap, worst fill, unusable mark, short history), reduce-only always passes, the
checks in the chain and its preview, and a property: a passing order never takes a group over
its cap, however much of it and of the same-side working orders fills."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.config import RiskSettings
from core.model import Balance, Instrument, Mode, OrderRequest, OrderType, Position, Side
from core.orders.builder import OrderBuilder
from core.orders.built import BuiltOrder
from core.risk.chain import RiskChain
from core.risk.context import OpenOrderSummary, RiskContext, signed_position
from core.risk.correlation import PriceHistory, aligned_returns, correlation, pearson
from core.risk.exposure import CorrelatedExposureCheck, GroupCapCheck, worst_size

BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.10"), D("0.001"), D("0.001"), D("1190"), D("500"), D("5"),
    D("1"), D("100"), D("0.01"), D("0.10"), D("1999999.80"),
)  # fmt: skip
BUILDER = OrderBuilder()
MAJORS = GroupCapCheck({"majors": ["BTCUSDT", "ETHUSDT"]}, {"majors": D(300_000)})


def order(side: Side = Side.BUY, qty: str = "1", *, reduce_only: bool = False) -> BuiltOrder:
    request = OrderRequest("BTCUSDT", side, D(qty), OrderType.MARKET, reduce_only=reduce_only)
    return BUILDER.build(request, BTC, ref_price=D(50_000), order_link_id="tc-test")


def pos(symbol: str, side: Side, size: str, mark: str) -> Position:
    return Position(symbol, side, D(size), D(mark), D(mark), D(0), leverage=D(10))


def ctx(*positions: Position, **kw: object) -> RiskContext:
    base: dict[str, object] = {
        "mode": Mode.SIM,
        "rest_url": "http://127.0.0.1:8765",
        "instrument": BTC,
        "mark_price": D(50_000),
        "positions": {p.symbol: p for p in positions},
        "balance": Balance("USDT", D(1_000_000), D(1_000_000), D(1_000_000)),
    }
    base.update(kw)
    return RiskContext(**base)  # type: ignore[arg-type]


ETH_150K = pos("ETHUSDT", Side.BUY, "50", "3000")


# --- group caps ------------------------------------------------------------------------------


def test_group_within_cap_passes_and_says_the_numbers() -> None:
    r = MAJORS.check(order(qty="2"), ctx(ETH_150K))
    assert r.passed and r.reason == "majors 250,000.00 <= 300,000.00"


def test_exactly_at_the_cap_passes() -> None:
    assert MAJORS.check(order(qty="3"), ctx(ETH_150K)).passed


def test_over_the_cap_names_group_members_total_and_setting() -> None:
    r = MAJORS.check(order(qty="3.001"), ctx(ETH_150K))
    assert not r.passed and r.check == "group_caps"
    assert r.reason == (
        "group majors: BTCUSDT 150,050.00 + ETHUSDT 150,000.00 = 300,050.00 USDT > cap 300,000.00 "
        "(risk.group_caps.majors)"
    )


def test_a_short_counts_like_a_long() -> None:
    short_eth = pos("ETHUSDT", Side.SELL, "50", "3000")
    assert not MAJORS.check(order(qty="3.001"), ctx(short_eth)).passed


def test_symbol_in_no_group_passes() -> None:
    alts = GroupCapCheck({"alts": ["SOLUSDT"]}, {"alts": D(1)})
    r = alts.check(order(qty="100"), ctx())
    assert r.passed and r.reason == "BTCUSDT is in no group"


def test_every_group_holding_the_symbol_is_checked() -> None:
    check = GroupCapCheck(
        {"majors": ["BTCUSDT", "ETHUSDT"], "btc_only": ["BTCUSDT"]},
        {"majors": D(1_000_000), "btc_only": D(100_000)},
    )
    r = check.check(order(qty="2.5"), ctx(ETH_150K))
    assert not r.passed and "group btc_only: BTCUSDT 125,000.00 = 125,000.00" in r.reason
    assert "(risk.group_caps.btc_only)" in r.reason


def test_reduce_only_and_reducing_orders_always_pass() -> None:
    big = pos("BTCUSDT", Side.BUY, "10", "50000")  # 500k + 150k: the group is already over its cap
    assert MAJORS.check(order(Side.SELL, "1", reduce_only=True), ctx(big, ETH_150K)).passed
    assert MAJORS.check(order(Side.SELL, "1"), ctx(big, ETH_150K)).passed  # against, smaller
    assert not MAJORS.check(order(Side.BUY, "0.001"), ctx(big, ETH_150K)).passed
    # reduce-only passes even with an unusable mark
    assert MAJORS.check(order(Side.SELL, "1", reduce_only=True), ctx(big, mark_price=D(0))).passed


def test_worst_fill_counts_this_order_alone_and_with_working_orders() -> None:
    short = pos("BTCUSDT", Side.SELL, "10", "50000")
    working = {"BTCUSDT": OpenOrderSummary(1, buy_qty=D(15))}
    c = ctx(short, open_orders=working)
    # alone: -10 + 2 = -8; with the working buy: -10 + 17 = +7; the worst is 8
    assert worst_size(order(qty="2"), c) == D(8)
    assert worst_size(order(qty="9"), c) == D(14)


def test_unusable_mark_blocks_with_the_setting() -> None:
    r = MAJORS.check(order(qty="1"), ctx(mark_price=D(0)))
    assert not r.passed and "mark price 0" in r.reason and "(risk.group_caps.majors)" in r.reason


def test_a_group_without_a_cap_is_refused() -> None:
    try:
        GroupCapCheck({"majors": ["BTCUSDT"]}, {})
    except ValueError as exc:
        assert "majors" in str(exc) and "risk.group_caps" in str(exc)
    else:
        raise AssertionError("a group without a cap was accepted")


# --- correlation -----------------------------------------------------------------------------

RETURNS = [0.01, -0.02, 0.015, -0.005, 0.02, -0.01] * 5  # 30 returns


def history(returns: list[float], start: float = 100.0) -> PriceHistory:
    closes = [start]
    for r in returns:
        closes.append(closes[-1] * (1 + r))
    return PriceHistory.regular(closes)


def test_pearson_hand_computed() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == 1.0
    assert pearson([1, 2, 3], [3, 2, 1]) == -1.0
    # means 2.5; sxy = 2.25 - 0.25 - 0.25 + 2.25 = 4; sxx = syy = 5: rho = 0.8
    rho = pearson([1, 2, 3, 4], [1, 3, 2, 4])
    assert rho is not None and abs(rho - 0.8) < 1e-12
    assert pearson([1, 1, 1], [1, 2, 3]) is None and pearson([1], [1]) is None


def test_returns_align_on_shared_bars_and_keep_the_window() -> None:
    a = PriceHistory((0, 1, 2, 3), (100.0, 110.0, 121.0, 242.0))
    b = PriceHistory((0, 1, 3), (10.0, 20.0, 30.0))
    ra, rb = aligned_returns(a, b, 10)
    assert [round(x, 9) for x in ra] == [0.1, 1.2] and [round(x, 9) for x in rb] == [1.0, 0.5]
    ra, rb = aligned_returns(a, b, 1)
    assert len(ra) == len(rb) == 1


def test_rolling_correlation_of_returns() -> None:
    c = correlation(history(RETURNS), history(RETURNS, 3000.0), 60)
    assert c.n == 30 and c.rho is not None and abs(c.rho - 1) < 1e-9
    c = correlation(history(RETURNS), history([-r for r in RETURNS]), 60)
    assert c.rho is not None and abs(c.rho + 1) < 1e-9


CORR = CorrelatedExposureCheck(D(300_000), D("0.8"), window=60, min_returns=20)
SOL_100K = pos("SOLUSDT", Side.SELL, "1000", "100")
ETH_100K = pos("ETHUSDT", Side.BUY, "33.3333", "3000")  # 99,999.90


def closes(**by_symbol: list[float]) -> dict[str, PriceHistory]:
    return {sym: history(r) for sym, r in by_symbol.items()}


MOVING_TOGETHER = closes(
    BTCUSDT=RETURNS, ETHUSDT=RETURNS, SOLUSDT=[-r for r in RETURNS]
)  # SOL moves exactly against BTC: |rho| = 1 counts too


def test_correlated_symbols_count_together_against_the_cap() -> None:
    c = ctx(ETH_100K, SOL_100K, closes=MOVING_TOGETHER)
    ok = CORR.check(order(qty="2"), c)
    assert ok.passed and ok.reason.startswith("group BTCUSDT+ETHUSDT+SOLUSDT")
    assert "299,999.90 <= 300,000.00" in ok.reason
    r = CORR.check(order(qty="2.01"), c)
    assert not r.passed and r.check == "correlated_exposure"
    assert r.reason == (
        "correlated group BTCUSDT+ETHUSDT+SOLUSDT (|rho| >= 0.8, ETHUSDT rho +1.00, SOLUSDT rho -1.00): "
        "BTCUSDT 100,500.00 + ETHUSDT 99,999.90 + SOLUSDT 100,000.00 = 300,499.90 USDT "
        "> max 300,000.00 (risk.max_correlated_exposure)"
    )


def test_uncorrelated_symbols_are_left_out_and_named() -> None:
    zigzag = [0.01, 0.01, -0.01, -0.01] * 8  # orthogonal to RETURNS' pattern
    c = ctx(ETH_100K, SOL_100K, closes=closes(BTCUSDT=RETURNS, ETHUSDT=RETURNS, SOLUSDT=zigzag))
    sol = correlation(c.closes["BTCUSDT"], c.closes["SOLUSDT"], 60)
    assert sol.rho is not None and abs(sol.rho) < 0.8
    r = CORR.check(order(qty="4"), c)
    assert r.passed and r.reason.startswith("group BTCUSDT+ETHUSDT (ETHUSDT rho +1.00)")
    assert f"not correlated: SOLUSDT rho {sol.rho:+.2f}" in r.reason


def test_short_history_is_assumed_correlated_and_said() -> None:
    c = ctx(ETH_100K, closes=closes(BTCUSDT=RETURNS[:10], ETHUSDT=RETURNS[:10]))
    r = CORR.check(order(qty="4.1"), c)
    assert not r.passed and "ETHUSDT 10 returns < 20: assumed correlated" in r.reason
    # no history at all: the same
    r = CORR.check(order(qty="4.1"), ctx(ETH_100K))
    assert not r.passed and "ETHUSDT 0 returns < 20: assumed correlated" in r.reason


def test_correlated_exposure_off_and_reduce_only() -> None:
    off = CorrelatedExposureCheck(None, D("0.8"))
    r = off.check(order(qty="100"), ctx(ETH_100K))
    assert r.passed and "off" in r.reason and off.history_need is None
    assert CORR.history_need == ("5m", 61)
    big = pos("BTCUSDT", Side.BUY, "10", "50000")
    assert CORR.check(order(Side.SELL, "1", reduce_only=True), ctx(big, ETH_100K)).passed
    assert not CORR.check(order(Side.BUY, "0.001"), ctx(big, ETH_100K)).passed


# --- in the chain and its preview ----------------------------------------------------------


def test_the_chain_runs_both_and_the_preview_lists_them() -> None:
    risk = RiskSettings.model_validate(
        {
            "groups": {"majors": ["BTCUSDT", "ETHUSDT"]},
            "group_caps": {"majors": "200000"},
            "max_correlated_exposure": "900000",
        }
    )
    chain = RiskChain.from_settings(risk)
    assert chain.history_need == ("5m", 61)
    results = {r.check: r for r in chain.evaluate(order(qty="1.5"), ctx(ETH_150K))}
    assert (
        results["group_caps"].passed is False and "(risk.group_caps.majors)" in results["group_caps"].reason
    )
    assert results["correlated_exposure"].passed
    first = chain.first_failure(order(qty="1.5"), ctx(ETH_150K))
    assert first is not None and first.check == "group_caps"
    default = RiskChain.from_settings(RiskSettings.model_validate({}))
    assert default.history_need is None  # nothing gathers candles unless a check needs them


# --- property: a passing order never takes a group over its cap ---------------------------

SYMS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def dec(draw: st.DrawFn, lo: float, hi: float, q: str) -> D:
    return D(str(draw(st.floats(lo, hi, allow_nan=False)))).quantize(D(q))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[GroupCapCheck, RiskContext, BuiltOrder]:
    mark = dec(draw, 1000, 100_000, "0.1")
    positions = {}
    for s in SYMS:
        if draw(st.booleans()):
            m = mark if s == "BTCUSDT" else dec(draw, 10, 5000, "0.01")
            side = draw(st.sampled_from(list(Side)))
            positions[s] = Position(s, side, dec(draw, 0.001, 20, "0.001"), m, m, D(0), leverage=D(10))
    working = {"BTCUSDT": OpenOrderSummary(1, dec(draw, 0, 5, "0.001"), dec(draw, 0, 5, "0.001"))}
    groups = {
        "majors": ["BTCUSDT", "ETHUSDT"],
        "all": list(SYMS),
        "btc": ["BTCUSDT"],
    }
    caps = {g: (mark * dec(draw, 0.05, 40, "0.01")).quantize(D("0.01")) for g in groups}
    request = OrderRequest(
        "BTCUSDT",
        draw(st.sampled_from(list(Side))),
        dec(draw, 0.001, 15, "0.001"),
        OrderType.MARKET,
        reduce_only=draw(st.integers(0, 3)) == 0,
    )
    o = BUILDER.try_build(request, BTC, ref_price=mark, order_link_id="tc-p")
    assume(isinstance(o, BuiltOrder))
    assert isinstance(o, BuiltOrder)
    c = ctx(*positions.values(), mark_price=mark, open_orders=working)
    return GroupCapCheck(groups, caps), c, o


def group_exposure(c: RiskContext, members: list[str], btc_size: D) -> D:
    """Independently: other members at their position notional, BTC at |size| x mark."""
    others = sum(
        (
            abs(p.signed_size) * p.mark_price
            for s, p in c.positions.items()
            if s in members and s != "BTCUSDT"
        ),
        D(0),
    )
    return others + abs(btc_size) * c.mark_price


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.floats(0, 1))
def test_a_passing_order_never_takes_a_group_over_its_cap(
    scenario: tuple[GroupCapCheck, RiskContext, BuiltOrder], share: float
) -> None:
    check, c, o = scenario
    result = check.check(o, c)
    if o.reduce_only:  # the venue fills it only against the position: it can only reduce
        assert result.passed, result
        return
    if not result.passed:
        assert result.reason.startswith("group ") and "(risk.group_caps." in result.reason
        return
    now = signed_position(c, "BTCUSDT")
    most = o.qty + c.orders_on("BTCUSDT").qty(o.side)
    for filled in (o.qty, most, (most * D(str(share))).quantize(D("0.001"))):
        after = now + filled * o.side.sign
        for name, members in check.groups.items():
            before = group_exposure(c, list(members), now)
            exposure = group_exposure(c, list(members), after)
            # over the cap only if it was already over and the order took exposure away
            assert exposure <= check.caps[name] or exposure <= before, (name, exposure, check.caps[name])
