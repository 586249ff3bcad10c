"""The Hyperliquid sim's well-known keys: they only open this loopback venue.

The sim account is the address of ``SIM_USER_KEY``; ``SIM_AGENT_KEY`` is an agent (API) wallet
registered to it, the way a trader approves an agent on Hyperliquid and signs with it.
"""

from __future__ import annotations

from eth_account import Account

SIM_USER_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
SIM_AGENT_KEY = "0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f"
SIM_USER = str(Account.from_key(SIM_USER_KEY).address)
SIM_AGENT = str(Account.from_key(SIM_AGENT_KEY).address)


def default_agents(extra_agents: tuple[str, ...] = ()) -> dict[str, str]:
    """Signer address -> user: the sim account signs for itself, and so do its agents."""
    agents = {SIM_USER: SIM_USER, SIM_AGENT: SIM_USER}
    agents.update({a: SIM_USER for a in extra_agents})
    return agents
