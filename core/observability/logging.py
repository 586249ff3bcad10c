"""Structured logging: JSON lines to a rotating file and short lines to the console's log pane.

:func:`setup_logging` installs two handlers on the root logger (so pybit's and websocket-client's
records are caught too) and returns a :class:`LoggingHandle` that removes them again. Every
record passes a :class:`RedactingFilter` before any handler formats it, and the same filter sits
directly on pybit's and websocket-client's own loggers, so a handler that those libraries attach
themselves (``websocket.enableTrace``) never sees a key or signature either.

Context: every record carries ``mode`` and ``venue``; ``symbol`` and ``orderLinkId`` come from
:func:`log_context` (contextvars, so they follow asyncio tasks) or from a :class:`ContextAdapter`
made by :func:`bind`, or from ``extra={"symbol": ..., "orderLinkId": ...}``.
"""

from __future__ import annotations

import contextvars
import logging
import logging.handlers
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson

from core.observability.redact import Redactor

__all__ = [
    "LIBRARY_LOGGERS",
    "LOG_FILE_NAME",
    "ContextAdapter",
    "JsonLinesFormatter",
    "LoggingHandle",
    "RedactingFilter",
    "bind",
    "log_context",
    "log_http_exchange",
    "setup_logging",
]

LOG_FILE_NAME = "trade-console.jsonl"
#: Third-party loggers that may carry credentials; the redaction filter is attached to each.
LIBRARY_LOGGERS = (
    "pybit",
    "pybit._http_manager",
    "pybit._websocket_stream",
    "pybit._websocket_trading",
    "pybit.unified_trading",
    "websocket",
)

_symbol: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_symbol", default=None)
_order_link_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_order_link_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_CONTEXT_ATTRS = frozenset({"mode", "venue", "symbol", "orderLinkId", "_redacted", "_msg_redacted"})


