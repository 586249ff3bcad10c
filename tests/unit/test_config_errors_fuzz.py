"""Fuzz the settings loader: random TOML-ish values for every key.

Each outcome is either settings every consumer can use (the breakers' time zone, the risk chain,
the sim's fault spec, the metrics server's host, the redacted dump) or a :class:`ConfigError`
whose every problem names a key that was written (or one it implies, such as the API key a mode
needs) and says something; never any other exception.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from console.config_check import ui_problems
from core.config import ConfigError, Settings, load_settings
from core.observability.stack import ObservabilityStack
from core.risk.breakers import BreakerBoard
from core.risk.chain import RiskChain
from core.sim.faults import FaultSpec

SECTIONS = ("sim", "venue", "risk", "breakers", "journal", "metrics", "ui")
TOP = ("mode", "keys", "aliases", "secrets_file", "demo_api_key", "live_api_secret")
IMPLIED = ("demo_api_key", "live_api_key", "ui.default_symbol", "risk.symbols", "mode")
"""Keys a problem may name although another key was written (demo mode needs demo keys)."""


def _keys() -> list[str]:
    out = list(TOP)
    for section in SECTIONS:
        model = Settings.model_fields[section].default
        assert isinstance(model, BaseModel)
        out += [f"{section}.{name}" for name in type(model).model_fields]
    return out


KEYS = _keys()

SPECIAL_STRINGS = [
    "",
    "UTC",
    "Mars/Phobos",
    "../../etc/passwd",
    "0.0.0.0",
    "127.0.0.1",
    "::1",
    "inf",
    "NaN",
    "-1",
    "0",
    "1e999999",
    "1e-999999",
    "5",
    "250000.5",
    "rate_limit=0.05",
    "rate_limit=2",
    "http5xx=0.1,latency_ms=5",
    "bogus",
    "https://api.bybit.com",
    "http://127.0.0.1:1/hook",
    "file:///etc/passwd",
    "sim",
    "demo",
    "live",
    "BTCUSDT",
    "trade-dark",
    "a\x00b",
    "f12",
]

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 65535, 65536, 10**12, 10**13]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(SPECIAL_STRINGS),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "panic", "buy", "f1", "demo"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def toml_value(v: Any) -> str:
    """``v`` written as a TOML value (strings escaped so the file always parses)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(items: dict[str, Any]) -> str:
    top = [f"{k} = {toml_value(v)}" for k, v in items.items() if "." not in k]
    lines = top[:]
    for section in SECTIONS:
        rows = [
            f"{k.split('.', 1)[1]} = {toml_value(v)}" for k, v in items.items() if k.startswith(section + ".")
        ]
        if rows:
            lines += [f"[{section}]", *rows]
    return "\n".join(lines) + "\n"


def _named(problem_key: str, written: set[str]) -> bool:
    candidates = written | set(IMPLIED) | {w.split(".", 1)[0] for w in written}
    return any(
        problem_key == c or problem_key.startswith(c + ".") or problem_key.startswith(c) for c in candidates
    )


def _usable(s: Settings) -> None:
    """What the console builds from the settings it loaded must build."""
    BreakerBoard.from_settings(s)
    RiskChain.from_settings(s.risk)
    FaultSpec.parse(s.sim.faults)
    ObservabilityStack.from_settings(s.metrics, mode=s.mode.value, venue="x", health_provider=lambda: None)  # type: ignore[arg-type,return-value]
    json.dumps(s.redacted())
    assert math.isfinite(s.risk.book_stale_s)
    assert s.risk.max_order_notional.is_finite()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=4))
def test_any_value_for_any_key_loads_or_names_the_key(items: dict[str, Any], tmp_path: Path) -> None:
    cfg = tmp_path / "fuzz.toml"
    cfg.write_text(toml_document(items), encoding="utf-8")
    try:
        s = load_settings(cfg, extra_checks=[ui_problems])
    except ConfigError as exc:
        assert exc.problems
        for key, message in exc.problems:
            assert _named(key, set(items)), (key, message, items)
            assert message.strip()
            assert "Traceback" not in message
        return
    _usable(s)
