"""Checks of the ``[risk.groups]`` and ``[risk.group_caps]`` tables: each mistake raises a
ValueError naming the group or member, the key and the fix (the settings loader reports it under
the key it belongs to)."""

from __future__ import annotations

import re
from decimal import Decimal

_GROUP_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def checked_groups(
    groups: dict[str, tuple[str, ...]], symbols: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """``groups`` as given, or a ValueError naming the group, the member and the fix."""
    for name, members in groups.items():
        where = f"risk.groups.{name}"
        if not _GROUP_NAME_RE.fullmatch(name):
            raise ValueError(f"group name {name!r} must be a lower-case word (a-z, 0-9, _), e.g. majors")
        if not members:
            raise ValueError(f'{where} is empty; list its symbols, e.g. {name} = ["BTCUSDT", "ETHUSDT"]')
        dupes = sorted({m for m in members if members.count(m) > 1})
        if dupes:
            raise ValueError(f"{where} lists {', '.join(dupes)} more than once; list each symbol once")
        unknown = [m for m in members if m not in symbols]
        if unknown:
            raise ValueError(
                f"{where} holds {', '.join(map(repr, unknown))}, not in risk.symbols {list(symbols)}; "
                "add it to risk.symbols or remove it from the group"
            )
    return groups


def checked_group_caps(caps: dict[str, Decimal], groups: dict[str, tuple[str, ...]]) -> dict[str, Decimal]:
    """``caps`` as given, or a ValueError naming the group without a cap (or the cap without a group)."""
    for name in caps:
        if name not in groups:
            raise ValueError(
                f"risk.group_caps.{name} caps no group; define it under [risk.groups] "
                f'({name} = ["BTCUSDT", ...]) or remove the cap'
            )
    for name in groups:
        if name not in caps:
            raise ValueError(
                f'group {name!r} has no cap; add {name} = "250000" (USDT) under [risk.group_caps]'
            )
    return caps
