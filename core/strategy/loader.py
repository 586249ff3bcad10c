"""Find a strategy class by module path (``pkg.mod:Class``) or by file (``path/to/file.py[:Class]``)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

from core.strategy.base import Strategy

PY_SUFFIX = ".py"


class StrategyNotFound(LookupError):
    """The spec names no strategy class; the message says what was looked for."""


def load_strategy_class(spec: str) -> type[Strategy]:
    """The :class:`Strategy` subclass ``spec`` names; with no ``:Class``, the module's only one."""
    target, _, cls_name = spec.partition(":")
    if target.endswith(PY_SUFFIX) or "/" in target:
        module = _from_file(Path(target))
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise StrategyNotFound(f"strategy module {target!r} not found: {exc}") from None
    return _pick(module.__dict__, cls_name, spec)


def _from_file(path: Path) -> object:
    if not path.is_file():
        raise StrategyNotFound(f"strategy file {str(path)!r} does not exist")
    name = f"strategy_file_{path.stem}"
    loaded = importlib.util.spec_from_file_location(name, path)
    if loaded is None or loaded.loader is None:
        raise StrategyNotFound(f"cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def _pick(names: dict[str, object], cls_name: str, spec: str) -> type[Strategy]:
    if cls_name:
        found = names.get(cls_name)
        if inspect.isclass(found) and issubclass(found, Strategy):
            return found
        raise StrategyNotFound(f"{spec!r}: no Strategy class named {cls_name!r}")
    own = [
        obj
        for obj in names.values()
        if inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == names.get("__name__")
    ]
    if len(own) != 1:
        found_names = ", ".join(sorted(c.__name__ for c in own)) or "none"
        raise StrategyNotFound(f"{spec!r}: expected one Strategy class, found {found_names}; add :Class")
    return own[0]
