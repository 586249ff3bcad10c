"""`trade-console` flags and `check-config`: global flags apply before or after the sub-command
(or are refused with the reason), every error exits 2 naming the key and the fix, and
`check-config` asks a real sim venue on loopback whether it lists every configured symbol."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli import main
from core.config import SimSettings
from core.sim.runner import SimVenueThread

KEY = "KeY-ab12cd34ef56"
SECRET = "sEcReT-9f8e7d6c5b4a39281706"
BINARY = Path(sys.executable).parent / "trade-console"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimVenueThread]:
    """A real sim venue on a free loopback port (it lists BTCUSDT, ETHUSDT and SOLUSDT)."""
    venue = SimVenueThread(SimSettings(port=0, seed=7, market_rate_hz=5.0)).start()
    try:
        yield venue
    finally:
        venue.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, port: int, body: str = "", name: str = "c.toml") -> Path:
    """A config file for a sim on ``port`` with ``body`` appended (sections after [sim])."""
    cfg = tmp_path / name
    cfg.write_text(f"[sim]\nport = {port}\n{body}")
    return cfg


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# --- global flags apply wherever they are written ----------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_flag_applies_before_or_after_the_subcommand(
    where: str, sim: SimVenueThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, sim.port, "[risk]\nmax_open_orders = 7\n")
    argv = (
        ["--config", str(cfg), "check-config"]
        if where == "before"
        else ["check-config", "--config", str(cfg)]
    )
    code, out, err = run(argv, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["config_path"] == str(cfg)
    assert data["risk"]["max_open_orders"] == 7
    assert data["endpoints"]["rest"] == f"http://127.0.0.1:{sim.port}"
    assert err == ""  # the venue answered and lists every symbol: nothing to warn about


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{missing}", "check-config"],
        ["check-config", "--config", "{missing}"],
        ["--config", "{missing}", "journal", "--path", "{journal}"],
        ["journal", "--config", "{missing}"],
        ["--config", "{missing}", "engine-demo"],
        ["--config", "{missing}", "sim", "--port", "0"],
        ["--config", "{missing}"],
    ],
)
def test_missing_config_file_is_an_error_naming_the_path(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope" / "config.toml"
    argv = [a.format(missing=missing, journal=tmp_path / "j.db") for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert f"--config: {missing} does not exist" in err
    assert "config file" in err  # the fix
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["--live", "--mode", "live", "check-config", "--offline"],
        ["--mode", "live", "check-config", "--live", "--offline"],
        ["check-config", "--live", "--mode", "live", "--offline"],
        ["--live", "check-config", "--mode", "live", "--offline"],
    ],
)
def test_live_and_mode_flags_apply_wherever_written(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRADE_LIVE_API_KEY", KEY)
    monkeypatch.setenv("TRADE_LIVE_API_SECRET", SECRET)
    code, out, err = run(argv, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["mode"] == "live"
    assert data["endpoints"]["rest"] == "https://api.bybit.com"
    assert KEY not in out + err and SECRET not in out + err


def test_live_mode_without_live_flag_is_still_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRADE_LIVE_API_KEY", KEY)
    monkeypatch.setenv("TRADE_LIVE_API_SECRET", SECRET)
    code, out, err = run(["check-config", "--mode", "live", "--offline"], capsys)
    assert code == 2
    assert "mode: live mode (real money) needs --live" in err
    assert out == ""


def test_one_flag_with_two_values_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_config(tmp_path, _free_port(), name="a.toml")
    b = write_config(tmp_path, _free_port(), name="b.toml")
    code, _, err = run(["--config", str(a), "check-config", "--config", str(b), "--offline"], capsys)
    assert code == 2
    assert "--config: given twice with different values" in err and "give it once" in err
    code, _, err = run(["--mode", "sim", "check-config", "--mode", "demo", "--offline"], capsys)
    assert code == 2
    assert "--mode: given twice" in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--mode", "demo", "sim", "--port", "0"], "--mode"),
        (["sim", "--live", "--port", "0"], "--live"),
        (["--live", "engine-demo"], "--live"),
        (["engine-demo", "--mode", "live"], "--mode"),
    ],
)
def test_flags_a_subcommand_cannot_honour_are_refused(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert f"{flag}: " in err and f"remove {flag}" in err
    assert out == ""


def test_sim_subcommand_ignores_the_configured_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trade-console sim` with a live config neither needs --live nor keys: it runs the sim only."""
    seen: dict[str, object] = {}

    def fake_standalone(sim: SimSettings, **kw: object) -> int:
        seen["sim"], seen["kw"] = sim, kw
        return 0

    monkeypatch.setattr("core.sim.cli.run_standalone", fake_standalone)
    cfg = tmp_path / "c.toml"
    cfg.write_text('mode = "live"\n[sim]\nport = 9999\n')
    code, _, err = run(["--config", str(cfg), "sim", "--seed", "3"], capsys)
    assert code == 0, err
    assert isinstance(seen["sim"], SimSettings) and seen["sim"].port == 9999
    assert seen["kw"] == {
        "host": None,
        "port": None,
        "seed": 3,
        "faults": None,
        "rate_hz": None,
        "venue": "bybit",
    }


