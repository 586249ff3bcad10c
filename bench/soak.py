"""Chaos soak with an outside oracle: the engine against a faulty sim, killed and restarted at will.

Run: ``.venv/bin/python bench/soak.py --minutes N --faults PROFILE --seed S [--restarts]``

* The sim venue runs as its own process (``trade-console sim``); the engine runs headless in a
  child process (``bench/soak_engine.py``) whose workers place, amend, cancel, close, cancel-all
  and panic concurrently, recording every command and its result to a JSONL file.
* The sim injects the profile's standing faults (rate limits, 5xx, latency, dropped connections,
  lost replies: drop_after / http5xx_after / garble_after, bad values) plus seeded bursts
  (WebSocket disconnects, stalled feeds, a slow private feed, one-shot storms). Profiles:
  ``none``, ``light``, ``full``.
* ``--restarts`` kills the engine with SIGKILL at random moments (preferring one with a command in
  flight) and starts the next generation on the same journal.
* At the end the faults are cleared, the workers stop, the soak cancels every order from outside
  and the engine reports its account; then the oracle (``bench/soak_oracle.py``,
  ``bench/soak_limits.py``) reads the venue's full history over REST and checks it against the
  journal and every reported result.

Prints ``name: value unit`` lines, one ``inv_<name>: N violations (...)`` line per invariant, and
exits 1 on any violation (2 when the soak itself could not run).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.soak_limits import check_limits
from bench.soak_oracle import (
    Command,
    Finding,
    check_final,
    check_ids,
    check_intents,
    check_panics,
    check_reports,
    read_journal,
    read_results,
    read_venue,
    venue_session,
)
from bench.soak_procs import (
    PROFILES,
    Admin,
    FaultDriver,
    Generation,
    ResultTail,
    SimProcess,
    open_intents,
    rss_mib,
)
from core.config import SIM_API_KEY, SIM_API_SECRET

RISK = {
    "symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"],
    "max_order_notional": "5000",
    "max_position_notional": "15000",
    "max_gross_exposure": "30000",
    "max_open_orders": 8,
    "price_band_pct": "5",
}
MIX = {
    "limit": 30, "market": 8, "ioc": 4, "postonly": 4, "stop": 5, "oversize": 3, "reduce": 4,
    "amend": 16, "cancel": 14, "close": 5, "cancel_all": 1.2, "panic": 0.6,
}  # fmt: skip


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--faults", choices=sorted(PROFILES), default="full")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--restarts", action="store_true", help="kill -9 the engine at random moments")
    p.add_argument("--gen-s", type=float, nargs=2, default=(20.0, 60.0), metavar=("MIN", "MAX"))
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--panic-weight", type=float, default=MIX["panic"], help="share of panics in the mix")
    p.add_argument("--rate", type=float, default=20.0, help="sim market steps per second")
    p.add_argument("--run-dir", type=Path, default=None)
    return p.parse_args(argv)


def _cfg(a: argparse.Namespace, run_dir: Path, port: int, gen: int) -> dict[str, Any]:
    return {
        "gen": gen,
        "seed": a.seed,
        "sim_port": port,
        "journal": str(run_dir / "journal.db"),
        "results": str(run_dir / "results.jsonl"),
        "state_out": str(run_dir / "engine-state.json"),
        "run_dir": str(run_dir),
        "workers": a.workers,
        "mix": MIX | {"panic": a.panic_weight},
        "pause_s": [0.05, 0.6],
        "risk": RISK,
        "breakers": {"daily_loss_limit": "50000"},
        "settle_s": 45.0,
        "converge_s": 30.0,
        "sync_s": 16.0,
    }


class Run:
    """One soak: the processes, the kill schedule and what was seen along the way."""

    def __init__(self, a: argparse.Namespace, run_dir: Path) -> None:
        self.a = a
        self.run_dir = run_dir
        self.rng = random.Random(f"kills:{a.seed}")
        self.sim = SimProcess(run_dir, a.seed, a.rate)
        self.admin = Admin(self.sim.rest_url, SIM_API_KEY)
        self.tail = ResultTail(run_dir / "results.jsonl")
        self.gens: list[Generation] = []
        self.stats: Counter[str] = Counter()
        self.start_failures: list[str] = []
        self.sim_rss: list[float] = []
        self.notes: list[str] = []

    def spawn(self) -> Generation | None:
        """A new engine generation, up and ready (None after repeated start-up failures)."""
        for _ in range(5):
            g = Generation(self.run_dir, _cfg(self.a, self.run_dir, self.sim.port, len(self.gens) + 1))
            self.gens.append(g)
            if g.wait_for("ready", 120) is not None:
                return g
            code = g.finish(5)
            self.start_failures.append(f"gen {g.gen} exit {code}")
        return None

    def kill_time(self) -> float:
        """Seconds after spawn: mostly mid-run, sometimes during start-up."""
        if self.rng.random() < 0.1:
            return self.rng.uniform(0.3, 3.0)
        return self.rng.uniform(*self.a.gen_s)

    def sample(self, g: Generation) -> None:
        """RSS of both processes."""
        g.sample_rss()
        mib = rss_mib(self.sim.proc.pid)
        if mib is not None:
            self.sim_rss.append(mib)

    def run_until(self, deadline: float) -> Generation | None:
        """Generations until ``deadline``; returns the live one (None if it could not start)."""
        while True:
            g = Generation(self.run_dir, _cfg(self.a, self.run_dir, self.sim.port, len(self.gens) + 1))
            self.gens.append(g)
            kill_at = g.started + self.kill_time() if self.a.restarts else float("inf")
            while time.monotonic() < min(deadline, kill_at):
                self.sample(g)
                g.wait_for("ready", 1.0)
                self.tail.poll()
                if g.proc.poll() is not None:
                    break
            if g.proc.poll() is not None:
                self.notes.append(f"gen {g.gen} exited by itself with {g.proc.returncode}")
                self.stats["engine_exits"] += 1
                g.finish(1)
                self.tail.forget()
                continue
            if time.monotonic() >= deadline:
                if g.ready_at is None and g.wait_for("ready", 120) is None:
                    g.finish(5)
                    return self.spawn()
                return g
            self._kill(g)

    def _kill(self, g: Generation) -> None:
        """SIGKILL, preferably mid-send (a journaled intent awaiting the venue), else mid-command."""
        journal = self.run_dir / "journal.db"
        waited = time.monotonic() + 2.0
        while open_intents(journal) <= 0 and time.monotonic() < waited:
            time.sleep(0.01)
        waited = time.monotonic() + 1.0
        while self.tail.poll() == 0 and time.monotonic() < waited:
            time.sleep(0.01)
        in_flight = self.tail.poll()
        ready = g.ready_at is not None
        g.kill9()
        self.stats["restarts"] += 1
        self.stats["kills_mid_command"] += in_flight > 0
        self.stats["kills_during_startup"] += not ready
        left = open_intents(self.run_dir / "journal.db")
        self.stats["kills_with_unsettled_intent"] += left > 0
        self.tail.forget()

    def finish(self, g: Generation, faults: FaultDriver) -> tuple[dict[str, Any] | None, int]:
        """Clear faults, stop the workers, cancel everything from outside, take the engine's account."""
        faults.stop()
        g.send("quiesce")
        quiet = g.wait_for("quiet", 240)
        self.notes.append(f"quiesce: {quiet}")
        session = venue_session(self.sim.rest_url, SIM_API_KEY, SIM_API_SECRET)
        session.cancel_all_orders(category="linear", settleCoin="USDT")
        g.send("report")
        reported = g.wait_for("reported", 120)
        code = g.finish(60)
        self.stats["final_exit_code"] = code
        state_path = self.run_dir / "engine-state.json"
        state = json.loads(state_path.read_text()) if reported and state_path.exists() else None
        return state, int(quiet["open_intents"]) if quiet else -1


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _lines(run: Run, cmds: list[Command], other: list[dict[str, Any]], stats: dict[str, Any]) -> list[str]:
    """The figures (not the invariants)."""
    a = run.a
    out = [
        f"soak_minutes: {a.minutes:g} min",
        f"soak_seed: {a.seed} seed",
        f"soak_faults_profile: {a.faults} profile",
        f"soak_generations: {len(run.gens)} engine processes",
        f"soak_restarts: {run.stats['restarts']} kill-9",
        f"soak_kills_mid_command: {run.stats['kills_mid_command']} kills",
        f"soak_kills_with_unsettled_intent: {run.stats['kills_with_unsettled_intent']} kills",
        f"soak_kills_during_startup: {run.stats['kills_during_startup']} kills",
        f"soak_engine_start_failures: {len(run.start_failures)} starts",
    ]
    by_cmd = Counter(c.cmd for c in cmds)
    out.append(
        f"soak_commands: {len(cmds)} commands ({', '.join(f'{k} {v}' for k, v in sorted(by_cmd.items()))})"
    )
    out.append(f"soak_commands_cut_by_kill: {sum(c.end is None for c in cmds)} commands")
    ok = sum(1 for c in cmds if c.end and c.end["ok"])
    out.append(f"soak_commands_ok: {ok} commands")
    checks = Counter(
        str(c.end.get("check")) for c in cmds if c.end and not c.end["ok"] and c.end.get("check")
    )
    top = ", ".join(f"{k} {v}" for k, v in checks.most_common(8))
    out.append(f"soak_rejected_by_check: {sum(checks.values())} commands ({top})")
    codes = Counter(int(c.end.get("ret_code") or 0) for c in cmds if c.end and not c.end["ok"])
    codes.pop(0, None)
    out.append(f"soak_rejected_by_venue: {sum(codes.values())} commands ({dict(codes.most_common(8))})")
    injected = stats.get("faults", {}).get("injected", {})
    for kind, n in sorted(injected.items()):
        out.append(f"soak_fault_{kind}: {n} faults")
    out.append(f"soak_fault_total: {sum(injected.values())} faults")
    out.append(f"soak_sim_rest_requests: {sum(stats.get('rest_requests', {}).values())} requests")
    lat = [float(c.end["lat_ms"]) for c in cmds if c.end and c.cmd == "place" and c.end["ok"]]
    out.append(f"soak_place_latency_ms_p50: {_pct(lat, 0.5):.1f} ms")
    out.append(f"soak_place_latency_ms_p99: {_pct(lat, 0.99):.1f} ms")
    lag = [float(x) for r in other if r["ev"] == "lag" for x in r["ms"]]
    out.append(f"soak_loop_lag_ms_p99: {_pct(lag, 0.99):.2f} ms")
    out.append(f"soak_loop_lag_ms_max: {max(lag, default=float('nan')):.2f} ms")
    starts = [float(r["start_s"]) for r in other if r["ev"] == "ready"]
    out.append(f"soak_engine_start_s_p50: {_pct(starts, 0.5):.2f} s")
    out.extend(_rss_lines(run))
    return out


