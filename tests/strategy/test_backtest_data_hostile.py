"""``--data`` files a newcomer has lying around: one cut off mid-line, a gzip, a binary file.
Each is refused with exit 2 naming the file (and the line) and what ``--data`` takes.

Before: a last line cut off before its prices died in ``TypeError: float() argument must be ...
not 'NoneType'`` (a traceback), and a gzip or binary file said only ``'utf-8' codec can't decode
byte 0x8b in position 1``, naming neither the file nor what to do."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from console.cli import main

HEADER = "ts,open,high,low,close,volume\n"
ROWS = "".join(f"{1767225600000 + n * 60_000},100,101,99,100.5,1\n" for n in range(20))


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Path) -> str:
    argv = [
        "backtest",
        "core.strategy.examples.sma_cross:SmaCross",
        "--data",
        str(data),
        "--no-plots",
        "--out",
        str(tmp_path / "out"),
    ]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "--data" in err and str(data) in err
    return err


@pytest.mark.parametrize(("tail", "cut"), [("1767226800000,100.1", "high, low, close"), ("17672", "open")])
def test_a_file_cut_off_mid_line_names_the_line(
    tail: str, cut: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bars.csv"
    data.write_text(HEADER + ROWS + tail)
    err = refused(tmp_path, capsys, data)
    assert f"bars.csv:22: the line ends before {cut}" in err and "truncated" in err


def test_a_gzip_says_to_unzip_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bars.csv.gz"
    data.write_bytes(gzip.compress((HEADER + ROWS).encode()))
    assert "a gzip file: gunzip it" in refused(tmp_path, capsys, data)


def test_a_binary_file_says_what_data_takes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bars.parquet"
    data.write_bytes(b"PAR1\x15\x04\x15\xff\xfe\x00binary")
    err = refused(tmp_path, capsys, data)
    assert "binary, not UTF-8 text" in err and "takes a CSV ts,open,high,low,close,volume" in err


def _rows(minutes: list[int]) -> str:
    return HEADER + "".join(f"{1767225600000 + n * 60_000},100,101,99,100.5,1\n" for n in minutes)


def test_five_minute_bars_are_refused_not_run_as_one_minute_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a 5-minute file ran as 600 one-minute bars (annualised stats and the end time wrong)."""
    five = tmp_path / "five.csv"
    five.write_text(_rows(list(range(0, 300, 5))))
    err = refused(tmp_path, capsys, five)
    assert "5 minutes apart" in err and "1 minute" in err
    stamped = tmp_path / "sweep.csv"  # a sweep is refused before its first trial
    stamped.write_text(five.read_text())
    argv = ["backtest", "sma_cross", "--data", str(stamped), "--sweep", "fast=5..8", "--trials", "1"]
    assert main([*argv, "--out", str(tmp_path / "sw")]) == 2
    assert "5 minutes apart" in capsys.readouterr().err


def test_missing_bars_are_told_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gappy = tmp_path / "gappy.csv"
    gappy.write_text(_rows([*range(40), *range(1040, 1080)]))
    code = main(["backtest", "sma_cross", "--data", str(gappy), "--no-plots", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "1,000 bars missing in 1 gap (the longest 1,000 from 2026-01-01T00:40Z)" in err


def test_timestamps_out_of_order_show_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    back = tmp_path / "back.csv"
    back.write_text(_rows([0, 1, 2, 1]))
    err = refused(tmp_path, capsys, back)
    assert "timestamps must increase (2026-01-01T00:01Z after 2026-01-01T00:02Z)" in err


def test_a_spreadsheet_export_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + _rows(list(range(60))).encode())
    assert (
        main(["backtest", "sma_cross", "--data", str(bom), "--no-plots", "--out", str(tmp_path / "o")]) == 0
    )


@pytest.mark.parametrize(("sep", "what"), [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_are_named(
    sep: str, what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``missing columns ts, open, high, low, close`` for a header that has all of them."""
    odd = tmp_path / "odd.csv"
    odd.write_text(_rows([0, 1, 2]).replace(",", sep).replace(f"100{sep}5", "100,5"))
    err = refused(tmp_path, capsys, odd)
    assert f"separated by {what}, not commas" in err


def test_a_bad_number_names_its_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(_rows([0, 1, 2]).replace("100.5,1\n", "abc,1\n", 1))
    assert "bad.csv:2: close: 'abc' is not a number" in refused(tmp_path, capsys, bad)


def test_a_missing_file_and_a_range_it_misses_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``[Errno 2] No such file or directory``, and ``no bars in the range`` without the
    file's own range."""
    assert "does not exist; give a CSV file" in refused(tmp_path, capsys, tmp_path / "nope.csv")
    held = tmp_path / "held.csv"
    held.write_text(_rows(list(range(60))))
    argv = ["backtest", "sma_cross", "--data", str(held), "--from", "2027-01-01", "--to", "2027-01-02"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "holds no bars from 2027-01-01T00:00:00 to 2027-01-02T00:00:00" in err
    assert "(it holds 2026-01-01T00:00:00 .. 2026-01-01T00:59:00)" in err


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("100,101,99,nan,1", "close: 'nan' is not a finite number"),
        ("100,101,99,100.5,inf", "volume: 'inf' is not a finite number"),
        ("100,101,99,100.5,1,5", "more fields than the header has (a decimal comma?"),
        ("100,99,98,100.5,1", "high 99.0 and low 98.0 must hold the open 100.0 and the close 100.5"),
        ("-100,101,99,100.5,1", "prices must be positive (open -100.0"),
    ],
)
def test_a_bad_row_says_which_value(
    line: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``bad OHLC 60475.3 60515.3 60445.1 nan`` naming no column, a nan volume taken, and a
    decimal comma in the volume read as a seventh field and dropped."""
    bad = tmp_path / "bad.csv"
    bad.write_text(_rows([0, 1]) + f"{1767225600000 + 2 * 60_000},{line}\n")
    assert f"bad.csv:4: {words}" in refused(tmp_path, capsys, bad)


def test_an_open_ended_range_the_file_misses_shows_its_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = tmp_path / "held.csv"
    held.write_text(_rows(list(range(60))))
    argv = ["backtest", "sma_cross", "--data", str(held), "--from", "2026-01-01T10:00"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    assert "(it holds 2026-01-01T00:00:00 .. 2026-01-01T00:59:00)" in capsys.readouterr().err
