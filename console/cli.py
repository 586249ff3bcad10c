"""``trade-console`` command line.

Sub-commands:
  (none)          open the console (sim by default)
  sim             run the built-in Bybit-V5 venue standalone on loopback
  check-config    print the effective settings, secrets redacted; exit 2 on any error
  journal         read the trade journal
  engine-demo     place, amend, cancel and panic against the sim, then print the journal
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core.config import ConfigError, Settings, load_settings

EXIT_CONFIG = 2


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="PATH", help="config file (default: $TRADE_CONFIG or ./config.toml)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="trade-console", description="Terminal trading console for perps.")
    _add_config(parser)
    parser.add_argument("--live", action="store_true", help="allow live (mainnet, real money) mode")
    parser.add_argument("--mode", choices=["sim", "demo", "live"], help="override the configured mode")
    sub = parser.add_subparsers(dest="command")

    sim = sub.add_parser("sim", help="run the built-in Bybit-V5 venue on loopback")
    _add_config(sim)
    sim.add_argument("--host", default=None, help="loopback address to bind (default from config)")
    sim.add_argument("--port", type=int, default=None, help="port (default from config)")
    sim.add_argument("--seed", type=int, default=None, help="market generator seed")
    sim.add_argument("--faults", default=None, help='fault spec, e.g. "rate_limit=0.05,http5xx=0.01"')
    sim.add_argument("--rate", type=float, default=None, help="book/ticker updates per second per symbol")

    chk = sub.add_parser("check-config", help="print effective settings (secrets redacted)")
    _add_config(chk)
    chk.add_argument("--live", action="store_true", help="validate as if --live were given")

    jr = sub.add_parser("journal", help="read the trade journal")
    _add_config(jr)
    jr.add_argument("--since", help="ISO time or seq number to start from")
    jr.add_argument("--symbol", help="only this symbol")
    jr.add_argument("--csv", action="store_true", help="CSV instead of a table")
    jr.add_argument("--path", help="journal file (default from config)")

    demo = sub.add_parser("engine-demo", help="scripted place/amend/cancel/panic against the sim")
    _add_config(demo)
    return parser


def _load(args: argparse.Namespace, **overrides: object) -> Settings:
    if getattr(args, "mode", None):
        overrides["mode"] = args.mode
    return load_settings(args.config, allow_live=bool(getattr(args, "live", False)), **overrides)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Print the effective settings with secrets redacted."""
    settings = _load(args)
    print(json.dumps(settings.redacted(), indent=2, default=str))
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the sim venue in the foreground until Ctrl-C."""
    from core.sim.cli import run_standalone

    settings = _load(args)
    return run_standalone(
        settings.sim,
        host=args.host,
        port=args.port,
        seed=args.seed,
        faults=args.faults,
        rate_hz=args.rate,
    )


def cmd_journal(args: argparse.Namespace) -> int:
    """Print journal records."""
    from core.journal.reader import run_journal_cli

    path = args.path or _load(args).journal.path
    return run_journal_cli(path, args.since, args.symbol, args.csv)


def cmd_engine_demo(args: argparse.Namespace) -> int:
    """Place, amend, cancel and panic against an embedded sim; then print the journal."""
    from console.demo import run_engine_demo

    return run_engine_demo(_load(args, mode="sim"))


def cmd_console(args: argparse.Namespace) -> int:
    """Open the console (until the console exists, run the sim in the foreground)."""
    settings = _load(args)
    try:
        from console.app import run_console
    except ImportError:
        print("The console UI is not built yet; starting the sim venue in the foreground instead.")
        from core.sim.cli import run_standalone

        return run_standalone(settings.sim)
    return run_console(settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trade-console`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        None: cmd_console,
        "sim": cmd_sim,
        "check-config": cmd_check_config,
        "journal": cmd_journal,
        "engine-demo": cmd_engine_demo,
    }
    handler = handlers.get(args.command)
    if handler is None:
        parser.error(f"{args.command} is not available yet")
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"trade-console: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
