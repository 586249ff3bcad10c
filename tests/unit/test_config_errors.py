"""Bad settings end in a clear message naming the key and the fix, and exit 2: never a traceback,
never a console that opens and then crashes, never a limit that is quietly switched off.

Every case goes through the real command line (``console.cli.main``); one runs the installed
script to see the process's own output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main

KEY = "KeY-ab12cd34ef56"
SECRET = "sEcReT-9f8e7d6c5b4a39281706"
BINARY = Path(sys.executable).parent / "trade-console"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Settings the console was opened with (the real app is replaced: it needs a terminal)."""
    seen: list[object] = []

    def fake_console(settings: object) -> int:
        seen.append(settings)
        return 0

    monkeypatch.setattr("console.runner.run_console", fake_console)
    return seen


def check_config(cfg: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check-config", "--offline", "--config", str(cfg)])
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path: Path, body: str | bytes, name: str = "c.toml") -> Path:
    cfg = tmp_path / name
    if isinstance(body, bytes):
        cfg.write_bytes(body)
    else:
        cfg.write_text(body)
    return cfg


# Settings that used to pass check-config and then crash the console (or switch a check off).
BAD_VALUES = [
    ('[breakers]\ntimezone = "Mars/Phobos"\n', "breakers.timezone", "unknown time zone 'Mars/Phobos'"),
    ('[metrics]\nhost = "0.0.0.0"\n', "metrics.host", "allow_public = true"),
    ('[sim]\nfaults = "rate_limit=2"\n', "sim.faults", "rate_limit"),
    ('[sim]\nfaults = "bogus=1"\n', "sim.faults", "unknown fault kind"),
    ("[risk]\nbook_stale_s = inf\n", "risk.book_stale_s", "finite"),
    ("[risk]\nbook_stale_s = nan\n", "risk.book_stale_s", "finite"),
    ("[breakers]\napi_failure_window_s = inf\n", "breakers.api_failure_window_s", "finite"),
    ('[risk]\nmax_order_notional = "1e999999"\n', "risk.max_order_notional", "less than or equal to 1E+12"),
    ('[risk]\nmax_gross_exposure = "Infinity"\n', "risk.max_gross_exposure", "finite"),
    ('[breakers]\ndaily_loss_limit = "1e-999999"\n', "breakers.daily_loss_limit", "decimal places"),
    ("[risk]\nmax_leverage = 1e9\n", "risk.max_leverage", "less than or equal to 200"),
    ("[sim]\nack_delay_ms = [50, 20]\n", "sim.ack_delay_ms", "smaller one first"),
    ('[metrics]\nwebhook_url = "file:///etc/passwd"\n', "metrics.webhook_url", "http://"),
]