@contextmanager
def log_context(*, symbol: str | None = None, order_link_id: str | None = None) -> Iterator[None]:
    """Attach ``symbol`` and/or ``orderLinkId`` to every record logged inside the block (task-local)."""
    tokens: list[tuple[contextvars.ContextVar[str | None], contextvars.Token[str | None]]] = []
    if symbol is not None:
        tokens.append((_symbol, _symbol.set(symbol)))
    if order_link_id is not None:
        tokens.append((_order_link_id, _order_link_id.set(order_link_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger bound to a symbol and/or orderLinkId (explicit ``extra`` still wins)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Merge the bound fields into the call's ``extra``."""
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


def bind(
    logger: logging.Logger, *, symbol: str | None = None, order_link_id: str | None = None
) -> ContextAdapter:
    """A :class:`ContextAdapter` for ``logger`` that tags records with ``symbol``/``orderLinkId``."""
    extra: dict[str, str] = {}
    if symbol is not None:
        extra["symbol"] = symbol
    if order_link_id is not None:
        extra["orderLinkId"] = order_link_id
    return ContextAdapter(logger, extra)


class RedactingFilter(logging.Filter):
    """Masks credentials in a record's message, args, extra fields and exception text, in place.

    It also stamps ``mode``/``venue`` and the context's ``symbol``/``orderLinkId``. It always
    returns True: redaction never drops a record.
    """

    def __init__(self, redactor: Redactor, *, mode: str = "", venue: str = "") -> None:
        """Use ``redactor`` for the text; ``mode``/``venue`` are stamped on every record."""
        super().__init__()
        self.redactor = redactor
        self.mode = mode
        self.venue = venue

    def redact_message(self, record: logging.LogRecord) -> None:
        """Mask the message (args merged in), exception and stack text of ``record``, once."""
        done: set[int] = record.__dict__.setdefault("_msg_redacted", set())
        if id(self) in done:
            return
        red = self.redactor
        try:
            message = record.getMessage()
        except (TypeError, ValueError) as exc:  # bad %-args: keep the template, name the problem
            message = f"{record.msg!r} (unformattable args: {type(exc).__name__})"
        record.msg = red.text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = red.text(record.exc_text)
        record.exc_info = None  # the formatted, redacted text replaces the live traceback
        if record.stack_info:
            record.stack_info = red.text(record.stack_info)
        done.add(id(self))

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` once (idempotent across the several places this filter is attached)."""
        done: set[int] = record.__dict__.setdefault("_redacted", set())
        if id(self) in done:
            return True
        red = self.redactor
        self.redact_message(record)
        for key in [k for k in record.__dict__ if k not in _STANDARD_ATTRS and k not in _CONTEXT_ATTRS]:
            value = record.__dict__[key]
            record.__dict__[key] = "***" if red.is_secret_key(key) else red.data(value)
        if not getattr(record, "mode", None):
            record.mode = self.mode
        if not getattr(record, "venue", None):
            record.venue = self.venue
        if getattr(record, "symbol", None) is None:
            record.symbol = _symbol.get()
        if getattr(record, "orderLinkId", None) is None:
            record.orderLinkId = _order_link_id.get()
        done.add(id(self))
        return True


def _json_default(value: Any) -> str:
    return str(value)


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, mode, venue, symbol, orderLinkId, extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise ``record`` (already redacted by :class:`RedactingFilter`) with orjson."""
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "mode": getattr(record, "mode", ""),
            "venue": getattr(record, "venue", ""),
        }
        for key in ("symbol", "orderLinkId"):
            value = getattr(record, key, None)
            if value is not None:
                doc[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in _CONTEXT_ATTRS and key not in doc:
                doc[key] = value
        if record.exc_text:
            doc["exc"] = record.exc_text
        if record.stack_info:
            doc["stack"] = record.stack_info
        return orjson.dumps(doc, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


class _PaneFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger: message [symbol orderLinkId]`` for the console's log pane."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        tagged = (getattr(record, "symbol", None), getattr(record, "orderLinkId", None))
        tags = " ".join(str(v) for v in tagged if v)
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        return f"{line} [{tags}]" if tags else line


class _SinkHandler(logging.Handler):
    """Hands each formatted line to a callable (e.g. a bounded deque's ``append``)."""

    def __init__(self, sink: Callable[[str], None], level: int) -> None:
        super().__init__(level)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._sink(self.format(record))
        except Exception:  # noqa: BLE001 - logging's own error path (prints to stderr, never raises)
            self.handleError(record)


class _RedactingRecordFactory:
    """Wraps the LogRecord factory so message text is masked when the record is made.

    Handlers added by anyone else (a library's own, a test runner's capture) then only ever see
    masked text. ``extra`` fields are attached after the factory runs; the handler filter masks those.
    """

    def __init__(self, inner: Callable[..., logging.LogRecord], flt: RedactingFilter) -> None:
        self.inner = inner
        self.flt = flt

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        self.flt.redact_message(record)
        return record


class LoggingHandle:
    """What :func:`setup_logging` installed; :meth:`close` removes it all again."""

    def __init__(
        self,
        redactor: Redactor,
        filter_: RedactingFilter,
        handlers: list[logging.Handler],
        path: Path,
        previous_root_level: int,
        factory: _RedactingRecordFactory,
    ) -> None:
        self.redactor = redactor
        self.filter = filter_
        self.handlers = handlers
        self.path = path
        self._previous_root_level = previous_root_level
        self._factory = factory

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these strings from now on (e.g. after keys are loaded)."""
        self.redactor.add_secrets(secrets)

    def close(self) -> None:
        """Detach and close the handlers and library filters."""
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).removeFilter(self.filter)
        root.setLevel(self._previous_root_level)
        if logging.getLogRecordFactory() is self._factory:
            logging.setLogRecordFactory(self._factory.inner)
        else:  # another handle wrapped ours: keep the chain, make ours a pass-through
            self._factory.flt = RedactingFilter(Redactor())


def setup_logging(
    log_dir: str | os.PathLike[str],
    *,
    mode: str,
    venue: str,
    console_sink: Callable[[str], None] | None = None,
    secrets: Iterable[str] = (),
    level: int = logging.INFO,
    console_level: int = logging.INFO,
    max_bytes: int = 10 * 1024 * 1024,
    backup_count: int = 5,
) -> LoggingHandle:
    """Install redacted JSON-lines file logging (and an optional log-pane sink) on the root logger.

    The directory is created with mode 0700 and the file is ``trade-console.jsonl``, rotated at
    ``max_bytes`` keeping ``backup_count`` old files. ``secrets`` are masked verbatim wherever they
    appear. Call :meth:`LoggingHandle.close` on shutdown (tests: always).
    """
    directory = Path(log_dir).expanduser()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / LOG_FILE_NAME
    redactor = Redactor(secrets)
    flt = RedactingFilter(redactor, mode=mode, venue=venue)

    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    file_handler.setLevel(level)
    file_handler.addFilter(flt)
    file_handler.setFormatter(JsonLinesFormatter())
    handlers: list[logging.Handler] = [file_handler]
    if console_sink is not None:
        pane = _SinkHandler(console_sink, console_level)
        pane.addFilter(flt)
        pane.setFormatter(_PaneFormatter())
        handlers.append(pane)

    root = logging.getLogger()
    previous = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(min(level, console_level) if console_sink is not None else level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).addFilter(flt)
    factory = _RedactingRecordFactory(logging.getLogRecordFactory(), flt)
    logging.setLogRecordFactory(factory)
    return LoggingHandle(redactor, flt, handlers, path, previous, factory)


def log_http_exchange(
    logger: logging.Logger | logging.LoggerAdapter[Any],
    *,
    method: str,
    endpoint: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    http_status: int | None = None,
    ret_code: int | None = None,
    ret_msg: str = "",
    elapsed_s: float | None = None,
    level: int = logging.DEBUG,
) -> None:
    """Log one REST request/response pair as structured fields (credentials are masked by the filter).

    A non-zero ``ret_code`` or a non-200 ``http_status`` is logged at WARNING regardless of ``level``.
    """
    failed = (ret_code not in (None, 0)) or (http_status is not None and http_status != HTTPStatus.OK)
    logger.log(
        logging.WARNING if failed else level,
        "%s %s -> http=%s retCode=%s %s",
        method,
        endpoint,
        http_status,
        ret_code,
        ret_msg,
        extra={
            "http": {
                "method": method,
                "endpoint": endpoint,
                "params": dict(params or {}),
                "headers": dict(headers or {}),
                "status": http_status,
                "retCode": ret_code,
                "retMsg": ret_msg,
                "elapsed_ms": None if elapsed_s is None else round(elapsed_s * 1000, 3),
            }
        },
    )
