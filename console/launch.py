"""The ``trade-console`` entry point: the collector is held before anything else is imported (see
:mod:`console.gc_pacer`), then the command line runs."""

from __future__ import annotations

import sys

from console.gc_pacer import hold_collections


def main() -> int:
    """Run ``trade-console`` with the process's arguments; returns the exit code."""
    hold_collections()
    from console.cli import main as cli_main  # imported with the collector held

    return cli_main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
