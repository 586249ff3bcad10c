"""The sim's order record and its Bybit V5 REST/WS representation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.sim._common import ZERO, dstr
from core.sim.instruments import InstrumentSpec

OPEN_STATUSES = frozenset({"New", "PartiallyFilled", "Untriggered"})


@dataclass(slots=True)
class Order:
    """One user order. Prices are ticks, quantities lots."""

    order_id: str
    link_id: str
    api_key: str
    spec: InstrumentSpec
    side: str
    sign: int
    order_type: str
    price: int
    qty: int
    tif: str
    reduce_only: bool
    close_on_trigger: bool
    created_ms: int
    seq: int
    status: str = "New"
    cum: int = 0
    cum_value: Decimal = ZERO
    cum_fee: Decimal = ZERO
    closed_pnl: Decimal = ZERO
    trigger: int = 0
    trigger_direction: int = 0
    trigger_by: str = ""
    take_profit: int = 0
    stop_loss: int = 0
    tp_trigger_by: str = ""
    sl_trigger_by: str = ""
    updated_ms: int = 0
    cancel_type: str = "UNKNOWN"
    reject_reason: str = "EC_NoError"
    create_type: str = "CreateByUser"
    stop_order_type: str = ""
    last_price_on_created: str = ""

    @property
    def leaves(self) -> int:
        """Lots still to fill while the order is open; 0 once it is closed."""
        return self.qty - self.cum if self.status in OPEN_STATUSES or self.status == "Triggered" else 0

    @property
    def is_open(self) -> bool:
        """New, PartiallyFilled or Untriggered."""
        return self.status in OPEN_STATUSES

    def to_dict(self, ws: bool = False, history: bool = False) -> dict[str, object]:
        """The REST open-order item; ``history=True`` adds the order-history fields, ``ws=True`` the
        private ``order`` topic's (each page's own field table: they differ)."""
        spec = self.spec
        leaves = self.leaves
        avg = spec.fmt_price_dec(self.cum_value / spec.qty(self.cum)) if self.cum else ""
        d: dict[str, object] = {
            "orderId": self.order_id,
            "orderLinkId": self.link_id,
            "parentOrderLinkId": "",
            "createType": self.create_type,
            "blockTradeId": "",
            "symbol": spec.symbol,
            "price": spec.fmt_px(self.price),
            "qty": spec.fmt_qty(self.qty),
            "side": self.side,
            "isLeverage": "",
            "positionIdx": 0,
            "orderStatus": self.status,
            "cancelType": self.cancel_type,
            "rejectReason": self.reject_reason,
            "avgPrice": avg,
            "leavesQty": spec.fmt_qty(leaves),
            "leavesValue": dstr(spec.qty(leaves) * spec.px(self.price)),
            "cumExecQty": spec.fmt_qty(self.cum),
            "cumExecValue": dstr(self.cum_value),
            "cumExecFee": dstr(self.cum_fee),
            "timeInForce": self.tif,
            "orderType": self.order_type,
            "stopOrderType": self.stop_order_type,
            "orderIv": "",
            "triggerPrice": spec.fmt_px(self.trigger),
            "takeProfit": spec.fmt_px(self.take_profit),
            "stopLoss": spec.fmt_px(self.stop_loss),
            "tpTriggerBy": self.tp_trigger_by,
            "slTriggerBy": self.sl_trigger_by,
            "triggerDirection": self.trigger_direction,
            "triggerBy": self.trigger_by,
            "lastPriceOnCreated": self.last_price_on_created,
            "reduceOnly": self.reduce_only,
            "closeOnTrigger": self.close_on_trigger,
            "smpType": "None",
            "smpGroup": 0,
            "smpOrderId": "",
            "tpslMode": "Full" if (self.take_profit or self.stop_loss) else "",
            "tpLimitPrice": "",
            "slLimitPrice": "",
            "placeType": "",
            "createdTime": str(self.created_ms),
            "updatedTime": str(self.updated_ms or self.created_ms),
            "cumFeeDetail": {"USDT": dstr(self.cum_fee)} if self.cum_fee else {},
        }
        if ws or history:
            d["slippageToleranceType"] = "UNKNOWN"
            d["slippageTolerance"] = ""
            d["rpiTakerAccess"] = False
            d["rpiMatchedQty"] = "0"
        if history:
            d["extraFees"] = ""
        if ws:
            d["category"] = "linear"
            d["closedPnl"] = dstr(self.closed_pnl)
            d["feeCurrency"] = ""
        return d
