"""The preview block shared by the order ticket and the command line (plain text, no Textual).

It shows the order exactly as it will be sent (quantity, price, trigger, TP/SL after rounding),
a line for every value that differs from what was typed, what an attached stop will close and
lose, and for an order that reduces a position the margin released and the estimated realised
PnL instead of a new position's margin and liquidation price. Then one line per risk check
(compact: passing checks counted) and the verdict.
"""

from __future__ import annotations

from core.api import RiskPreview
from widgets.fmt import fmt_dec


def _order_lines(p: RiskPreview, places: int, qty_places: int) -> list[str]:
    lines = [f"sends      {fmt_dec(p.qty, qty_places, sep=False)}" + (
        f" @ {fmt_dec(p.price, places)}" if p.price is not None else " at market"
    )]  # fmt: skip
    if p.trigger is not None:
        lines.append(f"trigger    {fmt_dec(p.trigger, places)}")
    if p.take_profit is not None or p.stop_loss is not None:
        tp = fmt_dec(p.take_profit, places) if p.take_profit is not None else "—"
        sl = fmt_dec(p.stop_loss, places) if p.stop_loss is not None else "—"
        lines.append(f"TP / SL    {tp} / {sl}")
    return lines


def _money_lines(p: RiskPreview, places: int, qty_places: int) -> list[str]:
    lines = [f"notional   {fmt_dec(p.notional, 2)} USDT"]
    if p.closing_qty > 0:
        lines.append(f"closes     {fmt_dec(p.closing_qty, qty_places, sep=False)} of the position")
        lines.append(f"margin ↓   {fmt_dec(p.margin_released, 2)} USDT released")
        lines.append(f"est. rPnL  {fmt_dec(p.realised_pnl, 2, sign=True)} USDT (after fee)")
    if p.closing_qty == 0 or p.initial_margin > 0:
        lines.append(f"init marg  {fmt_dec(p.initial_margin, 2)} USDT")
        lines.append(f"liq price  {fmt_dec(p.liq_price, places)}")
    lines.append(f"est. fee   {fmt_dec(p.est_fee, 4)} USDT")
    if p.loss_at_stop is None:
        lines.append("loss@stop  — (no stop)")
    else:
        on = f" on {fmt_dec(p.stop_qty, qty_places, sep=False)}" if p.stop_qty is not None else ""
        lines.append(f"loss@stop  {fmt_dec(p.loss_at_stop, 2)} USDT{on}")
    return lines


def preview_notes(p: RiskPreview) -> list[str]:
    """The rounding lines (``~``) and the plain-words notes (``!``) of a preview."""
    if p.build_error:
        return []
    return [f"~ {a}" for a in p.adjustments] + [f"! {n}" for n in p.notes]


def preview_text(
    p: RiskPreview, places: int = 2, *, compact: bool = False, qty_places: int = 3, notes: bool = True
) -> str:
    """The preview block: the order as sent, figures, notes (unless ``notes`` is False: the ticket
    shows them full width), then one line per risk check (``compact``: passing checks are counted
    on one line and only the failing ones are listed)."""
    if p.build_error:
        return f"✖ {p.build_error}\nBLOCKED — will not send"
    lines = _order_lines(p, places, qty_places) + _money_lines(p, places, qty_places)
    if notes:
        lines += preview_notes(p)
    passed = [c for c in p.checks if c.passed]
    if compact and passed:
        lines.append(f"✔ {len(passed)} of {len(p.checks)} checks pass")
    for c in p.checks:
        if not c.passed:
            lines.append(f"✖ {c.check}: {c.reason}")
        elif not compact:
            lines.append(f"✔ {c.check}")
    lines.append("READY — Enter sends" if p.allowed else "BLOCKED — will not send")
    return "\n".join(lines)


__all__ = ["preview_notes", "preview_text"]
