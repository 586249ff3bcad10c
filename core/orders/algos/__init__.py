"""Execution algos: chase, scale, TWAP, iceberg, brackets/OCO, trailing, conditionals.

Each is a small class following :mod:`core.orders.algos.base`; the engine's algo runner sends
their children through the one order path.
"""