@pytest.mark.parametrize(("body", "key", "fragment"), BAD_VALUES)
def test_check_config_refuses_values_the_console_cannot_use(
    body: str, key: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check_config(write(tmp_path, body), capsys)
    assert code == 2 and out == ""
    assert f"  {key}: " in err, err
    assert fragment in err
    assert "Value error" not in err and "Traceback" not in err


@pytest.mark.parametrize(("body", "key", "fragment"), BAD_VALUES[:4])
def test_console_refuses_them_before_opening(
    body: str,
    key: str,
    fragment: str,
    tmp_path: Path,
    opened: list[object],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--config", str(write(tmp_path, body))])
    assert code == 2 and opened == []
    assert f"{key}: " in capsys.readouterr().err


def test_public_metrics_host_loads_when_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check_config(
        write(tmp_path, '[metrics]\nhost = "0.0.0.0"\nallow_public = true\n'), capsys
    )
    assert code == 0, err
    assert '"host": "0.0.0.0"' in out


def test_non_utf8_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write(tmp_path, b"[risk]\nmax_open_orders = 5 # caf\xe9\n")
    code, out, err = check_config(cfg, capsys)
    assert code == 2 and out == ""
    assert f"config: {cfg} is not UTF-8 text" in err and "save it as UTF-8" in err


def test_unreadable_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    cfg = write(tmp_path, "[risk]\n")
    cfg.chmod(0)
    code, _, err = check_config(cfg, capsys)
    assert code == 2 and "cannot be read" in err and "permissions" in err


def _secrets(tmp_path: Path, body: str | bytes | None, *, mode: int = 0o600, directory: bool = False) -> Path:
    path = tmp_path / "keys.toml"
    if directory:
        path.mkdir(mode=0o700)
    else:
        assert body is not None
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
        path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("body", "directory", "key", "fragment"),
    [
        (b'[demo]\napi_key = "k\xff"\n', False, "secrets_file", "is not UTF-8 text"),
        ('demo = "api_key"\n', False, "secrets_file [demo]", "must be a table"),
        ("[demo]\napi_key = 5\napi_secret = []\n", False, "secrets_file [demo] api_key", "quoted string"),
        (None, True, "secrets_file", "is not a regular file"),
        ("[demo\n", False, "secrets_file", "is not valid TOML"),
    ],
)
def test_bad_secrets_file(
    body: str | bytes | None,
    directory: bool,
    key: str,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keys = _secrets(tmp_path, body, directory=directory)
    cfg = write(tmp_path, f'mode = "demo"\nsecrets_file = "{keys}"\n')
    code, out, err = check_config(cfg, capsys)
    assert code == 2 and out == ""
    assert f"  {key}: " in err and fragment in err, err
    assert "Traceback" not in err


def test_malformed_json_in_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRADE_RISK", "{not json")
    code, out, err = check_config(write(tmp_path, ""), capsys)
    assert code == 2 and out == ""
    assert "TRADE_RISK: is not valid JSON" in err and "TRADE_RISK__<KEY>=value" in err


def test_journal_path_that_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "j").mkdir()
    code, _, err = check_config(write(tmp_path, f'[journal]\npath = "{tmp_path / "j"}"\n'), capsys)
    assert code == 2
    assert f"journal.path: {tmp_path / 'j'} is a directory; give a file in it" in err


def test_journal_path_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    code, _, err = check_config(write(tmp_path, f'[journal]\npath = "{tmp_path / "f" / "j.db"}"\n'), capsys)
    assert code == 2 and f"journal.path: {tmp_path / 'f'} is a file" in err


def test_api_keys_in_a_world_readable_config_are_refused(
    tmp_path: Path, opened: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path, f'mode = "demo"\ndemo_api_key = "{KEY}"\ndemo_api_secret = "{SECRET}"\n')
    cfg.chmod(0o644)
    code, out, err = check_config(cfg, capsys)
    assert code == 2 and out == ""
    assert f"demo_api_key: API keys never go in the config file {cfg}" in err
    assert "demo_api_secret: " in err
    assert "TRADE_DEMO_API_SECRET" in err and "secrets_file" in err
    assert KEY not in err and SECRET not in err
    assert main(["--config", str(cfg)]) == 2 and opened == []
    assert KEY not in capsys.readouterr().err


def test_sim_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sim", "--port", "70000"])
    err = capsys.readouterr().err
    assert code == 2
    assert "argument --port: 70000 is not a port number; give 0-65535" in err


@pytest.mark.skipif(not BINARY.exists(), reason="trade-console is not installed (pip install -e .)")
def test_script_prints_no_traceback(tmp_path: Path) -> None:
    """The installed script, as a user runs it, for a case of each kind."""
    cfg = write(tmp_path, b"[breakers]\ntimezone = 'Mars/Phobos'\n# \xff\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADE_")}
    for argv, extra in (
        (["check-config", "--offline", "--config", str(cfg)], {}),
        (["check-config", "--offline", "--config", str(write(tmp_path, "", "ok.toml"))], {"TRADE_RISK": "{"}),
        (["sim", "--port", "70000"], {}),
    ):
        proc = subprocess.run(
            [str(BINARY), *argv], capture_output=True, text=True, timeout=60, env=env | extra, check=False
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
