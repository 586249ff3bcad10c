"""[risk.groups] / [risk.group_caps] and the correlated-exposure settings: loaded from TOML and the
environment into the chain, and every mistake named by its key with the fix."""

from __future__ import annotations

import os
from decimal import Decimal as D
from pathlib import Path

import pytest

from core.config import ConfigError, load_settings
from core.risk.chain import RiskChain

GOOD = """
[risk]
max_correlated_exposure = "600000"
correlation_timeframe = "15m"

[risk.groups]
majors = ["BTCUSDT", "ETHUSDT"]
alts = ["SOLUSDT"]

[risk.group_caps]
majors = "750000"
alts = "100000"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


def load(tmp_path: Path, text: str) -> object:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text, encoding="utf-8")
    return load_settings(cfg)


def problems(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text)
    return exc.value.problems


def test_groups_load_into_the_chain(tmp_path: Path) -> None:
    s = load(tmp_path, GOOD)
    risk = s.risk  # type: ignore[attr-defined]
    assert risk.groups == {"majors": ("BTCUSDT", "ETHUSDT"), "alts": ("SOLUSDT",)}
    assert risk.group_caps == {"majors": D(750_000), "alts": D(100_000)}
    chain = RiskChain.from_settings(risk)
    assert {"group_caps", "correlated_exposure"} <= set(chain.names)
    assert chain.history_need == ("15m", 61)


def test_the_shipped_config_loads_with_both_checks_present() -> None:
    s = load_settings()
    chain = RiskChain.from_settings(s.risk)
    assert "group_caps" in chain.names and "correlated_exposure" in chain.names


def test_groups_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_RISK__GROUPS", '{"majors": ["BTCUSDT", "ETHUSDT"]}')
    monkeypatch.setenv("TRADE_RISK__GROUP_CAPS", '{"majors": "500000"}')
    s = load_settings()
    assert s.risk.group_caps == {"majors": D(500_000)}


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ('[risk.groups]\nmajors = ["BTCUSDT"]\n', "risk.group_caps", 'add majors = "250000"'),
        ('[risk.group_caps]\nalts = "5"\n', "risk.group_caps", "risk.group_caps.alts caps no group"),
        (
            '[risk.groups]\nmajors = ["BTCUSDT", "XRPUSDT"]\n[risk.group_caps]\nmajors = "1"\n',
            "risk.groups",
            "'XRPUSDT', not in risk.symbols",
        ),
        ('[risk.groups]\nmajors = []\n[risk.group_caps]\nmajors = "1"\n', "risk.groups", "is empty"),
        (
            '[risk.groups]\nmajors = ["BTCUSDT", "BTCUSDT"]\n[risk.group_caps]\nmajors = "1"\n',
            "risk.groups",
            "more than once",
        ),
        (
            '[risk.groups]\nMajors = ["BTCUSDT"]\n[risk.group_caps]\nMajors = "1"\n',
            "risk.groups",
            "lower-case",
        ),
        (
            '[risk.groups]\nmajors = ["BTCUSDT"]\n[risk.group_caps]\nmajors = "-1"\n',
            "risk.group_caps.majors",
            "",
        ),
        (
            '[risk.groups]\nmajors = ["BTCUSDT"]\n[risk.group_caps]\nmajors = "inf"\n',
            "risk.group_caps.majors",
            "",
        ),
        ('[risk]\nmax_correlated_exposure = "0"\n', "risk.max_correlated_exposure", ""),
        ('[risk]\ncorrelation_threshold = "1.5"\n', "risk.correlation_threshold", ""),
        ('[risk]\ncorrelation_timeframe = "2m"\n', "risk.correlation_timeframe", "use one of"),
        ("[risk]\ncorrelation_min_returns = 90\n", "risk.correlation_min_returns", "at most the window"),
        ("[risk]\ncorrelation_window = 500\n", "risk.correlation_window", ""),
    ],
)
def test_mistakes_name_the_key_and_the_fix(tmp_path: Path, text: str, key: str, says: str) -> None:
    found = problems(tmp_path, text)
    assert any(k == key and says in msg for k, msg in found), found
    assert len(found) == 1, found  # one mistake, one problem (no echo from the caps)
