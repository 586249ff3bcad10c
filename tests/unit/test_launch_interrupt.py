"""A Ctrl-C no command caught (while the program loads, or between a command's steps) ends with
one line and 130, not a traceback: before, a Ctrl-C in the first half second of a sweep printed an
import-time ``KeyboardInterrupt`` traceback and no message."""

from __future__ import annotations

import pytest

import console.cli
from console import launch
from console.gc_pacer import release_collections


def test_an_uncaught_ctrl_c_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(argv: object = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(console.cli, "main", interrupted)
    try:
        assert launch.main() == launch.EXIT_INTERRUPTED == 130
    finally:
        release_collections()  # the entry point held them; the command that releases them never ran
    err = capsys.readouterr().err
    assert err == "trade-console: interrupted\n"
