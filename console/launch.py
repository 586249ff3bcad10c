"""The ``trade-console`` entry point: the collector is held before anything else is imported (see
:mod:`console.gc_pacer`), then the command line runs."""

from __future__ import annotations

import sys

from console.gc_pacer import hold_collections

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a command Ctrl-C stopped."""


def main() -> int:
    """Run ``trade-console`` with the process's arguments; returns the exit code."""
    hold_collections()
    try:
        from console.cli import main as cli_main  # imported with the collector held

        return cli_main()
    except KeyboardInterrupt:  # a Ctrl-C no command caught: while loading, or between its steps
        print("trade-console: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
