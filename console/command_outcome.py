"""What a command's outcome says in the log pane and as a toast (the console's one rule for it).

An order command's outcome reaches the log as the order's own event (placed, amended, cancelled;
RiskRejected / VenueRejected, which also raise the toast), and some engine commands log their
own outcome (``CommandResult.logged``): those are not said twice. Anything else that worked is a
log line; a refusal or failure is a log line and an error toast naming the check or ret code.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.api import CommandResult


@dataclass(frozen=True, slots=True)
class Said:
    """The log line and the error toast of one outcome ("" for none)."""

    line: str = ""
    toast: str = ""


def said_of(what: str, res: CommandResult) -> Said:
    """What the console says about ``what``'s outcome ``res``."""
    order_event = bool(res.order_link_id) and (res.ok or bool(res.check) or bool(res.ret_code))
    if res.logged or order_event:
        return Said()
    if res.ok:
        return Said(f"{what}: {res.message}")
    refused = bool(res.check or res.ret_code)
    detail = f" [{res.check}]" if res.check else (f" [retCode {res.ret_code}]" if res.ret_code else "")
    return Said(
        f"{what} {'REJECTED' if refused else 'FAILED'}{detail}: {res.message}",
        f"{what} {'rejected' if refused else 'failed'}: {res.message}",
    )


__all__ = ["Said", "said_of"]