def _rss_lines(run: Run) -> list[str]:
    """Engine RSS growth over its longest generation (from 10 s after it was ready), and the sim's."""
    out = []
    spans = []
    for g in run.gens:
        if g.ready_at is None:
            continue
        warm = g.ready_at - g.started + 10.0
        series = [(t, m) for t, m in g.rss if t >= warm]
        if len(series) > 1:
            spans.append((series[-1][0] - series[0][0], g.gen, series))
    if spans:
        span, gen, series = max(spans)
        out.append(f"soak_engine_rss_mib: {series[-1][1]:.1f} MiB (gen {gen})")
        grow = series[-1][1] - series[0][1]
        out.append(f"soak_engine_rss_growth_mib: {grow:.1f} MiB over {span / 60:.1f} min (gen {gen})")
    if len(run.sim_rss) > 1:
        out.append(f"soak_sim_rss_growth_mib: {run.sim_rss[-1] - run.sim_rss[0]:.1f} MiB")
    return out


def _findings(run: Run, cmds: list[Command], state: dict[str, Any] | None, unsettled: int) -> list[Finding]:
    venue = read_venue(venue_session(run.sim.rest_url, SIM_API_KEY, SIM_API_SECRET))
    intents = read_journal(run.run_dir / "journal.db")
    crash = Finding("engine_never_crashed", checked=len(run.gens))
    for note in run.notes:
        if note.startswith("gen "):
            crash.fail(note)
    for failure in run.start_failures:
        crash.fail(f"start-up failed: {failure}")
    run.notes.append(f"venue orders {len(venue.orders)}, executions {len(venue.executions)}")
    run.notes.append(f"journal intents {len(intents)}, unsettled at quiesce {unsettled}")
    return [
        *check_ids(venue, intents),
        *check_intents(venue, intents),
        *check_reports(venue, intents, cmds),
        *check_panics(venue, cmds),
        *check_limits(venue, RISK),
        *check_final(venue, state),
        crash,
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the soak; 0 when every invariant held."""
    a = _args(argv)
    run_dir = a.run_dir or Path(tempfile.mkdtemp(prefix="soak-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    run = Run(a, run_dir)
    faults = FaultDriver(run.admin, PROFILES[a.faults], a.seed)
    try:
        faults.start()
        g = run.run_until(time.monotonic() + a.minutes * 60)
        if g is None:
            print("soak: the engine could not be started; see", run_dir, file=sys.stderr)
            return 2
        state, unsettled = run.finish(g, faults)
        stats = run.admin.stats()
        cmds, other = read_results(run_dir / "results.jsonl")
        findings = _findings(run, cmds, state, unsettled)
    finally:
        run.sim.stop()
    lines = _lines(run, cmds, other, stats)
    lines.append(f"soak_fault_bursts: {len(faults.applied)} bursts")
    lines.extend(f.line() for f in findings)
    total = sum(f.violations for f in findings)
    lines.append(f"soak_violations: {total} violations")
    print("\n".join(lines))
    for f in findings:
        for ex in f.examples:
            print(f"  {f.name}: {ex}")
    print(f"soak_run_dir: {run_dir}")
    summary = {"lines": lines, "notes": run.notes, "examples": {f.name: f.examples for f in findings}}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
