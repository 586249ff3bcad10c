"""Instrument specifications of the sim venue (Bybit V5 linear perpetual filters).

Inside the sim, prices are integer ticks and quantities integer lots (multiples of ``qtyStep``);
Decimals and strings appear only at the API boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

PRICE_LIMIT_RATIO = Decimal("0.05")
"""Limit prices more than 5% through the mark price are rejected with 110003."""
MARKET_SLIPPAGE = Decimal("0.03")
"""Market orders are IOC limit orders protected 3% through the best opposite price."""
TAKER_FEE = Decimal("0.00055")
MAKER_FEE = Decimal("0.0002")
MMR = Decimal("0.005")
"""Maintenance margin rate used for positionMM and the liquidation price."""
FUNDING_INTERVAL_MIN = 480
"""``fundingInterval``: minutes between funding times (00:00, 08:00, 16:00 UTC)."""
FUNDING_RATE = Decimal("0.0001")
"""The funding rate the sim's tickers show and positions settle at unless told otherwise."""


def _scale(d: Decimal) -> int:
    """Number of decimal places in ``d`` as written (``Decimal("0.010")`` → 3)."""
    exp = d.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


@dataclass(frozen=True)
class InstrumentSpec:
    """One linear perpetual: filters, leverage range and generator parameters."""

    symbol: str
    base_coin: str
    symbol_id: int
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    max_mkt_qty: Decimal
    min_notional: Decimal
    max_leverage: Decimal
    min_price: Decimal
    max_price: Decimal
    start_price: Decimal
    annual_vol: float
    level_qty: Decimal
    """Typical resting size of one synthetic book level near the top."""

    @cached_property
    def price_scale(self) -> int:
        """Decimal places of prices (``priceScale``)."""
        return _scale(self.tick)

    @cached_property
    def qty_scale(self) -> int:
        """Decimal places of quantities."""
        return _scale(self.step)

    @cached_property
    def _px_fmt(self) -> tuple[int, int, int]:
        return _units(self.tick), 10**self.price_scale, self.price_scale

    @cached_property
    def _qty_fmt(self) -> tuple[int, int, int]:
        return _units(self.step), 10**self.qty_scale, self.qty_scale

    # --- integer <-> Decimal/str conversions -------------------------------------------------
    def ticks_of(self, price: Decimal) -> int | None:
        """Integer ticks of ``price``, or None if it is not a positive multiple of ``tickSize``."""
        q, r = divmod(price, self.tick)
        if r != 0 or q <= 0:
            return None
        return int(q)

    def lots_of(self, qty: Decimal) -> int | None:
        """Integer lots of ``qty``, or None if it is not a non-negative multiple of ``qtyStep``."""
        q, r = divmod(qty, self.step)
        if r != 0 or q < 0:
            return None
        return int(q)

    def px(self, ticks: int) -> Decimal:
        """Decimal price of ``ticks``."""
        return (self.tick * ticks).quantize(self.tick)

    def qty(self, lots: int) -> Decimal:
        """Decimal quantity of ``lots``."""
        return (self.step * lots).quantize(self.step)

    def fmt_px(self, ticks: int) -> str:
        """Price string formatted to the tick's decimal places."""
        u, div, sc = self._px_fmt
        if ticks < 0:
            return "-" + self.fmt_px(-ticks)
        q, r = divmod(ticks * u, div)
        return f"{q}.{r:0{sc}d}" if sc else str(q)

    def fmt_qty(self, lots: int) -> str:
        """Quantity string formatted to the step's decimal places."""
        u, div, sc = self._qty_fmt
        if lots < 0:
            return "-" + self.fmt_qty(-lots)
        q, r = divmod(lots * u, div)
        return f"{q}.{r:0{sc}d}" if sc else str(q)

    def fmt_price_dec(self, price: Decimal) -> str:
        """Any Decimal price formatted with the instrument's price scale (e.g. averages)."""
        return f"{price.quantize(Decimal(1).scaleb(-self.price_scale)):f}"

    def max_leverage_str(self) -> str:
        """``maxLeverage`` as Bybit prints it."""
        return f"{self.max_leverage:.2f}"

    def info(self) -> dict[str, object]:
        """The instruments-info list item."""
        return {
            "symbol": self.symbol,
            "symbolId": self.symbol_id,
            "contractType": "LinearPerpetual",
            "status": "Trading",
            "baseCoin": self.base_coin,
            "quoteCoin": "USDT",
            "launchTime": "1585526400000",
            "deliveryTime": "0",
            "deliveryFeeRate": "",
            "priceScale": str(self.price_scale),
            "leverageFilter": {
                "minLeverage": "1",
                "maxLeverage": self.max_leverage_str(),
                "leverageStep": "0.01",
            },
            "priceFilter": {
                "minPrice": f"{self.min_price:f}",
                "maxPrice": f"{self.max_price:f}",
                "tickSize": f"{self.tick:f}",
            },
            "lotSizeFilter": {
                "maxOrderQty": f"{self.max_qty:f}",
                "minOrderQty": f"{self.min_qty:f}",
                "qtyStep": f"{self.step:f}",
                "postOnlyMaxOrderQty": f"{self.max_qty:f}",
                "maxMktOrderQty": f"{self.max_mkt_qty:f}",
                "minNotionalValue": f"{self.min_notional:f}",
            },
            "unifiedMarginTrade": True,
            "fundingInterval": FUNDING_INTERVAL_MIN,
            "settleCoin": "USDT",
            "copyTrading": "both",
            "upperFundingRate": "0.005",
            "lowerFundingRate": "-0.005",
            "isPreListing": False,
            "preListingInfo": None,
            "riskParameters": {
                "priceLimitRatioX": f"{PRICE_LIMIT_RATIO:f}",
                "priceLimitRatioY": "0.1",
            },
            "symbolType": "",
        }


