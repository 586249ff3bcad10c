"""The sweep's search-space text: what it says is exactly what is searched; garbage is refused by token."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.strategy.sweep_space import (
    Choice,
    Dimension,
    FloatRange,
    IntRange,
    SpaceError,
    format_space,
    parse_space,
)

names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
ints = st.integers(-(10**6), 10**6)
floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
words = st.from_regex(r"[a-z0-9][a-z0-9.]{0,5}", fullmatch=True)


@given(names, ints, ints)
def test_int_range_holds_exactly_its_integers(name: str, a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    dim = parse_space(f"{name}={lo}..{hi}")[name]
    assert dim == IntRange(lo, hi)
    assert lo in dim and hi in dim and lo - 1 not in dim and hi + 1 not in dim


@given(names, floats, floats)
def test_float_range_with_a_dot(name: str, a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    if lo == hi:
        return
    space: dict[str, Dimension] = {name: FloatRange(lo, hi)}
    assert parse_space(format_space(space)) == space


@given(names, st.lists(words, min_size=2, max_size=6, unique=True))
def test_choices_are_the_words_given(name: str, options: list[str]) -> None:
    assert parse_space(f"{name}={'|'.join(options)}") == {name: Choice(tuple(options))}


def test_several_dimensions_in_order() -> None:
    space = parse_space("fast=5..30 slow=20..100  ratio=0.5..2 mode=long|short")
    assert space == {
        "fast": IntRange(5, 30),
        "slow": IntRange(20, 100),
        "ratio": FloatRange(0.5, 2.0),
        "mode": Choice(("long", "short")),
    }


@pytest.mark.parametrize(
    "text,token",
    [
        ("fast", "fast"),
        ("fast=5", "fast=5"),
        ("fast=5..30 slow=30..20", "slow=30..20"),
        ("a=1...2", "a=1...2"),
        ("a=x..y", "a=x..y"),
        ("a=1e3..2e4", "a=1e3..2e4"),
        ("a=2.0..1.0", "a=2.0..1.0"),
        ("a=b|b", "a=b|b"),
        ("a=|b", "a=|b"),
        ("1a=1..2", "1a=1..2"),
        ("a=1..2 a=3..4", "a=3..4"),
    ],
)
def test_garbage_is_refused_naming_the_token(text: str, token: str) -> None:
    with pytest.raises(SpaceError) as err:
        parse_space(text)
    assert err.value.token == token
    assert repr(token) in str(err.value)


def test_nothing_to_sweep() -> None:
    with pytest.raises(SpaceError, match="no parameters"):
        parse_space("   ")
