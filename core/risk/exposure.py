"""Exposure counted across symbols: asset-class groups from config, and symbols that move together.

Both checks value a set of symbols the same way, gross (a short counts like a long: a hedge
between two members can break exactly when it matters):

* the order's own symbol at its *worst* size x mark: the larger of the position after this order
  alone fills and after it and every same-side working order fill (the size is monotone in the
  filled amount, so one of the two ends is the largest |size| any partial fill can reach);
* every other member at its position's notional (size x its mark).

Orders that can only shrink exposure (reduce-only, or against the position and no larger than
it) always pass (invariant 4). Every rejection names the check, the group, each member's
notional, the total and the cap, and the setting to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from core.api import CheckResult
from core.orders.built import BuiltOrder
from core.risk.checks import REDUCING, money
from core.risk.context import RiskContext, only_reduces, projected_position, signed_position
from core.risk.correlation import correlation

_ZERO = Decimal(0)


def worst_size(order: BuiltOrder, ctx: RiskContext) -> Decimal:
    """The largest |size| on ``order.symbol`` once ``order`` fills, alone or with every same-side
    working order (see the module docstring)."""
    alone = abs(signed_position(ctx, order.symbol) + order.qty * order.side.sign)
    return max(alone, abs(projected_position(order, ctx)))


def member_notionals(order: BuiltOrder, ctx: RiskContext, members: Iterable[str]) -> dict[str, Decimal]:
    """Each member's notional after ``order`` (its own symbol at the worst size x mark)."""
    out: dict[str, Decimal] = {}
    for sym in members:
        if sym == order.symbol:
            out[sym] = worst_size(order, ctx) * ctx.mark_price
        else:
            pos = ctx.positions.get(sym)
            out[sym] = pos.notional if pos is not None else _ZERO
    return out


def _breakdown(parts: Mapping[str, Decimal]) -> str:
    """``BTCUSDT 300,000.00 + ETHUSDT 250,000.00``."""
    return " + ".join(f"{sym} {money(n)}" for sym, n in parts.items())


def _unusable_mark(name: str, order: BuiltOrder, ctx: RiskContext, setting: str) -> CheckResult:
    return CheckResult(
        name,
        False,
        f"{order.symbol} mark price {ctx.mark_price} unusable: cannot value the exposure ({setting})",
    )


class GroupCapCheck:
    """Each configured group holding the order's symbol stays within its gross notional cap."""

    name = "group_caps"

    def __init__(self, groups: Mapping[str, Iterable[str]], caps: Mapping[str, Decimal]) -> None:
        missing = sorted(set(groups) - set(caps))
        if missing:
            raise ValueError(f"groups without a cap: {', '.join(missing)} (risk.group_caps)")
        self.groups = {name: tuple(members) for name, members in groups.items()}
        self.caps = dict(caps)

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when a group's gross notional after ``order`` exceeds ``risk.group_caps.<group>``."""
        mine = [name for name, members in self.groups.items() if order.symbol in members]
        if not mine:
            return CheckResult(self.name, True, f"{order.symbol} is in no group")
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        if ctx.mark_price <= 0:
            return _unusable_mark(self.name, order, ctx, f"risk.group_caps.{mine[0]}")
        fits = []
        for name in mine:
            parts = member_notionals(order, ctx, self.groups[name])
            total = sum(parts.values(), _ZERO)
            cap = self.caps[name]
            if total > cap:
                return CheckResult(
                    self.name,
                    False,
                    f"group {name}: {_breakdown(parts)} = {money(total)} USDT > cap {money(cap)} "
                    f"(risk.group_caps.{name})",
                )
            fits.append(f"{name} {money(total)} <= {money(cap)}")
        return CheckResult(self.name, True, "; ".join(fits))


class CorrelatedExposureCheck:
    """Symbols whose returns move with the order's (|rho| >= threshold) count together against a cap.

    The correlation is rolling, over the last ``window`` returns of ``timeframe`` candles (the
    engine passes the closes in ``ctx.closes``). A symbol with fewer than ``min_returns`` returns
    shared with the order's symbol is *counted* (assumed correlated until shown otherwise), and
    the reason says so. With ``cap`` None the check is off and always passes.
    """

    name = "correlated_exposure"

    def __init__(
        self,
        cap: Decimal | None,
        threshold: Decimal,
        *,
        timeframe: str = "5m",
        window: int = 60,
        min_returns: int = 20,
    ) -> None:
        self.cap = cap
        self.threshold = float(threshold)
        self._threshold_txt = f"{threshold}"
        self.timeframe = timeframe
        self.window = window
        self.min_returns = min_returns

    @property
    def history_need(self) -> tuple[str, int] | None:
        """``(timeframe, closes)`` the engine must pass in ``ctx.closes`` (None when off)."""
        return None if self.cap is None else (self.timeframe, self.window + 1)

    def group(self, order: BuiltOrder, ctx: RiskContext) -> tuple[dict[str, str], list[str]]:
        """The symbols counted with ``order.symbol`` (each with why) and the ones left out."""
        counted: dict[str, str] = {order.symbol: "itself"}
        left_out: list[str] = []
        mine = ctx.closes.get(order.symbol)
        for sym in sorted(ctx.positions):
            pos = ctx.positions[sym]
            if sym == order.symbol or pos.notional == 0:
                continue
            theirs = ctx.closes.get(sym)
            corr = correlation(mine, theirs, self.window) if mine and theirs else None
            if corr is None or corr.n < self.min_returns or corr.rho is None:
                n = corr.n if corr is not None else 0
                counted[sym] = f"{n} returns < {self.min_returns}: assumed correlated"
            elif abs(corr.rho) >= self.threshold:
                counted[sym] = f"rho {corr.rho:+.2f}"
            else:
                left_out.append(f"{sym} rho {corr.rho:+.2f}")
        return counted, left_out

    def check(self, order: BuiltOrder, ctx: RiskContext) -> CheckResult:
        """Fail when the correlated group's gross notional exceeds ``risk.max_correlated_exposure``."""
        if self.cap is None:
            return CheckResult(self.name, True, "off (risk.max_correlated_exposure unset)")
        if only_reduces(order, ctx):
            return CheckResult(self.name, True, REDUCING)
        if ctx.mark_price <= 0:
            return _unusable_mark(self.name, order, ctx, "risk.max_correlated_exposure")
        counted, left_out = self.group(order, ctx)
        parts = member_notionals(order, ctx, counted)
        total = sum(parts.values(), _ZERO)
        label = "+".join(counted)
        why = ", ".join(f"{s} {w}" for s, w in counted.items() if s != order.symbol)
        tail = f" ({why})" if why else ""
        if total > self.cap:
            return CheckResult(
                self.name,
                False,
                f"correlated group {label} (|rho| >= {self._threshold_txt}{', ' + why if why else ''}): "
                f"{_breakdown(parts)} = {money(total)} USDT > max {money(self.cap)} "
                "(risk.max_correlated_exposure)",
            )
        outside = f"; not correlated: {', '.join(left_out)}" if left_out else ""
        return CheckResult(
            self.name, True, f"group {label}{tail} {money(total)} <= {money(self.cap)}{outside}"
        )


__all__ = ["CorrelatedExposureCheck", "GroupCapCheck", "member_notionals", "worst_size"]