def test_sim_subcommand_runs_the_hyperliquid_sim_and_refuses_an_unknown_venue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, object] = {}

    def fake_standalone(sim: SimSettings, **kw: object) -> int:
        seen.update(kw)
        return 0

    monkeypatch.setattr("core.sim.cli.run_standalone", fake_standalone)
    code, _, err = run(["sim", "--venue", "hyperliquid", "--port", "8766"], capsys)
    assert code == 0, err
    assert seen["venue"] == "hyperliquid" and seen["port"] == 8766
    code, _, err = run(["sim", "--venue", "hyperliquid", "--faults", "http5xx=0.1"], capsys)
    assert code == 2 and "--faults is for the Bybit sim" in err
    code, _, err = run(["sim", "--venue", "kraken"], capsys)
    assert code == 2 and "invalid choice: 'kraken'" in err


@pytest.mark.parametrize("venue", ["bybit", "hyperliquid"])
def test_sim_on_a_port_already_taken_says_so_without_a_traceback(
    venue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: both sims died with an OSError traceback when the port was in use."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        code, _, err = run(["sim", "--venue", venue, "--port", str(port)], capsys)
    assert code == 2
    assert "cannot listen" in err and "--port" in err and "Traceback" not in err


# --- check-config rejects what the console cannot use -------------------------------------------


def test_check_config_rejects_unknown_theme_keys_and_default_symbol_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path,
        _free_port(),
        '[ui]\ntheme = "solarized-light"\ndefault_symbol = "DOGEUSDT"\n[keys]\npanik = "f12"\nbuy = "b"\n',
    )
    code, out, err = run(["check-config", "--config", str(cfg), "--offline"], capsys)
    assert code == 2
    assert out == ""
    assert "ui.theme: unknown theme 'solarized-light'; use one of: trade-dark, trade-light" in err
    assert "keys.panik: unknown binding id; remove it or use one of: " in err and "panic" in err
    assert "keys.buy" not in err
    assert "ui.default_symbol: 'DOGEUSDT' is not in risk.symbols" in err
    assert "add it to risk.symbols" in err


def test_console_refuses_an_unknown_theme_before_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[object] = []

    def fake_console(settings: object) -> int:
        opened.append(settings)
        return 0

    monkeypatch.setattr("console.runner.run_console", fake_console)
    cfg = write_config(tmp_path, _free_port(), '[ui]\ntheme = "nord"\n')
    code, _, err = run(["--config", str(cfg)], capsys)
    assert code == 2 and opened == []
    assert "ui.theme: unknown theme 'nord'" in err


def test_check_config_rejects_symbols_the_venue_does_not_list(
    sim: SimVenueThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, sim.port, '[risk]\nsymbols = ["BTCUSDT", "DOGEUSDT"]\n')
    code, out, err = run(["check-config", "--config", str(cfg)], capsys)
    assert code == 2
    assert out == ""
    assert "risk.symbols: DOGEUSDT not listed as trading by the venue at" in err
    assert f"http://127.0.0.1:{sim.port}" in err
    assert "remove it from risk.symbols" in err
    assert "BTCUSDT not listed" not in err


def test_check_config_warns_when_the_venue_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    cfg = write_config(tmp_path, port, '[risk]\nsymbols = ["BTCUSDT", "DOGEUSDT"]\n')
    code, out, err = run(["check-config", "--config", str(cfg)], capsys)
    assert code == 0
    assert json.loads(out)["risk"]["symbols"] == ["BTCUSDT", "DOGEUSDT"]
    assert f"warning: venue at http://127.0.0.1:{port} not reachable" in err
    assert "symbols not checked" in err


def test_check_config_gives_up_on_a_silent_venue_after_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A venue that accepts the connection and never answers costs --timeout, not forever."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        cfg = write_config(tmp_path, silent.getsockname()[1])
        started = time.monotonic()
        code, out, err = run(["check-config", "--config", str(cfg), "--timeout", "0.5"], capsys)
        elapsed = time.monotonic() - started
    assert code == 0
    assert "not reachable" in err and out.startswith("{")
    assert elapsed < 3.0


def test_bad_timeout_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, _free_port())
    code, _, err = run(["check-config", "--config", str(cfg), "--timeout", "0"], capsys)
    assert code == 2
    assert "--timeout: must be a positive number of seconds" in err


def test_usage_errors_return_2_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check-config", "--bogus"], capsys)
    assert code == 2
    assert "unrecognized arguments: --bogus" in err


# --- the installed script -------------------------------------------------------------------------


@pytest.mark.skipif(not BINARY.exists(), reason="trade-console is not installed (pip install -e .)")
@pytest.mark.parametrize("where", ["before", "after"])
def test_script_exits_2_without_traceback(where: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    flags = ["--config", str(missing), "--live"]
    argv = [*flags, "check-config"] if where == "before" else ["check-config", *flags]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADE_")}
    proc = subprocess.run(
        [str(BINARY), *argv], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert proc.returncode == 2
    assert f"--config: {missing} does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_check_config_refuses_a_bad_alias_and_an_alias_on_a_console_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[aliases] are checked with the command-line grammar before the console ever opens."""
    from console.config_check import alias_problems
    from core.config import load_settings

    settings = load_settings(aliases={"f1": "buy 0,01", "b": "buy 0.01", "f2": "sell risk 1% stop -1%"})
    problems = dict(alias_problems(settings))
    assert set(problems) == {"aliases.f1", "aliases.b"}
    assert "use . as the decimal point" in problems["aliases.f1"]
    assert "already a console key" in problems["aliases.b"]
