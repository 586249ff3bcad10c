"""The market feeds after each step: l2Book snapshots (at most every ``book_interval_ms``), bbo on
change, trades, allMids and activeAssetCtx, to the WebSocket subscribers."""

from __future__ import annotations

from collections.abc import Callable

from core.sim.hyperliquid import info
from core.sim.hyperliquid.records import fill_hash
from core.sim.hyperliquid.rules import BY_COIN, HlAsset, wire
from core.sim.hyperliquid.venue import HlVenue
from core.sim.hyperliquid.ws import HlWsHub
from core.sim.market import SymbolMarket

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
CTX_INTERVAL_MS = 1000


class FeedPublisher:
    """Publishes what changed since the last call."""

    def __init__(
        self, venue: HlVenue, hub: HlWsHub, book_interval_ms: int, stalled: Callable[[], bool] = lambda: False
    ) -> None:
        self.venue = venue
        self._stalled = stalled
        self.hub = hub
        self.book_interval_ms = book_interval_ms
        self._book_sent: dict[str, tuple[int, object]] = {}
        self._bbo: dict[str, object] = {}
        self._trade_count = {a.coin: v.trade_count for a, v in self._markets()}
        self._ctx_at: dict[str, int] = {}
        self._mids: object = None

    def _markets(self) -> list[tuple[HlAsset, SymbolMarket]]:
        return [(a, self.venue.core.gen.symbols[a.symbol]) for a in BY_COIN.values()]

    def publish(self) -> None:
        """Run after every market step (and after actions that move the book)."""
        now = self.venue.now_ms()
        if self._stalled():  # a stalled feed loses what happens meanwhile, as a dead one would
            self._trade_count = {a.coin: sm.trade_count for a, sm in self._markets()}
            return
        self._trades()
        for coin in self.hub.interest("l2Book"):
            self._book(coin, now)
        for coin in self.hub.interest("bbo"):
            self._bbo_of(coin, now)
        for coin in self.hub.interest("activeAssetCtx"):
            if now - self._ctx_at.get(coin, 0) >= CTX_INTERVAL_MS:
                self._ctx_at[coin] = now
                ctx = info.asset_ctx(self.venue, BY_COIN[coin])
                self.hub.publish(("activeAssetCtx", coin), "activeAssetCtx", {"coin": coin, "ctx": ctx})
        if self.hub.interest("allMids"):
            mids = info.all_mids(self.venue, {})
            if mids != self._mids:
                self._mids = mids
                self.hub.publish(("allMids", ""), "allMids", {"mids": mids})

    def _book(self, coin: str, now: int) -> None:
        last = self._book_sent.get(coin)
        if last is not None and now - last[0] < self.book_interval_ms:
            return
        book = info.l2_book(self.venue, BY_COIN[coin])
        if last is not None and last[1] == book["levels"]:
            return
        self._book_sent[coin] = (now, book["levels"])
        self.hub.publish(("l2Book", coin), "l2Book", book)

    def _bbo_of(self, coin: str, now: int) -> None:
        book = info.l2_book(self.venue, BY_COIN[coin])
        levels = book["levels"]
        assert isinstance(levels, list)
        bbo = [side[0] if side else None for side in levels]
        if bbo != self._bbo.get(coin):
            self._bbo[coin] = bbo
            self.hub.publish(("bbo", coin), "bbo", {"coin": coin, "time": now, "bbo": bbo})

    def _trades(self) -> None:
        interest = self.hub.interest("trades")
        for a, sm in self._markets():
            new = sm.trade_count - self._trade_count[a.coin]
            self._trade_count[a.coin] = sm.trade_count
            if new <= 0 or a.coin not in interest:
                continue
            spec = sm.spec
            tape = list(sm.tape)[-new:]
            data = [
                {
                    "coin": a.coin,
                    "side": "B" if t.side > 0 else "A",
                    "px": wire(spec.px(t.tick)),
                    "sz": wire(spec.qty(t.lots)),
                    "hash": fill_hash(a.coin, t.ts * 1000 + i),
                    "time": t.ts,
                    "tid": int(t.trade_id.rsplit("-", 1)[1], 16) + a.index * 10**12,
                    "users": [ZERO_ADDRESS, ZERO_ADDRESS],
                }
                for i, t in enumerate(tape)
            ]
            self.hub.publish(("trades", a.coin), "trades", data)
