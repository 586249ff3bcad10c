"""The sim venue speaking Hyperliquid: ``POST /info``, ``POST /exchange`` (signed L1 actions) and ``/ws``.

The front-end keeps its own implementation of Hyperliquid's rules (price and size rules, the
action hash, EIP-712 signature recovery, nonces, statuses and error strings) and runs on its own
instance of the sim's exchange core (market generator, book, matching, accounts), so the
Hyperliquid market is a second venue with its own prices and its own accounts.
"""
