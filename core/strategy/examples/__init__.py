"""Example strategies: SMA crossover, breakout with an ATR stop, a market-making skeleton."""
