"""An algo's :class:`~core.orders.algos.base.SetPositionStop`: the position's own TP/SL and
trailing stop kept by the venue, sent through the engine's position commands.

The venue must have the feature (``Capabilities.native_tpsl`` for a TP/SL,
``native_trailing`` for a trailing stop); otherwise, or when a check or the venue refuses, the
algo hears a :class:`~core.orders.algos.base.ChildRejected` named after the action's tag and
carries on with child orders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from core.api import CommandResult
from core.orders.algos.base import ChildRejected, SetPositionStop
from core.venues.base import Capabilities

if TYPE_CHECKING:
    from core.engine.algo_slot import AlgoSlot
    from core.engine.algos import AlgoRunner
    from core.engine.positions import PositionTools

PositionStopPort = Callable[[str, SetPositionStop], Awaitable[CommandResult]]
"""Send one algo's position protections for ``symbol``."""


async def set_position_stop(runner: AlgoRunner, slot: AlgoSlot, action: SetPositionStop) -> None:
    """Carry the action out; a refusal goes back to the algo."""
    port = runner.ports.position_stop
    if port is None:
        result = CommandResult(False, "this engine sends no position protections for algos", check="native")
    else:
        result = await port(slot.algo.symbol, action)
    if not result.ok:
        slot.inbox.put_nowait(ChildRejected(action.child_id, result.check or "venue", result.message))


async def protect(
    tools: PositionTools, capabilities: Capabilities, symbol: str, action: SetPositionStop
) -> CommandResult:
    """The position commands for ``action``: trailing stop first, then TP/SL (one refusal stops)."""
    tpsl = action.take_profit is not None or action.stop_loss is not None
    if action.trailing_distance is not None and not capabilities.native_trailing:
        return CommandResult(False, f"{capabilities.name} keeps no trailing stops", check="native_trailing")
    if tpsl and not capabilities.native_tpsl:
        return CommandResult(False, f"{capabilities.name} keeps no position TP/SL", check="native_tpsl")
    result = CommandResult(True, "nothing to set")
    if action.trailing_distance is not None:
        result = await tools.set_trailing_stop(symbol, action.trailing_distance, action.activation)
    if result.ok and tpsl:
        result = await tools.set_trading_stop(symbol, action.take_profit, action.stop_loss, action.trigger_by)
    return result
