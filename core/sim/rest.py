"""Bybit V5 REST routing and envelope for the sim venue.

Every response is ``{"retCode","retMsg","result","retExtInfo","time"}``. Signed endpoints check the
``X-BAPI-*`` headers over the exact received bytes (:mod:`core.sim.auth`), count against the
per-UID limits (:mod:`core.sim.ratelimit`) and always carry the ``X-Bapi-Limit*`` headers.
Business errors come from the exchange as exceptions with ``ret_code``/``ret_msg``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import InvalidOperation
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from core.sim.auth import Authenticator, AuthError
from core.sim.faults import FaultInjector, RestFault
from core.sim.ratelimit import WINDOW_MS, RateDecision, RateLimiter

log = logging.getLogger(__name__)

Params = dict[str, Any]


class ExchangeFacade(Protocol):
    """The part of ``core.sim.exchange.SimExchange`` the network layer calls."""

    def now_ms(self) -> int: ...
    def ensure_account(self, api_key: str) -> None: ...
    def step(self, now_ms: int | None = None) -> None: ...
    def add_public_listener(self, cb: Callable[[str, dict[str, Any]], None]) -> None: ...
    def add_private_listener(self, cb: Callable[[str, str, list[dict[str, Any]]], None]) -> None: ...
    def set_topic_interest(self, topic: str, interested: bool) -> None: ...
    def public_snapshot(self, topic: str) -> dict[str, Any] | None: ...
    def is_valid_topic(self, topic: str) -> bool: ...
    def dcp_alive(self, api_key: str, conn_id: str) -> None: ...
    def dcp_lost(self, api_key: str, conn_id: str) -> None: ...
    def dcp_unsubscribed(self, api_key: str, conn_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Route:
    """One REST endpoint: facade method, whether it is signed, and its category rule."""

    method: str
    facade: str
    signed: bool
    category: str  # "required" | "default" | "none"


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/v5/market/time"): Route("GET", "market_time", False, "none"),
    ("GET", "/v5/market/instruments-info"): Route("GET", "instruments_info", False, "required"),
    ("GET", "/v5/market/tickers"): Route("GET", "tickers", False, "required"),
    ("GET", "/v5/market/kline"): Route("GET", "kline", False, "default"),
    ("GET", "/v5/market/orderbook"): Route("GET", "orderbook", False, "required"),
    ("GET", "/v5/market/recent-trade"): Route("GET", "recent_trade", False, "required"),
    ("POST", "/v5/order/create"): Route("POST", "order_create", True, "required"),
    ("POST", "/v5/order/amend"): Route("POST", "order_amend", True, "required"),
    ("POST", "/v5/order/cancel"): Route("POST", "order_cancel", True, "required"),
    ("POST", "/v5/order/cancel-all"): Route("POST", "order_cancel_all", True, "required"),
    ("POST", "/v5/order/disconnected-cancel-all"): Route(
        "POST", "order_disconnected_cancel_all", True, "none"
    ),
    ("GET", "/v5/order/realtime"): Route("GET", "order_realtime", True, "required"),
    ("GET", "/v5/order/history"): Route("GET", "order_history", True, "required"),
    ("GET", "/v5/execution/list"): Route("GET", "execution_list", True, "required"),
    ("GET", "/v5/position/list"): Route("GET", "position_list", True, "required"),
    ("POST", "/v5/position/set-leverage"): Route("POST", "position_set_leverage", True, "required"),
    ("POST", "/v5/position/trading-stop"): Route("POST", "position_trading_stop", True, "required"),
    ("GET", "/v5/position/closed-pnl"): Route("GET", "position_closed_pnl", True, "required"),
    ("GET", "/v5/account/wallet-balance"): Route("GET", "account_wallet_balance", True, "none"),
    ("GET", "/v5/account/fee-rate"): Route("GET", "account_fee_rate", True, "required"),
    ("GET", "/v5/account/info"): Route("GET", "account_info", True, "none"),
}


class ParamError(Exception):
    """A request the sim rejects with retCode 10001 before it reaches the exchange."""


def _json_default(obj: object) -> str:
    """Serialise Decimal and other scalars the exchange may leave in a result."""
    return str(obj)


def envelope(ret_code: int, ret_msg: str, result: Any, now_ms: int) -> bytes:
    """The V5 response body."""
    return orjson.dumps(
        {
            "retCode": ret_code,
            "retMsg": ret_msg,
            "result": {} if result is None else result,
            "retExtInfo": {},
            "time": now_ms,
        },
        default=_json_default,
    )


def _response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


class RestHandler:
    """The aiohttp handler for every ``/v5/...`` REST path."""

    def __init__(
        self,
        exchange: ExchangeFacade,
        auth: Authenticator,
        limiter: RateLimiter,
        faults: FaultInjector,
        now_ms: Callable[[], int],
        *,
        body_timeout_s: float = 15.0,
    ) -> None:
        self._ex = exchange
        self._body_timeout_s = body_timeout_s
        self._auth = auth
        self._limiter = limiter
        self._faults = faults
        self._now_ms = now_ms
        self.requests: Counter[str] = Counter()
        self.ret_codes: Counter[int] = Counter()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Route, authenticate, rate-limit, inject faults and call the exchange.

        Never an HTTP 500: a failure nobody foresaw is logged and answered with Bybit's 10016.
        """
        try:
            return await self._handle(request)
        except (asyncio.CancelledError, web.HTTPException):
            raise
        except Exception:
            log.exception("sim REST handler failed on %s %s", request.method, request.path)
            self.ret_codes[10016] += 1
            return _response(envelope(10016, "Server error.", None, self._now_ms()))

    async def _read_body(self, request: web.Request) -> bytes | None:
        """The whole body, or None when it does not arrive within the body timeout."""
        try:
            return await asyncio.wait_for(request.read(), self._body_timeout_s)
        except TimeoutError:
            return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = ROUTES.get((request.method, request.path))
        if route is None:
            self.ret_codes[10017] += 1
            return _response(envelope(10017, "route not found", None, self._now_ms()), status=404)
        self.requests[request.path] += 1
        fault, early = await self._fault_before(request, route)
        if early is not None:
            return early
        body = await self._read_body(request) if route.method == "POST" else b""
        if body is None:
            self.ret_codes[10001] += 1
            resp = _response(envelope(10001, "request body timed out", None, self._now_ms()), status=408)
            resp.force_close()
            return resp
        headers: dict[str, str] | None = None
        api_key = ""
        if route.signed:
            auth = self._authorize(request, body, fault)
            if isinstance(auth, web.StreamResponse):
                return auth
            api_key, headers = auth
        code, msg, result = self._execute(request, route, api_key, body)
        after = self._fault_after(request, route)
        if after is not None:
            return after
        return _response(envelope(code, msg, result, self._now_ms()), headers=headers)

    async def _fault_before(
        self, request: web.Request, route: Route
    ) -> tuple[RestFault | None, web.StreamResponse | None]:
        """The injected fault for this request, and the reply it makes instead (drop, 5xx), if any."""
        faults = self._faults
        if not faults.active:
            return None, None
        fault, status = faults.rest_fault(signed=route.signed)
        delay = faults.latency_s()
        if delay > 0:
            await asyncio.sleep(delay)
        if fault == "drop":
            return fault, self._drop(request)
        if fault == "http5xx":
            return fault, web.Response(status=status, text="Service Unavailable (injected)")
        return fault, None

    def _authorize(
        self, request: web.Request, body: bytes, fault: RestFault | None
    ) -> tuple[str, dict[str, str]] | web.StreamResponse:
        """(api key, rate-limit headers) of a signed request, or the refusal (auth error, 10006)."""
        payload = body if request.method == "POST" else request.raw_path.partition("?")[2].encode()
        now = self._now_ms()
        try:
            api_key = self._auth.verify_rest(request.headers, payload, now)
        except AuthError as exc:
            self.ret_codes[exc.ret_code] += 1
            return _response(envelope(exc.ret_code, exc.ret_msg, None, now), status=exc.http_status)
        decision: RateDecision = self._limiter.check(api_key, request.path, now)
        if fault == "rate_limit":
            hold = self._faults.spec.rate_hold_ms or WINDOW_MS
            decision = RateLimiter.refusal(decision.limit, now, hold)
        headers = decision.headers()
        if not decision.allowed:
            self.ret_codes[10006] += 1
            return _response(envelope(10006, "Too many visits!", None, now), headers=headers)
        return api_key, headers

    def _execute(self, request: web.Request, route: Route, api_key: str, body: bytes) -> tuple[int, str, Any]:
        """Run the endpoint: (retCode, retMsg, result), the result spoiled by any reply faults."""
        try:
            params = self._params(request, route, body)
            result = self._call(route, api_key, params)
            code, msg = 0, "OK"
        except ParamError as exc:
            code, msg, result = 10001, str(exc), None
        except Exception as exc:  # noqa: BLE001 - every exchange failure becomes a retCode, logged if unexpected
            code, msg, result = self._map_error(route, exc)
        self.ret_codes[code] += 1
        spec = self._faults.spec
        if spec.bad_values and result is not None:
            result = self._faults.corrupt(request.path, result) or result
        if (spec.cursor_loop or spec.cursor_endless or spec.page_flood) and result:
            result = self._faults.spoil_pages(request.path, result) or result
        return code, msg, result

    def _fault_after(self, request: web.Request, route: Route) -> web.StreamResponse | None:
        """The reply an after-processing fault puts in place of the real one (drop, 5xx, garble)."""
        faults = self._faults
        if not faults.active:
            return None
        after, status = faults.after_fault(write=route.method == "POST")
        if after == "drop":
            return self._drop(request)
        if after == "http5xx":
            return web.Response(status=status, text="Bad Gateway (injected after processing)")
        if after == "garble":
            return web.Response(status=200, text="<html>upstream garbled the reply</html>")
        return None

    def _params(self, request: web.Request, route: Route, body: bytes) -> Params:
        if route.method == "POST":
            if not body.strip():
                params: Params = {}
            else:
                try:
                    decoded = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise ParamError("Request body is not valid JSON.") from None
                if not isinstance(decoded, dict):
                    raise ParamError("Request body must be a JSON object.")
                params = decoded
        else:
            params = dict(parse_qsl(request.raw_path.partition("?")[2], keep_blank_values=True))
        if route.category != "none":
            category = params.get("category")
            if category in (None, "") and route.category == "default":
                params["category"] = "linear"
            elif category != "linear":
                raise ParamError(
                    "Illegal category" if category else "params error: category is required (linear)"
                )
        return params

    def _call(self, route: Route, api_key: str, params: Params) -> Any:
        fn = getattr(self._ex, route.facade)
        if not route.signed:
            return fn() if route.facade == "market_time" else fn(params)
        self._ex.ensure_account(api_key)
        return fn(api_key, params)

    def _map_error(self, route: Route, exc: Exception) -> tuple[int, str, None]:
        ret_code = getattr(exc, "ret_code", None)
        if isinstance(ret_code, int):
            return ret_code, str(getattr(exc, "ret_msg", "") or exc), None
        if isinstance(exc, KeyError | ValueError | TypeError | InvalidOperation):
            # The exchange could not read a parameter: Bybit's catch-all 10001.
            return 10001, f"params error: {type(exc).__name__}: {exc}", None
        log.exception("sim exchange failed in %s", route.facade)
        return 10016, "Server error.", None

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without sending any response (a dropped connection)."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError("connection dropped by fault injection")
