"""Hyperliquid encoding: price/size rules (properties), reversible cloids, the order wire against
the SDK's own wire builder."""

from __future__ import annotations

from decimal import Decimal

from hyperliquid.utils.signing import order_request_to_order_wire
from hyperliquid.utils.types import Cloid
from hypothesis import given
from hypothesis import strategies as st

from core.model import FALLING, RISING, OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder
from core.orders.ids import ClientIdRule, new_client_order_id
from core.venues.hyperliquid import encode
from core.venues.hyperliquid.rest import CAPABILITIES

prices = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("2000000"), places=8, allow_nan=False)
sz_decimals = st.integers(min_value=0, max_value=5)
sides = st.sampled_from([Side.BUY, Side.SELL])
ids = st.text(alphabet=encode._ALPHABET, min_size=1, max_size=encode.CLIENT_ID_MAX_LEN)


def reference_valid(px: Decimal, szd: int) -> bool:
    """Hyperliquid's rule written independently: integer, or <= 5 sig figs and <= 6 - szd decimals."""
    if px == int(px):
        return True
    text = format(px.normalize(), "f")
    decimals = len(text.split(".")[1])
    significant = len(text.replace(".", "").lstrip("0"))
    return decimals <= 6 - szd and significant <= 5


@given(prices, sz_decimals, sides)
def test_rounded_price_is_valid_and_passive(px: Decimal, szd: int, side: Side) -> None:
    out = encode.round_price(px, szd, side)
    assert reference_valid(out, szd), out
    assert encode.is_valid_price(out, szd)
    if side is Side.BUY and px >= encode.price_step(px, szd):
        assert out <= px  # a buy never rounds up past what was checked
    if side is Side.SELL:
        assert out >= px  # a sell never rounds down
    if reference_valid(px, szd):
        assert out == px  # a valid price is left alone


@given(prices, sz_decimals)
def test_validity_agrees_with_the_rule(px: Decimal, szd: int) -> None:
    assert encode.is_valid_price(px, szd) == reference_valid(px, szd)


@given(st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("100000"), places=8), sz_decimals)
def test_rounded_size_never_exceeds_and_fits(sz: Decimal, szd: int) -> None:
    out = encode.round_size(sz, szd)
    assert out <= sz
    assert out == out.quantize(Decimal(1).scaleb(-szd))
    assert sz - out < Decimal(1).scaleb(-szd)


def test_examples_from_the_docs() -> None:
    assert encode.is_valid_price(Decimal("1234.5"), 0)
    assert not encode.is_valid_price(Decimal("1234.56"), 0)
    assert encode.is_valid_price(Decimal("0.001234"), 0)
    assert not encode.is_valid_price(Decimal("0.0012345"), 0)
    assert encode.is_valid_price(Decimal("123456"), 5)
    assert encode.round_price(Decimal("95123.4"), 5, Side.SELL) == Decimal("95124")


@given(ids)
def test_cloid_round_trip(cid: str) -> None:
    cloid = encode.cloid_of(cid)
    Cloid.from_str(cloid)  # the SDK accepts it: 0x + 32 hex digits
    assert encode.client_id_of(cloid) == cid


@given(ids, ids)
def test_cloids_differ_for_different_ids(a: str, b: str) -> None:
    assert (encode.cloid_of(a) == encode.cloid_of(b)) == (a == b)


def test_engine_ids_fit_the_venue_rule() -> None:
    rule = ClientIdRule.of(CAPABILITIES)
    for prefix in ("tc", "algo", "strat_abc"):
        cid = new_client_order_id(prefix, rule=rule)
        assert rule.accepts(cid)
        assert encode.client_id_of(encode.cloid_of(cid)) == cid


def test_foreign_cloid_is_shown_as_it_is() -> None:
    foreign = "0x" + "00" * 15 + "01"
    assert encode.client_id_of(foreign) == encode.client_id_of(foreign)
    assert encode.client_id_of(None) == ""


def built(**kw: object) -> BuiltOrder:
    base: dict[str, object] = {
        "symbol": "ETHUSDT",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "qty": Decimal("0.0147"),
        "price": Decimal("1670.1"),
        "tif": TimeInForce.IOC,
        "reduce_only": False,
        "tp": None,
        "sl": None,
        "trigger_price": None,
        "trigger_direction": None,
        "order_link_id": "tc-abc123",
        "ref_price": Decimal("1670.1"),
    }
    base.update(kw)
    return BuiltOrder(**base)  # type: ignore[arg-type]


def test_limit_wire_equals_the_sdks() -> None:
    order = built()
    ours = encode.order_wire(order, 4, 4)
    sdk = order_request_to_order_wire(
        {
            "coin": "ETH",
            "is_buy": True,
            "sz": 0.0147,
            "limit_px": 1670.1,
            "order_type": {"limit": {"tif": "Ioc"}},
            "reduce_only": False,
            "cloid": Cloid.from_str(encode.cloid_of("tc-abc123")),
        },
        4,
    )
    assert ours == sdk
    assert list(ours) == list(sdk)  # the key order is hashed


def test_trigger_wire_equals_the_sdks() -> None:
    order = built(
        side=Side.SELL,
        order_type=OrderType.MARKET,
        price=None,
        tif=TimeInForce.GTC,
        reduce_only=True,
        trigger_price=Decimal("1500"),
        trigger_direction=FALLING,
    )
    ours = encode.order_wire(order, 4, 4)
    sdk = order_request_to_order_wire(
        {
            "coin": "ETH",
            "is_buy": False,
            "sz": 0.0147,
            "limit_px": 1500.0,
            "order_type": {"trigger": {"isMarket": True, "triggerPx": 1500.0, "tpsl": "sl"}},
            "reduce_only": True,
            "cloid": Cloid.from_str(encode.cloid_of("tc-abc123")),
        },
        4,
    )
    assert ours == sdk


def test_tif_and_tpsl_mapping() -> None:
    assert encode.order_wire(built(tif=TimeInForce.POST_ONLY, qty=Decimal("0.01")), 1, 4)["t"] == {
        "limit": {"tif": "Alo"}
    }
    rising_buy = built(
        order_type=OrderType.MARKET, price=None, trigger_price=Decimal("1700"), trigger_direction=RISING
    )
    assert encode.order_wire(rising_buy, 1, 4)["t"]["trigger"]["tpsl"] == "sl"
    falling_buy = built(
        order_type=OrderType.MARKET, price=None, trigger_price=Decimal("1600"), trigger_direction=FALLING
    )
    assert encode.order_wire(falling_buy, 1, 4)["t"]["trigger"]["tpsl"] == "tp"


def test_market_order_is_an_aggressive_valid_ioc() -> None:
    wire = encode.order_wire(built(order_type=OrderType.MARKET, price=None, tif=TimeInForce.GTC), 1, 4)
    assert wire["t"] == {"limit": {"tif": "Ioc"}}
    px = Decimal(wire["p"])
    assert px >= Decimal("1670.1") * Decimal("1.05")
    assert encode.is_valid_price(px, 4)


def test_numbers_hyperliquid_refuses_are_never_sent() -> None:
    for bad, why in (
        (built(price=Decimal("1670.123")), "not a Hyperliquid price"),
        (built(qty=Decimal("0.00001")), "is not a positive multiple"),
        (built(qty=Decimal("0.001")), "minimum"),
        (built(tif=TimeInForce.FOK), "FOK"),
        (built(tp=Decimal("1800")), "TP/SL"),
    ):
        try:
            encode.order_wire(bad, 1, 4)
        except encode.NotEncodable as exc:
            assert why in str(exc)
        else:
            raise AssertionError(f"{bad} was encoded")
