"""Opening a sweep's Optuna storage when several workers, commands or machines open it at once.

The first opening of a fresh storage creates its tables. Two processes doing that together race:
the slower one finds a table the other has just made (``table alembic_version already exists``,
``UNIQUE constraint failed: alembic_version``) and its opening fails although the storage is fine.
Such a failure is retried, a few times with a short pause, before it counts as a bad storage.

A storage URL may hold a password: every message names the storage :func:`masked`, and text
that may quote it (a driver's error) is :func:`scrub`-bed before it is shown.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

ATTEMPTS = 5
PAUSE_S = 0.2
RACED = ("already exists", "unique constraint failed", "duplicate")
"""Words of a schema creation that lost the race to another process (SQLite, PostgreSQL, MySQL)."""


def open_storage(
    url: str, *, engine_kwargs: dict[str, Any], heartbeat_s: int, grace_s: int
) -> optuna.storages.RDBStorage:
    """The storage at ``url`` with heartbeats and one retry of a dead worker's trial; a missing
    database driver is a :class:`StorageError`; an error other than a lost schema race (or one
    left after the last attempt) is raised as it is."""
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    for attempt in range(1, ATTEMPTS + 1):
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_s,
                grace_period=grace_s,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
        except ImportError as exc:  # optuna's "Failed to import DB access module"
            raise missing_driver(url, exc) from None
        except SQLAlchemyError as exc:
            if attempt == ATTEMPTS or not any(word in str(exc).lower() for word in RACED):
                raise
            time.sleep(PAUSE_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


class StorageError(ValueError):
    """The storage cannot be opened; the message names it with its password masked, and the fix."""


USERINFO_RE = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)(?P<password>.*)@(?=[^@]*$)")
"""The password of a URL's user part: up to the URL's last ``@``, so a password holding an ``@``
is masked whole however a parser splits it."""
TEXT_USERINFO_RE = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)\S*@(?=[^@\s]*(?:\s|$))")
"""A URL with a password anywhere in a text (a driver echoing the URL as it parsed it), up to its
last ``@``."""
MIN_SECRET = 4
"""A password shorter than this is masked where it stands in a URL, not wherever its letters
occur in a message (masking every ``p`` of a message hides the message, not the password)."""
QUERY_SECRET_RE = re.compile(r"(?i)(?P<head>[?&](?:password|passwd|pwd)=)(?P<password>[^&#]*)")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
MASK = "***"
DRIVERS = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "'psycopg[binary]'",
    "pymysql": "pymysql",
    "MySQLdb": "mysqlclient",
    "mysql": "mysql-connector-python",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "oracledb": "oracledb",
    "cx_Oracle": "cx_Oracle",
    "pyodbc": "pyodbc",
}
"""The package to install for a database driver module SQLAlchemy could not import."""


def masked(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` query) shown as ``***``."""
    url = USERINFO_RE.sub(lambda m: f"{m['head']}{MASK}@", url, count=1)
    return QUERY_SECRET_RE.sub(lambda m: f"{m['head']}{MASK}", url)


def scrub(text: str, url: str) -> str:
    """``text`` with the storage URL masked and its password, as written or decoded, replaced."""
    from urllib.parse import unquote

    text = text.replace(url, masked(url))
    text = TEXT_USERINFO_RE.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = QUERY_SECRET_RE.sub(lambda m: f"{m['head']}{MASK}", text)
    userinfo = USERINFO_RE.match(url)
    secrets = [m["password"] for m in (userinfo, *QUERY_SECRET_RE.finditer(url)) if m]
    if userinfo is not None:  # the runs of its ``@``-parts a parser splitting at an ``@`` shows
        parts = userinfo["password"].split("@")
        secrets += ["@".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]
    for secret in sorted(secrets, key=len, reverse=True):
        for form in {secret, unquote(secret)}:
            if len(form) >= MIN_SECRET:
                text = text.replace(form, MASK)
    return text


def storage_refusal(url: str, exc: Exception) -> StorageError:
    """The one-line error for a storage that cannot be opened (a URL that does not parse, a
    database that refuses), its password masked, with the fix where one is known."""
    if isinstance(exc, StorageError):
        return exc
    first = scrub((str(exc).splitlines() or [type(exc).__name__])[0], url)
    # A text that is no URL is not echoed: it may be anything, a password pasted by mistake too.
    where = f" {masked(url)}" if SCHEME_RE.match(url) else ""
    if url.startswith("postgres://"):
        return StorageError(f"--storage{where}: write postgresql:// (SQLAlchemy has no 'postgres' dialect)")
    if isinstance(exc, ValueError):  # a port that is no number, an unclosed [ ...
        return StorageError(
            f"--storage{where}: not a storage URL ({first}); write it as postgresql://HOST:PORT/DATABASE "
            "with USER:PASSWORD@ before the host"
        )
    if url.startswith("sqlite:///") and "unable to open database file" in first:
        return StorageError(
            f"--storage{where}: cannot create or open that file; check its folder exists and is writable"
        )
    return StorageError(f"--storage{where}: cannot open it as an Optuna storage ({first})")


def missing_driver(url: str, exc: ImportError) -> StorageError:
    """The error for a storage whose database driver is not installed: which one, and the fix."""
    cause: BaseException | None = exc
    module = None
    while cause is not None and module is None:
        module = cause.name if isinstance(cause, ImportError) and cause.name else None
        cause = cause.__cause__ or cause.__context__
    scheme = url.partition(":")[0]
    what = f"its database driver ({module})" if module else f"the database driver of {scheme}"
    package = DRIVERS.get((module or "").split(".")[0], module or "the driver")
    return StorageError(
        f"--storage {masked(url)}: {what} is not installed; install it (pip install {package}) "
        "or use the default SQLite storage"
    )


def mismatch(study: str, known: str, wanted: str) -> str:
    """Why a study refuses this sweep: both sweeps' settings (dates in ISO UTC) and the fix."""
    return (
        f"study {study!r} was made for another sweep\n"
        f"    the study's: {readable(known)}\n"
        f"    this run's:  {readable(wanted)}\n"
        f"  run this sweep in a study of its own: --study NEW_NAME, or another --out (or --storage)"
    )


SPAN_RE = re.compile(r"(?<![0-9])([0-9]{10,})\.\.([0-9]{10,})(?![0-9])")


def readable(setup: str) -> str:
    """A study's setup text with its epoch-millisecond spans as ISO UTC times."""
    return SPAN_RE.sub(lambda m: f"{_iso(int(m[1]))}..{_iso(int(m[2]))}", setup)


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(ms / 1000, UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S" if when.second or when.microsecond else "%Y-%m-%dT%H:%M")
    return f"{text}.{ms % 1000:03d}Z" if ms % 1000 else f"{text}Z"
