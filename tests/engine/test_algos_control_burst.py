"""Pause, resume and cancel pressed faster than the algo's worker carries them out: each request
is judged against the requests already accepted, not against the state the worker has not yet
reached. Before, ``pause`` then ``resume`` in one burst refused the resume ("algo ... is running":
the pause was still queued) and the algo ended paused, the opposite of the last key; a second
``pause`` was accepted and journaled twice; a pause after a cancel was accepted too."""

from __future__ import annotations

from core.engine import Engine
from tests.support.engine_types import SYM, Ready, WaitFor


def state_of(engine: Engine, algo_id: str) -> str:
    return next(s.state for s in engine.algos() if s.id == algo_id)


async def test_pause_then_resume_in_one_burst_ends_running(
    engine: Engine, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    chase = {"symbol": SYM, "side": "Buy", "qty": "0.01", "offset_ticks": 200}
    res = await engine.start_algo("chase", chase)
    assert res.ok, res.message
    algo_id = res.order_link_id
    await wait_for(lambda: state_of(engine, algo_id) == "running", what="chase running")

    paused = await engine.pause_algo(algo_id)
    again = await engine.pause_algo(algo_id)
    resumed = await engine.resume_algo(algo_id)
    assert paused.ok and resumed.ok, (paused.message, resumed.message)
    assert not again.ok and "pause" in again.message, again.message
    await wait_for(lambda: engine.algo_runner.slots[algo_id].inbox.empty(), what="requests carried out")
    assert state_of(engine, algo_id) == "running"  # the last key wins

    cancelled = await engine.cancel_algo(algo_id)
    late = await engine.pause_algo(algo_id)
    assert cancelled.ok and not late.ok and "cancel" in late.message, late.message
    await wait_for(lambda: state_of(engine, algo_id) == "cancelled", what="cancelled")
    controls = [r.data["action"] for r in engine.journal.query(kinds=["algo_control"])]
    assert controls == ["pause", "resume", "cancel"]  # only what was accepted is journaled
