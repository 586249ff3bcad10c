"""Compare a reply's structure with a fixture recorded from Bybit's docs (``tests/sim/conformance/``).

A reply is flattened to ``path -> JSON types seen`` (``a.b`` for object keys, ``a[]`` for the
items of an array, ``a[].b`` for keys of object items, ``a[][]`` for items of nested arrays). The
expected shape is the doc's response example plus every field of its response-parameter table,
minus the fields the page gives to other products only. The example's JSON type wins over the
table's (it is what Bybit sends); the fixture may allow another type where the page says so.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "sim" / "conformance"
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_ID = re.compile(r"(Id|ID|Cursor)$")  # identifiers: numeric in some examples, opaque strings anyway


def load(name: str) -> dict[str, Any]:
    """The fixture ``conformance/<name>.json``."""
    fixture: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return fixture


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def flatten(value: Any, maps: Iterable[str] = ()) -> dict[str, list[Any]]:
    """Every path of ``value`` with the values seen there (array items merged)."""
    out: dict[str, list[Any]] = defaultdict(list)
    stop = set(maps)

    def walk(v: Any, path: str) -> None:
        if path:
            out[path].append(v)
        if path in stop:
            return
        if isinstance(v, dict):
            for k, item in v.items():
                walk(item, f"{path}.{k}" if path else k)
        elif isinstance(v, list):
            for item in v:
                walk(item, f"{path}[]")

    walk(value, "")
    return out


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith((r + ".", r + "[")) for r in roots)


def expected_shape(fixture: dict[str, Any]) -> dict[str, set[str]]:
    """``path -> allowed JSON types`` for a linear perpetual, from the example and the table."""
    maps = fixture["maps"]
    dropped = list(fixture["not_linear"])
    shape: dict[str, set[str]] = {}
    for path, typ in fixture["fields"].items():
        shape[path] = {typ}
    for path, values in flatten(fixture["example"], maps).items():
        shape[path] = {json_type(v) for v in values}
    for path, extra in fixture["types"].items():
        shape.setdefault(path, set()).update(extra)
    nulls = [p for p, t in shape.items() if t == {"null"}]
    return {
        p: t
        for p, t in shape.items()
        if not _under(p, dropped) and not _under(p, [m for m in maps if m != p]) and not _is_below(p, nulls)
    }


def _is_below(path: str, roots: list[str]) -> bool:
    return any(path != r and _under(path, [r]) for r in roots)


def _parent_is_scalar(path: str, got: dict[str, list[Any]]) -> bool:
    """True when an ancestor of ``path`` is present as a scalar (a field the page allows either way)."""
    for i in range(len(path) - 1, 0, -1):
        if path[i] in ".[" and path[:i] in got:
            return all(not isinstance(v, dict | list) for v in got[path[:i]])
    return False


def numeric_paths(fixture: dict[str, Any]) -> set[str]:
    """Paths where the doc example carries a number as a string."""
    flat = flatten(fixture["example"], fixture["maps"])
    return {
        p
        for p, vs in flat.items()
        if vs and all(isinstance(v, str) and _NUMERIC.match(v) for v in vs) and not _ID.search(p)
    }


def diff(fixture: dict[str, Any], reply: Any, *, partial: bool = False) -> list[str]:
    """Human-readable differences between ``reply`` and the documented shape (empty when equal).

    ``partial`` (ticker deltas): fields may be absent, but none may be unknown or mistyped.
    """
    shape = expected_shape(fixture)
    got = flatten(reply, fixture["maps"])
    optional = set(fixture["optional"])
    problems: list[str] = []
    for path, types in sorted(shape.items()):
        if path not in got:
            if not partial and path not in optional and not _parent_is_scalar(path, got):
                problems.append(f"missing  {path}  (doc: {'|'.join(sorted(types))})")
            continue
        seen = {json_type(v) for v in got[path]}
        if not seen <= types:
            problems.append(f"type     {path}  sim: {'|'.join(sorted(seen))}  doc: {'|'.join(sorted(types))}")
    for path in sorted(set(got) - set(shape)):
        if not _under(path, fixture["maps"]):
            problems.append(f"extra    {path}  (sim: {'|'.join(sorted({json_type(v) for v in got[path]}))})")
    for path in sorted(numeric_paths(fixture) & set(got)):
        bad = [v for v in got[path] if isinstance(v, str) and v != "" and not _NUMERIC.match(v)]
        if bad:
            problems.append(f"format   {path}  sim: {bad[:3]} is not a plain decimal string")
    for path in fixture["maps"]:
        bad = [v for d in got.get(path, []) for v in (d.values() if isinstance(d, dict) else [d])]
        if any(not isinstance(v, str) for v in bad):
            problems.append(f"map      {path}  values must be strings, sim: {bad[:3]}")
    return problems


def assert_conforms(name: str, reply: Any, *, partial: bool = False) -> None:
    """Fail with every difference listed when ``reply`` does not match fixture ``name``."""
    fixture = load(name)
    problems = diff(fixture, reply, partial=partial)
    if problems:
        where = f"{fixture['endpoint']} vs {fixture['source']['page']}@{fixture['source']['commit']}"
        raise AssertionError(f"{where}:\n  " + "\n  ".join(problems))
