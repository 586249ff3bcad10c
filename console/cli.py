"""``trade-console`` command line.

Sub-commands:
  (none)          open the console (sim by default)
  sim             run the built-in venue standalone on loopback (Bybit V5; --venue hyperliquid)
  check-config    validate and print the effective settings, secrets redacted; exit 2 on any error
  journal         read the trade journal
  engine-demo     place, amend, cancel and panic against the sim, then print the journal
  record          record public streams (books, trades, tickers, candles) to compressed files

The global flags ``--config``, ``--mode`` and ``--live`` may be written before or after the
sub-command and mean the same in both places. A flag that makes no sense for a sub-command is
refused with the reason, never silently dropped; every error exits with code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from console.gc_pacer import release_collections
from core.config import ConfigError, Settings, SettingsCheck, load_settings
from core.journal.recovery import JournalOpenError

EXIT_CONFIG = 2
MODES = ("sim", "demo", "live")
_BIND_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)
"""A sim that cannot bind its port: said in one line, never a traceback."""

#: Global flags: (dest, what to call it in messages).
_GLOBALS = (("config", "--config"), ("mode", "--mode"), ("live", "--live"))
_SUB = "sub_"


def _add_globals(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """The global flags. On a sub-command they land in ``sub_*`` so neither place overwrites the other."""
    prefix = _SUB if sub else ""
    p.add_argument(
        "--config",
        dest=f"{prefix}config",
        metavar="PATH",
        help="config file (default: $TRADE_CONFIG or ./config.toml)",
    )
    p.add_argument("--mode", dest=f"{prefix}mode", choices=MODES, help="override the configured mode")
    p.add_argument(
        "--live",
        dest=f"{prefix}live",
        action="store_true",
        default=False,
        help="allow live (mainnet, real money) mode",
    )


def _port(text: str) -> int:
    """A TCP port for argparse: an integer in 0..65535 (0 picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give 0-65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number; give 0-65535 (0 picks a free one)")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="trade-console", description="Terminal trading console for perps.")
    _add_globals(parser, sub=False)
    sub = parser.add_subparsers(dest="command")

    sim = sub.add_parser("sim", help="run the built-in Bybit-V5 venue on loopback")
    _add_globals(sim, sub=True)
    sim.add_argument("--host", default=None, help="loopback address to bind (default from config)")
    sim.add_argument("--port", type=_port, default=None, help="port 0-65535 (default from config)")
    sim.add_argument("--seed", type=int, default=None, help="market generator seed")
    sim.add_argument("--faults", default=None, help='fault spec, e.g. "rate_limit=0.05,http5xx=0.01"')
    sim.add_argument("--rate", type=float, default=None, help="book/ticker updates per second per symbol")
    sim.add_argument(
        "--venue",
        choices=("bybit", "hyperliquid"),
        default="bybit",
        help="which exchange's protocol to speak (hyperliquid: /info, /exchange, /ws on the port + 1)",
    )
    sim.add_argument("--replay", metavar="DIR", default=None, help="serve a recording as the market")
    sim.add_argument("--speed", type=float, default=1.0, help="replay speed (with --replay; default 1x)")

    chk = sub.add_parser(
        "check-config",
        help="validate and print effective settings (secrets redacted)",
        description="Validate the settings (and, when the venue answers, that it lists every "
        "configured symbol), then print them with secrets redacted. Exit 2 on any error.",
    )
    _add_globals(chk, sub=True)
    chk.add_argument("--offline", action="store_true", help="do not ask the venue about the symbols")
    chk.add_argument(
        "--timeout", type=float, default=3.0, metavar="S", help="seconds to wait for the venue (default 3)"
    )

    jr = sub.add_parser("journal", help="read the trade journal")
    _add_globals(jr, sub=True)
    jr.add_argument("--since", help="ISO time or seq number to start from")
    jr.add_argument("--symbol", help="only this symbol")
    jr.add_argument("--csv", action="store_true", help="CSV instead of a table")
    jr.add_argument("--path", help="journal file (default from config)")

    demo = sub.add_parser("engine-demo", help="scripted place/amend/cancel/panic against the sim")
    _add_globals(demo, sub=True)

    rec = sub.add_parser("record", help="record public streams to compressed files (docs/recording.md)")
    _add_globals(rec, sub=True)
    rec.add_argument("--symbols", required=True, help="comma-separated, e.g. BTCUSDT,ETHUSDT")
    rec.add_argument("--out", required=True, type=Path, help="recording directory")
    rec.add_argument("--minutes", type=float, default=None, help="stop after this long (default: Ctrl-C)")

    from console.backtest_cmd import add_parser as add_backtest

    _add_globals(add_backtest(sub), sub=True)
    return parser


def merge_globals(args: argparse.Namespace) -> None:
    """Fold the flags written after the sub-command into the top-level ones.

    Raises :class:`ConfigError` when one flag is given two different values.
    """
    problems: list[tuple[str, str]] = []
    for dest, flag in _GLOBALS:
        before, after = getattr(args, dest, None), getattr(args, _SUB + dest, None)
        if dest == "live":
            setattr(args, dest, bool(before or after))
        elif before is not None and after is not None and before != after:
            problems.append(
                (flag, f"given twice with different values ({before!r} and {after!r}); give it once")
            )
        elif after is not None:
            setattr(args, dest, after)
    if problems:
        raise ConfigError(problems)


def _refuse(args: argparse.Namespace, why: str, *, allowed_mode: str | None = None) -> None:
    """Refuse ``--mode``/``--live`` for a sub-command that cannot honour them."""
    problems: list[tuple[str, str]] = []
    if args.mode is not None and args.mode != allowed_mode:
        problems.append(("--mode", f"{why}; remove --mode {args.mode}"))
    if args.live:
        problems.append(("--live", f"{why}; remove --live"))
    if problems:
        raise ConfigError(problems)


def _load(args: argparse.Namespace, *, ui: bool = False, **overrides: object) -> Settings:
    """Settings from the flags; ``ui`` adds the console's own checks (theme, key binding ids)."""
    if args.mode and "mode" not in overrides:
        overrides["mode"] = args.mode
    checks: list[SettingsCheck] = []
    if ui:
        from console.config_check import ui_problems

        checks.append(ui_problems)
    return load_settings(args.config, allow_live=bool(args.live), extra_checks=checks, **overrides)


def _warn(line: str) -> None:
    print(f"trade-console: warning: {line}", file=sys.stderr)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the settings (console and venue included), then print them with secrets redacted."""
    from console.config_check import check_venue_symbols

    settings = _load(args, ui=True)
    if args.timeout <= 0:
        raise ConfigError([("--timeout", f"must be a positive number of seconds, got {args.timeout}")])
    if args.offline:
        _warn("--offline: symbols not checked against the venue")
    else:
        for line in check_venue_symbols(settings, args.timeout):
            _warn(line)
    print(json.dumps(settings.redacted(), indent=2, default=str))
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the sim venue in the foreground until Ctrl-C."""
    from core.sim.cli import run_standalone

    _refuse(args, "`sim` runs the built-in venue, which is always sim", allowed_mode="sim")
    settings = _load(args, mode="sim")
    if args.replay is None and args.speed != 1.0:
        print("trade-console sim: --speed is the replay speed; give --replay DIR with it", file=sys.stderr)
        return 2
    if args.replay is not None and (args.venue == "hyperliquid" or args.speed <= 0):
        print("trade-console sim: --replay needs the Bybit sim and a positive --speed", file=sys.stderr)
        return 2
    if args.venue == "hyperliquid" and args.faults:
        print(
            "trade-console sim: --faults is for the Bybit sim; drop it with --venue hyperliquid",
            file=sys.stderr,
        )
        return 2
    try:
        return run_standalone(
            settings.sim,
            host=args.host,
            port=args.port,
            seed=args.seed,
            faults=args.faults,
            rate_hz=args.rate,
            venue=args.venue,
            **({"replay": args.replay, "speed": args.speed} if args.replay is not None else {}),
        )
    except OSError as exc:
        if exc.errno not in _BIND_ERRORS:
            raise
        print(
            f"trade-console sim: cannot listen ({exc.strerror}): another sim or console may hold the "
            "port; pick a free one with --port",
            file=sys.stderr,
        )
        return 2


def cmd_journal(args: argparse.Namespace) -> int:
    """Print journal records."""
    from core.journal.reader import run_journal_cli

    # An explicit --config is always read (a missing file is an error even with --path).
    settings = _load(args) if args.config is not None or not args.path else None
    path = args.path or (settings.journal.path if settings else "")
    return run_journal_cli(path, args.since, args.symbol, args.csv)


def cmd_engine_demo(args: argparse.Namespace) -> int:
    """Place, amend, cancel and panic against an embedded sim; then print the journal."""
    from console.demo import run_engine_demo

    _refuse(args, "`engine-demo` always runs on an embedded sim venue", allowed_mode="sim")
    return run_engine_demo(_load(args, mode="sim"))


def cmd_backtest(args: argparse.Namespace) -> int:
    """Backtest a strategy on the in-process venue through the real order path."""
    from console.backtest_cmd import run

    _refuse(args, "`backtest` always runs on the in-process venue", allowed_mode="sim")
    if args.data is not None and args.data.is_dir():
        args.data = _recorded_data(args.data, args.symbol, args.start, args.end)
    return run(args)


def _recorded_data(directory: Path, symbol: str, start: str | None, end: str | None) -> Path:
    """``--data DIR`` (a recording): its ``DIR/<SYMBOL>`` for ``--symbol``, or the reason it has
    none (the symbol not recorded, or ``--from``/``--to`` outside the recorded times)."""
    from datetime import UTC, datetime

    from core.record.format import MANIFEST, FormatError, check_symbols, read_manifest

    if not (directory / MANIFEST).is_file() and (directory.parent / MANIFEST).is_file():
        # DIR/<SYMBOL>: one symbol of a recording; the folder names the symbol
        if directory.name != symbol:
            flag = f"{directory} is the recording of {directory.name}, not --symbol {symbol}"
            raise ConfigError([("--data", f"{flag}: give --symbol {directory.name}")])
        directory = directory.parent
    try:
        check_symbols(directory, (symbol,))
        first, last = (read_manifest(directory).get(k) for k in ("start_ms", "end_ms"))
    except FormatError as exc:
        raise ConfigError([("--data", str(exc))]) from None
    from core.strategy.data import parse_ts

    if start is None or end is None:  # the recording's own span
        return directory / symbol
    try:
        lo, hi = parse_ts(start), parse_ts(end)
    except ValueError:  # `backtest` names the bad --from/--to itself
        return directory / symbol
    if isinstance(first, int) and isinstance(last, int) and (hi <= first or lo > last):
        when = " .. ".join(
            f"{datetime.fromtimestamp(t / 1000, UTC):%Y-%m-%dT%H:%M:%S}" for t in (first, last)
        )
        raise ConfigError([("--from/--to", f"{start} .. {end} misses the recording ({when} UTC)")])
    return directory / symbol


def cmd_record(args: argparse.Namespace) -> int:
    """Record the configured venue's public streams (endpoints follow the mode rule)."""
    from core.record.cli import run_record

    return run_record(_load(args), args.symbols, args.out, args.minutes)


def cmd_console(args: argparse.Namespace) -> int:
    """Open the console after validating the settings it will use."""
    from console.runner import run_console

    settings = _load(args, ui=True)

    return run_console(settings)


HANDLERS = {
    None: cmd_console,
    "sim": cmd_sim,
    "check-config": cmd_check_config,
    "journal": cmd_journal,
    "engine-demo": cmd_engine_demo,
    "backtest": cmd_backtest,
    "record": cmd_record,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trade-console`` script; returns the exit code (2 on a usage or config error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the error (or --help)
        return exc.code if isinstance(exc.code, int) else EXIT_CONFIG
    if args.command is not None:
        release_collections()  # held by the entry point for the console's start-up only
    try:
        merge_globals(args)
        return HANDLERS[args.command](args)
    except ConfigError as exc:
        print(f"trade-console: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except JournalOpenError as exc:  # a journal no fresh file can replace: path, reason and fix
        print(f"trade-console: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
