"""``python -m core.sim.hyperliquid``: the Hyperliquid sim in the foreground."""

import sys

from core.sim.hyperliquid.cli import main

sys.exit(main())