def _units(d: Decimal) -> int:
    """``d`` as an integer number of its own smallest decimal unit (0.010 → 10)."""
    return int(d.scaleb(_scale(d)))


SPECS: dict[str, InstrumentSpec] = {
    s.symbol: s
    for s in (
        InstrumentSpec(
            symbol="BTCUSDT",
            base_coin="BTC",
            symbol_id=5,
            tick=Decimal("0.10"),
            step=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal("1190.000"),
            max_mkt_qty=Decimal("500.000"),
            min_notional=Decimal("5"),
            max_leverage=Decimal("100"),
            min_price=Decimal("0.10"),
            max_price=Decimal("1999999.80"),
            start_price=Decimal("95000.00"),
            annual_vol=0.8,
            level_qty=Decimal("0.400"),
        ),
        InstrumentSpec(
            symbol="ETHUSDT",
            base_coin="ETH",
            symbol_id=6,
            tick=Decimal("0.01"),
            step=Decimal("0.01"),
            min_qty=Decimal("0.01"),
            max_qty=Decimal("7240.00"),
            max_mkt_qty=Decimal("724.00"),
            min_notional=Decimal("5"),
            max_leverage=Decimal("100"),
            min_price=Decimal("0.01"),
            max_price=Decimal("199999.98"),
            start_price=Decimal("3400.00"),
            annual_vol=0.9,
            level_qty=Decimal("6.00"),
        ),
        InstrumentSpec(
            symbol="SOLUSDT",
            base_coin="SOL",
            symbol_id=7,
            tick=Decimal("0.010"),
            step=Decimal("0.1"),
            min_qty=Decimal("0.1"),
            max_qty=Decimal("79770.0"),
            max_mkt_qty=Decimal("5000.0"),
            min_notional=Decimal("5"),
            max_leverage=Decimal("50"),
            min_price=Decimal("0.010"),
            max_price=Decimal("19999.980"),
            start_price=Decimal("180.000"),
            annual_vol=1.1,
            level_qty=Decimal("60.0"),
        ),
    )
}
