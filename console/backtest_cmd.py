"""`trade-console backtest`: run a strategy bar by bar, print the stats, write the report folder."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import ConfigError

if TYPE_CHECKING:
    from core.strategy.base import Bar

DAY_MS = 86_400_000
MINUTE_MS = 60_000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The ``backtest`` sub-command's arguments."""
    bt = sub.add_parser(
        "backtest",
        help="run a strategy on the in-process venue through the real order path",
        description="Run STRATEGY (pkg.mod:Class or path/to/file.py[:Class]) bar by bar through the "
        "engine on the in-process venue; print the stats and write a report folder.",
    )
    bt.add_argument("strategy", help="pkg.module:Class or path/to/file.py[:Class]")
    bt.add_argument("--symbol", default="BTCUSDT")
    bt.add_argument(
        "--from",
        dest="start",
        default=None,
        help=f"ISO date/time (UTC); default: where --data starts, else {GENERATED_FROM}",
    )
    bt.add_argument(
        "--to",
        dest="end",
        default=None,
        help=f"ISO date/time (UTC), exclusive; default: past --data's last bar, else {GENERATED_TO}",
    )
    bt.add_argument(
        "--data", type=Path, default=None, help="CSV ts,open,high,low,close,volume (default: generated)"
    )
    bt.add_argument("--params", nargs="*", default=[], metavar="K=V", help="strategy parameters")
    bt.add_argument("--seed", type=int, default=7)
    bt.add_argument(
        "--fill",
        choices=("next-open", "bar-close", "through-book"),
        default="next-open",
        help="fill model: the next bar's open, the bar's close, or through the book after a latency",
    )
    bt.add_argument(
        "--latency-ms",
        type=int,
        default=None,
        help="through-book: milliseconds from the bar's close to the send (default 50)",
    )
    bt.add_argument(
        "--funding-rate",
        default=None,
        help="funding rate settled every 8 h at 00:00/08:00/16:00 UTC (default: the rates and times "
        "a --data recording's tickers announced, else 0.0001, the sim's rate)",
    )
    bt.add_argument("--no-funding", action="store_true", help="settle no funding")
    bt.add_argument(
        "--out", type=Path, default=None, help="report folder (default var/backtests/<name>-<time>)"
    )
    bt.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    from console.sweep_cmd import add_arguments

    add_arguments(bt)
    return bt


GENERATED_FROM, GENERATED_TO = "2026-01-01", "2026-01-02"
"""The range of generated bars when no --from/--to is given."""


_NOT_THERE = "{} does not exist; give a CSV file (ts,open,high,low,close,volume) or a recording"


def _iso(ms: int) -> str:
    return f"{datetime.fromtimestamp(ms / 1000, UTC):%Y-%m-%dT%H:%M:%S}"


def resolve_range(args: argparse.Namespace) -> tuple[int, int]:
    """``--from``/``--to`` in ms; one left out is the data's own first bar / past its last (the
    generated bars' default range without --data). ``args.start``/``args.end`` then say it."""
    from core.strategy import data

    if args.data is None:
        args.start = args.start or GENERATED_FROM
        args.end = args.end or GENERATED_TO
    start = _ms("--from", args.start) if args.start else None
    end = _ms("--to", args.end) if args.end else None
    if start is None or end is None:
        bars = _read_csv(args, start, end, "in the range")
        start = bars[0].ts_ms if start is None else start
        end = bars[-1].ts_ms + data.MINUTE_MS if end is None else end  # past the last one-minute bar
        args.start, args.end = _iso(start), _iso(end)
    return start, end


