"""The record, backtest --data and sim --replay sub-commands refuse bad arguments clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from console.cli import main


def test_record_refuses_a_bad_symbol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "--symbols", "BTCUSDT,btc-usd", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--symbols: 'btc-usd' is not a symbol" in err
    assert not (tmp_path / "o").exists()


def test_record_refuses_a_repeated_symbol_and_bad_minutes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--symbols", "BTCUSDT,BTCUSDT", "--out", str(tmp_path)]) == 2
    assert "names a symbol twice" in capsys.readouterr().err
    assert main(["record", "--symbols", "BTCUSDT", "--out", str(tmp_path), "--minutes", "0"]) == 2
    assert "--minutes must be a positive number" in capsys.readouterr().err


def test_record_refuses_an_out_path_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["record", "--symbols", "BTCUSDT", "--out", str(f)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("minutes", ["nan", "inf"])
def test_record_refuses_minutes_that_are_not_a_finite_number(
    tmp_path: Path, minutes: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: --minutes nan wrote a manifest, then died with a ValueError traceback."""
    out = tmp_path / "rec"
    assert main(["record", "--symbols", "BTCUSDT", "--out", str(out), "--minutes", minutes]) == 2
    assert "--minutes must be a positive number" in capsys.readouterr().err
    assert not out.exists()


def test_a_recording_says_what_it_wrote_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It printed ``BTCUSDT: S=2 D=747 T=1061 K=275 C=126``: letters only the file format knows."""
    with socket.socket() as s:  # a free loopback port for the sim the recording starts
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = tmp_path / "config.toml"
    config.write_text(f'mode = "sim"\n[sim]\nport = {port}\nseed = 3\n')
    out = tmp_path / "rec"
    args = ["record", "--config", str(config), "--symbols", "BTCUSDT", "--out", str(out), "--minutes", "0.05"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    line = next(ln for ln in printed.splitlines() if ln.startswith("BTCUSDT:"))
    assert "book snapshots" in line and "book deltas" in line and "trades" in line, line
    assert "=" not in line, line
