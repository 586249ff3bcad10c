"""Find a strategy class by module path (``pkg.mod:Class``) or by file (``path/to/file.py[:Class]``)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import traceback
from pathlib import Path

from core.strategy.base import Strategy

PY_SUFFIX = ".py"
EXAMPLES_PACKAGE = "core.strategy.examples"
"""A bare name (``sma_cross``) is a module of this package."""


class StrategyNotFound(LookupError):
    """The spec names no strategy class; the message says what was looked for."""


class StrategyFailed(RuntimeError):
    """The strategy's own code raised during a run; the message names the error and where."""


def strategy_frame(exc: BaseException, cls: type) -> str | None:
    """Where in ``cls``'s own code ``exc`` was raised (``file:line in function``, the innermost
    such frame), or None when its traceback does not pass through the strategy's code."""
    sources = {  # the files the class's own methods (and its bases' up to Strategy) come from
        Path(code.co_filename).resolve()
        for klass in cls.__mro__
        if klass.__module__ not in ("builtins", Strategy.__module__)
        for value in vars(klass).values()
        if (code := getattr(value, "__code__", None)) is not None
    }
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() in sources]
    return f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else None


def strategy_spec(name: str) -> str:
    """The loader spec of ``name``: a bare name is a shipped example, anything else as given."""
    if not name or any(c in name for c in ".:/"):
        return name
    return f"{EXAMPLES_PACKAGE}.{name}"


def load_strategy_class(spec: str) -> type[Strategy]:
    """The :class:`Strategy` subclass ``spec`` names; with no ``:Class``, the module's only one.

    A module or file that does not import (a syntax error, a missing import, an exception at
    import time) is a :class:`StrategyNotFound` naming the file, the line and the error."""
    target, _, cls_name = spec.partition(":")
    if not target:
        raise StrategyNotFound(f"{spec!r}: give a module (pkg.mod[:Class]) or a file (path/to/mine.py)")
    if target.endswith(PY_SUFFIX) or "/" in target:
        module = _from_file(Path(target))
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            if exc.name is not None and target.startswith(exc.name):  # the module itself is missing
                raise StrategyNotFound(
                    f"strategy module {target!r} not found: {exc}{_shipped_hint(target)}"
                ) from None
            raise StrategyNotFound(_import_failure(f"strategy module {target!r}", exc)) from None
        except Exception as exc:  # noqa: BLE001 - the strategy's own code failed while importing
            raise StrategyNotFound(_import_failure(f"strategy module {target!r}", exc)) from None
    return _pick(module.__dict__, cls_name, spec)


def shipped_strategies() -> list[str]:
    """The example strategies' names (a bare name loads one: ``sma_cross``)."""
    package = importlib.import_module(EXAMPLES_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def _shipped_hint(target: str) -> str:
    if not target.startswith(f"{EXAMPLES_PACKAGE}.") and "." in target:  # a package path of the user's
        return ""
    return f"; the shipped ones are {', '.join(shipped_strategies())}, or give pkg.module:Class or a file"


def _import_failure(what: str, exc: BaseException) -> str:
    """``what`` does not import: the error, and where in the strategy's code it happened."""
    if isinstance(exc, SyntaxError):
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else f"line {exc.lineno}"
        return f"{what} does not import: {where}: SyntaxError: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    return f"{what} does not import: {where}{type(exc).__name__}: {exc}"


def _from_file(path: Path) -> object:
    if not path.is_file():
        raise StrategyNotFound(f"strategy file {str(path)!r} does not exist")
    name = f"strategy_file_{path.stem}"
    loaded = importlib.util.spec_from_file_location(name, path)
    if loaded is None or loaded.loader is None:
        raise StrategyNotFound(f"cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(loaded)
    try:
        loaded.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the strategy's own code failed while importing
        raise StrategyNotFound(_import_failure(f"strategy file {str(path)!r}", exc)) from None
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
