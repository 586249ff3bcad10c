"""Hyperliquid perps behind the venue port (the only package that imports the Hyperliquid SDK)."""