def _ms(flag: str, text: str) -> int:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError([(flag, f"{text!r} is not an ISO date or time")]) from None
    return int((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp() * 1000)


def _out_dir(out: Path, made: list[Path]) -> Path:
    """The report folder, made now: a file in its place is refused before the run, not after it.
    A folder made here is added to ``made`` (removed again if the run ends with nothing in it)."""
    if not out.exists():
        made.append(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "is a file, not a folder" if out.is_file() else (exc.strerror or str(exc))
        raise ConfigError([("--out", f"{out}: {reason}: give a folder for the report")]) from None
    return out


def _rate(text: str) -> Decimal:
    """A funding rate typed as every number a trader types (digits, one ``.``, an optional ``-``):
    ``1e-4`` or ``0,0001`` is refused with what to type, as ``--params`` refuses it."""
    from core.orders.numparse import NumberError, parse_number

    body = text.strip()
    negative = body.startswith("-")
    try:
        rate = parse_number(body[1:] if negative else body, "--funding-rate")
    except NumberError as exc:
        why = str(exc).rpartition(" — ")[2]
        raise ConfigError([("--funding-rate", f"{text!r} is not a number: {why}")]) from None
    rate = -rate if negative else rate
    if abs(rate) >= 1:
        raise ConfigError([("--funding-rate", f"{text!r} is not a rate between -1 and 1")])
    return rate


def check_combination(args: argparse.Namespace) -> None:
    """Flags that contradict each other or would be silently ignored are refused, naming both;
    ``--latency-ms`` left out becomes the default latency."""
    from console.sweep_cmd import settle_sweep_options
    from core.strategy.backtest_types import DEFAULT_LATENCY_MS, THROUGH_BOOK

    settle_sweep_options(args)
    if args.no_funding and args.funding_rate is not None:
        raise ConfigError([("--no-funding", "contradicts --funding-rate: give one of them")])
    if args.latency_ms is not None and args.fill != THROUGH_BOOK:
        raise ConfigError(
            [("--latency-ms", f"applies only to --fill through-book (this run fills {args.fill})")]
        )
    args.symbol = args.symbol.strip().upper()  # the venue's symbols are upper case: btcusdt is BTCUSDT
    if args.latency_ms is None:
        args.latency_ms = DEFAULT_LATENCY_MS
    if not 0 <= args.latency_ms < MINUTE_MS:  # the send must fall inside the one-minute bar
        raise ConfigError(
            [("--latency-ms", f"{args.latency_ms} is not 0 .. {MINUTE_MS - 1} (ms after the bar's close)")]
        )


def funding_of(args: argparse.Namespace) -> Decimal | tuple[tuple[int, Decimal], ...] | None:
    """The run's funding: off, ``--funding-rate``, the series a ``--data`` recording's tickers
    announced (fundingRate, nextFundingTime), else the default constant rate."""
    from core.strategy.backtest_types import DEFAULT_FUNDING_RATE

    if args.no_funding:
        return None
    if args.funding_rate is not None:
        return _rate(args.funding_rate)
    if args.data is not None and args.data.is_dir():
        from core.record.funding import recorded_funding
        from core.strategy.data import recording_of

        try:
            series = recorded_funding(*recording_of(args.data))
        except (OSError, ValueError) as exc:
            raise ConfigError([("--data", str(exc))]) from None
        if series:
            return series
    return DEFAULT_FUNDING_RATE


EXIT_FAILED, EXIT_INTERRUPTED = 1, 130
"""A run the strategy's own code stopped; a run stopped by Ctrl-C (128 + SIGINT)."""


def _stopped(message: str, code: int = EXIT_FAILED) -> int:
    import sys

    print(f"trade-console: backtest stopped: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Run the backtest the arguments describe; 0 on success. A report folder made for a run that
    was refused, failed or interrupted and so holds nothing is removed again."""
    made: list[Path] = []
    code = 1
    try:
        code = _run(args, made)
    finally:
        for folder in made if code else ():
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return code


def _flag_of(message: str, symbol: str) -> str:
    """The option a refusal from the run is about (an unlisted symbol, a parameter the venue
    refuses on every order), else ``backtest``."""
    if message.startswith(f"symbol {symbol}:"):
        return "--symbol"
    return "--params" if message.startswith("param ") else "backtest"


WALK_NOTICE_DAYS = 90
"""A generated range further than this from 2026-01-01 says it walks there first (~1 s a year)."""
GENERATED_SPAN = (1_451_606_400_000, 2_082_758_400_000)
"""2016-01-01 .. 2036-01-01: the generated market's range (ten years either side of its start)."""


def _check_generated_range(start: int, end: int) -> None:
    lo, hi = GENERATED_SPAN
    if start < lo or end > hi:
        raise ConfigError(
            [
                (
                    "--from/--to",
                    f"generated bars run from {_iso(lo)} to {_iso(hi)}; for other dates give --data",
                )
            ]
        )


LONG_RUN_BARS = 1_000_000
"""A range of more bars than this is told its memory before it runs."""
MIB_PER_BAR = 0.001
"""Peak memory a bar of a run adds (its equity point, kept and then turned into the report's
Decimal curve, and its share of the fills): 100,800 bars peaked at 167 MiB, 400,320 at 460 MiB."""


class _Bars:
    """The run's bars: a ``--data`` file's, read whole (its spacing is checked), or the generated
    ones, made as the run takes them (a long range starts at once and holds no list of bars)."""

    def __init__(self, bars: Iterable[Bar], count: int, ts_of: Callable[[int], int]) -> None:
        self.bars, self.count, self.ts_of = bars, count, ts_of

    @classmethod
    def of(cls, args: argparse.Namespace, start: int, end: int) -> _Bars:
        from core.strategy import data

        if args.data is not None:
            read = _data_bars(args, start, end)
            return cls(read, len(read), lambda n: read[n].ts_ms)
        _check_generated_range(start, end)
        first = start - start % data.MINUTE_MS
        count = max(0, -(-(end - first) // data.MINUTE_MS))
        walk = abs(start - data.GENERATED_ANCHOR_MS) // DAY_MS
        if walk > WALK_NOTICE_DAYS:
            print(
                f"--from: walking the generated market {walk:,} days from 2026-01-01 first", file=sys.stderr
            )
        bars = data.generated_bars(args.seed, start, end)
        head = next(bars, None)  # the walk to --from happens here, before the run (Ctrl-C stops it)
        return cls(itertools.chain([head] if head else [], bars), count, lambda n: first + n * data.MINUTE_MS)


def _read_csv(args: argparse.Namespace, start: int | None, end: int | None, where: str) -> list[Bar]:
    """The ``--data`` file's bars from ``start`` to ``end``; a file that is not there, cannot be
    read or holds none there (``where`` says the range) is refused naming it."""
    from core.strategy import data

    try:
        bars = list(data.csv_bars(args.data, start, end))
    except FileNotFoundError:
        raise ConfigError([("--data", _NOT_THERE.format(args.data))]) from None
    except (OSError, ValueError) as exc:
        raise ConfigError([("--data", str(exc))]) from None
    if not bars:
        raise ConfigError([("--data", f"{args.data} holds no bars {where}{_span_of(args)}")])
    return bars


def _span_of(args: argparse.Namespace) -> str:
    """`` (it holds A .. B)``: where a ``--data`` file's bars are, for a range that misses them."""
    from core.strategy import data

    try:
        every = list(data.csv_bars(args.data))
    except (OSError, ValueError):
        return ""
    return f" (it holds {_iso(every[0].ts_ms)} .. {_iso(every[-1].ts_ms)})" if every else " (it holds none)"


def _data_bars(args: argparse.Namespace, start: int, end: int) -> list[Bar]:
    """The ``--data`` bars in the range: one-minute bars, or a refusal naming the file (bars
    missing in gaps are a warning)."""
    from core.strategy import data

    bars = _read_csv(args, start, end, f"from {_iso(start)} to {_iso(end)}")
    refusal, warning = data.spacing_problem(bars)
    if refusal:
        raise ConfigError([("--data", f"{args.data}: {refusal}")])
    if warning:
        print(f"--data: {args.data}: {warning}", file=sys.stderr)
    return bars


def _run(args: argparse.Namespace, made: list[Path]) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from core.strategy import params
    from core.strategy.backtest import BacktestConfig, run_backtest
    from core.strategy.loader import (
        StrategyNotFound,
        load_strategy_class,
        strategy_frame,
        strategy_spec,
    )
    from core.strategy.report import stats, write_report

    check_combination(args)
    args.strategy = strategy_spec(args.strategy)
    start, end = resolve_range(args)
    if end <= start:
        raise ConfigError([("--to", f"must be after --from ({args.end} <= {args.start})")])
    try:
        cls = load_strategy_class(args.strategy)
        strategy = cls(**params.resolve(cls.params, args.params))
        if args.sweep is None:  # a sweep checks each trial's combination
            strategy.check()  # refused here, it is not mistaken for the strategy failing mid-run
    except params.ParamError as exc:
        raise ConfigError([("--params", str(exc))]) from None
    except (StrategyNotFound, ValueError) as exc:  # the strategy's own check() names the params too
        raise ConfigError([("strategy", str(exc))]) from None
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    funding = funding_of(args)
    if args.sweep is not None:
        from console.sweep_cmd import run_sweep_command

        if args.data is not None:
            _data_bars(args, start, end)  # refused here, not once in each trial
        else:
            _check_generated_range(start, end)

        out = _out_dir(args.out or Path("var/backtests") / f"{strategy.name}-sweep-{stamp}", made)
        return run_sweep_command(args, start, end, strategy.name, out, funding)
    out = _out_dir(args.out or Path("var/backtests") / f"{strategy.name}-{stamp}", made)
    try:
        bars = _Bars.of(args, start, end)
    except KeyboardInterrupt:
        return _stopped("interrupted before the first bar; nothing run", EXIT_INTERRUPTED)
    if not bars.count:
        raise ConfigError([("--from/--to", "no bars in the range")])
    if bars.count > LONG_RUN_BARS:
        print(
            f"--from/--to: {bars.count:,} bars: the equity curve and the fills are kept for the report, "
            f"~{bars.count * MIB_PER_BAR / 1024:.1f} GiB of memory at the end; Ctrl-C stops the run",
            file=sys.stderr,
        )
    config = BacktestConfig(
        symbol=args.symbol,
        seed=args.seed,
        fill_model=args.fill,
        latency_ms=args.latency_ms,
        funding_rate=funding,
    )
    console = Console()

    done = [0]

    def advance(n: int) -> None:
        done[0] = n + 1
        progress.update(task, completed=n + 1)

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{strategy.name} {args.symbol}", total=bars.count)
        try:
            result = run_backtest(strategy, bars.bars, config, advance)
        except ConfigError:
            raise
        except KeyboardInterrupt:
            return _stopped(
                f"interrupted at bar {done[0]:,} of {bars.count:,}; no report written", EXIT_INTERRUPTED
            )
        except Exception as exc:
            if (where := strategy_frame(exc, cls)) is None:
                if isinstance(exc, ValueError):  # an unlisted symbol, a setting the venue refuses
                    flag = _flag_of(str(exc), args.symbol)
                    raise ConfigError([(flag, str(exc))]) from None
                raise
            at = _iso(bars.ts_of(min(done[0], bars.count - 1)))
            return _stopped(
                f"strategy {strategy.name} raised {type(exc).__name__}: {exc}\n  at {where}, "
                f"bar {done[0] + 1:,} of {bars.count:,} ({at} UTC); fix the strategy and run "
                "again (no report written)"
            )
    from console.stats_view import show

    summary = stats(result, config.starting_balance)
    table = Table(title=f"backtest {strategy.name} {args.symbol} {args.start} .. {args.end}")
    table.add_column("stat")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key, show(key, value))
    console.print(table)
    for path in write_report(result, out, summary, plots=not args.no_plots):
        console.print(f"wrote {path}")
    return 0
