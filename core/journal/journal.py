"""The audit journal: every intent, risk decision, request, ack, fill and control step, in SQLite.

* WAL mode, two durability classes decided per record kind in one table
  (:mod:`core.journal.durability`). A *durable* record (an order's intent and risk decision, an
  amend or cancel, an algo's child: what must exist before a send) is committed with
  ``synchronous=FULL``: :meth:`Journal.record` (and the ``await`` of
  :meth:`Journal.record_grouped`) returns only after its transaction is committed *and* fsynced,
  so an intent is on disk before its order is sent. A *lazy* record (acks, order updates, fills,
  rejections, reconcile notes, algo states) is committed with ``synchronous=NORMAL``, without
  waiting for the disk; a power cut may lose the lazy records after the last durable one, which
  reconciliation with the venue recovers. One connection, one lock and one queue: records are in
  the file in call order, and the fsync of a durable commit covers every lazy commit before it
  (:attr:`Journal.synced_seq`).
* The event loop never waits for the disk on the hot path: awaited durable writes and the lazy
  records written on the loop are queued and committed by one writer thread
  (:mod:`core.journal.writer`); every read, and every write that must finish before it returns,
  writes what is queued first. A ``kill -9`` loses at most lazy records not yet committed; a
  durable record is never lost once its caller was told.
* One append-only table; ``seq`` is strictly monotonic (AUTOINCREMENT) and is the record's id.
* ``data`` is JSON (orjson): Decimals become strings, enums their values, dataclasses objects.
* Secrets never land in the file, by the same rules as the logs
  (:class:`~core.observability.redact.Redactor`): keys named like api_key / secret / sign /
  signature / X-BAPI-* are masked recursively, header dumps inside strings are scrubbed, and any
  value registered with :meth:`Journal.add_secret` is replaced wherever it appears.
* One connection guarded by a lock: safe from the event loop thread, the writer thread and
  worker threads (one of them uses the connection at a time).
* A write SQLite refuses (a full disk, an I/O error) never hides its reason and never blocks a
  risk-reducing action: unless the caller said the write is ``required`` (a risk-increasing order,
  which must then not go out: :class:`JournalUnwritable`), the rows go to the fsynced
  :class:`~core.journal.fallback.FallbackLog` next to the database and are replayed into SQLite
  as soon as it takes writes again (or imported at the next open). :meth:`Journal.probe` really
  writes, so health sees a journal that cannot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import orjson

from core.journal.durability import Durability, batch_durability
from core.journal.fallback import FallbackLog, Row, fallback_id, fallback_path, tag_row
from core.journal.queries import KNOWS_LINK, KNOWS_ORDER_ID, LAST_SEQ, OPEN_INTENTS, select_records
from core.journal.recovery import JournalRecovery, mark_closed, open_checked, open_readonly
from core.journal.sanitize import sanitize
from core.journal.writer import JournalWriter, Notice, Pending, run_notices, settle
from core.observability.redact import Redactor

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 1.0
"""How often :meth:`Journal.probe` really writes (between probes it answers from its last one)."""
MIN_FREE_PAGES = 8
"""A database with fewer free pages than this (below its page limit) is reported full."""
MIN_FREE_BYTES = 1 << 20
"""A filesystem with less free space than this is reported full."""
MAX_PENDING = 100_000
"""Fallback rows kept in memory for the replay (the file keeps them all)."""


class JournalUnwritable(RuntimeError):
    """SQLite refused a write the caller required; ``reason`` is SQLite's own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"journal unwritable: {reason}")
        self.reason = reason


class _MsClock(Protocol):
    def now_ms(self) -> int: ...


def _on_a_loop() -> bool:
    """True when this thread runs an event loop (a lazy record written here is queued)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _WallClock:
    def now_ms(self) -> int:
        import time

        return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal row; ``data`` is the decoded JSON payload."""

    seq: int
    ts_ms: int
    kind: str
    symbol: str
    order_link_id: str
    data: dict[str, Any]


# --- the journal --------------------------------------------------------------------------------
_INSERT = "INSERT INTO records (ts_ms, kind, symbol, order_link_id, data) VALUES (?, ?, ?, ?, ?)"
_PROBE = "INSERT OR REPLACE INTO health_probe (id, ts_ms) VALUES (1, ?)"


class Journal:
    """Append-only SQLite journal. ``clock`` provides ``now_ms()`` (the engine clock)."""

    def __init__(
        self, path: str | os.PathLike[str], clock: _MsClock | None = None, *, readonly: bool = False
    ):
        self.path = str(path)
        self._clock: _MsClock = clock or _WallClock()
        self._lock = threading.Lock()
        self._redactor = Redactor()
        self.readonly = readonly
        self.recovery: JournalRecovery | None = None
        """What was wrong with the file at open and what was done (None: nothing was)."""
        if readonly:
            self._conn = open_readonly(self.path)
        else:
            self._conn, self.recovery = open_checked(self.path)
        self._closed = False
        self.on_write: Callable[[float], None] | None = None
        """Called with each write's duration in seconds (the engine feeds its metrics)."""
        self.on_state: Callable[[str], None] | None = None
        """Called with SQLite's reason when writes start failing, and with "" when they work again."""
        self.on_refused: Callable[[], None] | None = None
        """Called for every write SQLite refused (the engine counts them)."""
        self.fallback = FallbackLog(None if readonly else fallback_path(self.path))
        self._sync = "FULL"  # the connection's synchronous level (schema.PRAGMAS sets FULL)
        self.synced_seq = 0
        """Every record up to this ``seq`` has been fsynced (a durable commit covers those before it)."""
        self._pending: list[Row] = []
        self._failure = ""
        self._problem = ""
        self._probed_at = -PROBE_INTERVAL_S
        self.writer = JournalWriter(self._lock, self._commit_items_locked)
        """The queue and the thread that commits it (:mod:`core.journal.writer`)."""
        self._commit_every = 0
        self._open_rows: list[Row] = []
        if not readonly:
            self._import_fallback()
        if self.recovery is not None:
            log.error("%s", self.recovery.message())
            self.record(
                "journal_recovery",
                problem=self.recovery.problem,
                kept_as=self.recovery.kept_as,
                message=self.recovery.message(),
            )

    # --- secrets ---
    def add_secret(self, value: str | None) -> None:
        """Register a secret value (API key/secret) to be scrubbed wherever it appears in a record."""
        if value:
            self._redactor.add_secrets([value])

    # --- writing ---
    def record(self, kind: str, *, symbol: str = "", order_link_id: str = "", **data: Any) -> int:
        """Append one record and return its ``seq``; committed when this returns, and fsynced
        too when its kind is durable (:func:`~core.journal.durability.durability`).

        A lazy record written on an event loop is queued for the writer thread instead and 0 is
        returned (see :meth:`record_many`). If SQLite refuses it, the record is durable in the
        fallback file and 0 is returned.
        """
        return self.record_many([(kind, symbol, order_link_id, data)])

    def record_many(
        self, entries: Sequence[tuple[str, str, str, Mapping[str, Any]]], *, required: bool = False
    ) -> int:
        """Append ``(kind, symbol, order_link_id, data)`` records in one transaction.

        The transaction is fsynced before this returns when any of the records is of a durable
        kind (:func:`~core.journal.durability.batch_durability`), else only committed.
        Returns the ``seq`` of the last one; all or none of them are in SQLite when this returns.
        When SQLite refuses the write: with ``required`` raise :class:`JournalUnwritable` (nothing
        was recorded: the caller must not act); otherwise the records go to the fallback file,
        the journal reports itself unwritable (``on_state``) and 0 is returned.

        Called on a thread that runs an event loop (the engine), a lazy batch that is not
        ``required`` is queued for the writer thread and 0 is returned at once: it is committed
        (without an fsync) in call order with everything queued, every read sees it, and a
        refusal is reported through ``on_refused`` / ``on_state`` on the loop. A durable or
        required batch is always written before this returns (after what is queued).
        """
        rows = self._rows(entries)
        durable = batch_durability(kind for kind, _, _, _ in entries) is Durability.DURABLE
        if self._closed:
            raise RuntimeError("journal is closed")
        if not (durable or required or self.readonly or self._commit_every) and _on_a_loop():
            self.writer.put(Pending(rows, durable=False))  # the writer thread commits it
            return 0
        started = time.perf_counter()
        with self._lock:
            if self._closed:
                raise RuntimeError("journal is closed")
            notices = self.writer.drain_locked()  # what was queued before goes first
            seq, change, refused = self._write_one_locked(rows, durable=durable, required=required)
        self.writer.post(notices)
        run_notices(self._notices(change, refused, time.perf_counter() - started))
        if refused is not None and required:
            raise JournalUnwritable(str(refused)) from refused
        return seq

    async def record_grouped(
        self, entries: Sequence[tuple[str, str, str, Mapping[str, Any]]], *, required: bool = False
    ) -> int:
        """:meth:`record_many` without blocking the event loop: the records are queued and the
        writer thread commits them with everything else queued in this loop turn (one
        transaction, one fsync); the ``await`` returns once they are committed, and fsynced when
        durable. The ``seq`` returned is the transaction's last. ``required`` as in
        :meth:`record_many`: ``JournalUnwritable`` is raised here and nothing of it is recorded.
        A caller cancelled before the writer took its records writes nothing."""
        return await self.record_queued(entries, required=required)

    def record_queued(
        self, entries: Sequence[tuple[str, str, str, Mapping[str, Any]]], *, required: bool = False
    ) -> asyncio.Future[int]:
        """Queue ``entries`` now, in call order, and return the future of their commit (and
        fsync when durable), as :meth:`record_grouped` awaits it; call it on the event loop. A
        caller that must not lose the records when it is cancelled awaits the future through
        ``asyncio.shield``."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if self.readonly:
            done.set_result(self.record_many(entries, required=required))  # raises: nothing to write
            return done
        rows = self._rows(entries)
        durable = batch_durability(kind for kind, _, _, _ in entries) is Durability.DURABLE
        if self._closed:
            raise RuntimeError("journal is closed")
        self.writer.put(Pending(rows, durable=durable, required=required, done=done))
        return done

    async def settled(self) -> None:
        """Return once every record queued before this call is committed and its waiter told
        (a test on a virtual clock lets the engine finish an instant before time moves on)."""
        await self.writer.settled()

    def _rows(self, entries: Sequence[tuple[str, str, str, Mapping[str, Any]]]) -> list[Row]:
        ts = int(self._clock.now_ms())
        return [
            (
                ts,
                kind,
                symbol,
                link,
                orjson.dumps(sanitize(dict(data), self._redactor), option=orjson.OPT_NON_STR_KEYS).decode(),
            )
            for kind, symbol, link, data in entries
        ]

    def _write_one_locked(
        self, rows: list[Row], *, durable: bool, required: bool
    ) -> tuple[int, str | None, sqlite3.Error | None]:
        """Write one caller's rows (lock held): ``(seq, state change, refusal)``. A refused write
        that is not ``required`` goes to the fallback file (seq 0)."""
        try:
            return self._write_locked(rows, durable=durable), self._recovered_locked(), None
        except sqlite3.Error as exc:
            if self.readonly:
                raise
            change = self._failed_locked(str(exc))
            if not required:
                self._divert_locked(rows, str(exc))
            return 0, change, exc

    def _commit_items_locked(self, items: list[Pending]) -> list[Notice]:
        """The writer's drain (lock held): every queued item in one transaction; when SQLite
        refuses it, each item alone (a required one then fails, the others go to the fallback)."""
        started = time.perf_counter()
        rows = [row for item in items for row in item.rows]
        if not rows:  # only waiters for what was queued before them (:meth:`settled`)
            return [settle(item, 0) for item in items]
        try:
            seq = self._write_locked(rows, durable=any(item.durable for item in items))
        except sqlite3.Error:
            log.warning("journal: a batch of %d writes was refused; writing each alone", len(items))
            return self._commit_each_locked(items)
        change = self._recovered_locked()
        return [*self._notices(change, None, time.perf_counter() - started), *(settle(i, seq) for i in items)]

    def _commit_each_locked(self, items: list[Pending]) -> list[Notice]:
        notices: list[Notice] = []
        for item in items:
            seq, change, refused = self._write_one_locked(
                item.rows, durable=item.durable, required=item.required
            )
            notices.extend(self._notices(change, refused, None))
            failed = JournalUnwritable(str(refused)) if refused is not None and item.required else None
            notices.append(settle(item, seq, failed))
        return notices

    def _notices(self, change: str | None, refused: sqlite3.Error | None, took: float | None) -> list[Notice]:
        """The callbacks a write's outcome calls for (run on the loop, outside the lock)."""
        notices: list[Notice] = []
        on_state, on_refused, on_write = self.on_state, self.on_refused, self.on_write
        if change is not None and on_state is not None:
            notices.append(partial(on_state, change))
        if refused is not None and on_refused is not None:
            notices.append(on_refused)
        elif refused is None and took is not None and on_write is not None:
            notices.append(partial(on_write, took))
        return notices

    def _write_locked(self, rows: list[Row], *, durable: bool = True) -> int:
        """Insert the pending fallback rows, then ``rows``, in one transaction (lock held).

        ``durable``: fsync the commit (and with it every earlier one) before returning. A replay
        of fallback rows is always durable: their file is removed once they are in SQLite.
        """
        if self._commit_every and not self._pending:
            return self._write_open_locked(rows)
        self._commit_open_locked()
        batch = [*self._pending, *rows]
        if not batch:
            return 0
        durable = durable or bool(self._pending)
        self._sync_locked("FULL" if durable else "NORMAL")
        if len(batch) == 1:
            seq = self._conn.execute(_INSERT, batch[0]).lastrowid
        else:  # few calls into SQLite: each one gives the event loop's thread the GIL and back
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(_INSERT, batch)
                seq = self._conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                self._conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (SQLITE_FULL does): a second ROLLBACK would
                # replace the real reason with "cannot rollback - no transaction is active".
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        assert seq is not None
        if durable:
            self.synced_seq = int(seq)
        return int(seq)

    def batch_commits(self, rows: int) -> None:
        """For a throwaway journal only (a backtest's, in a temporary directory): keep one
        transaction open across writes and commit it every ``rows`` records and at close, without
        an fsync. Every record is written, in order, and every read through this journal sees it
        at once; a process killed mid-run loses the records since the last commit, so the live
        audit log never does this (its durable records are fsynced before their order goes)."""
        with self._lock:
            self._commit_every = max(0, rows)
            self._sync_locked("OFF" if rows > 0 else "FULL")
            self.writer.inline = rows > 0  # no fsync to wait for: the queue drains on the loop

    def _write_open_locked(self, rows: list[Row]) -> int:
        """Add ``rows`` to the open transaction (lock held); a refused write rolls it back, and
        the records it held go to the fallback file like the refused ones."""
        conn, cur = self._conn, None
        try:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            for row in rows:
                cur = conn.execute(_INSERT, row)
            self._open_rows.extend(rows)
            if len(self._open_rows) >= self._commit_every:
                self._commit_open_locked()
        except sqlite3.Error as exc:
            self._drop_open_locked(str(exc))
            raise
        return 0 if cur is None else int(cur.lastrowid or 0)

    def _commit_open_locked(self) -> None:
        """Commit the transaction :meth:`batch_commits` keeps open (lock held)."""
        if self._conn.in_transaction and self._open_rows:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._drop_open_locked(str(exc))
                raise
        self._open_rows = []

    def _drop_open_locked(self, reason: str) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        rows, self._open_rows = self._open_rows, []
        if rows:
            self._divert_locked(rows, reason)

    def _sync_locked(self, level: str) -> None:
        """Set the connection's ``synchronous`` level for the next commit (lock held)."""
        if self._sync != level:
            self._conn.execute(f"PRAGMA synchronous={level}")
            self._sync = level

    def _divert_locked(self, rows: list[Row], reason: str) -> None:
        tagged = [tag_row(r) for r in rows]
        self.fallback.append(tagged, reason)
        self._pending.extend(tagged)
        if len(self._pending) > MAX_PENDING:
            dropped = len(self._pending) - MAX_PENDING
            del self._pending[:dropped]
            log.critical("journal fallback: %d oldest records kept only in %s", dropped, self.fallback.path)

    def _failed_locked(self, reason: str) -> str | None:
        """Note a refused write; returns the reason when the journal just became unwritable."""
        was = self._failure
        self._failure = self._problem = reason
        return None if was else reason

    def _recovered_locked(self) -> str | None:
        """After a successful write: the pending rows are in SQLite. Returns "" on recovery."""
        replayed = len(self._pending)
        if replayed:
            self._pending.clear()
            self.fallback.remove()
            log.warning("journal writable again: %d fallback record(s) replayed into SQLite", replayed)
        if not self._failure:
            return None
        self._failure = self._problem = ""
        return ""

    def _notify(self, change: str | None) -> None:
        if change is not None and self.on_state is not None:
            self.on_state(change)

    @property
    def unwritable_reason(self) -> str:
        """Why the journal cannot take writes ("" when it can), from the last write or probe."""
        if self._closed:
            return "journal is closed"
        if self.readonly:
            return "journal opened read-only"
        return self._problem

    @property
    def pending_fallback(self) -> int:
        """Records waiting in the fallback file for SQLite to take them again."""
        return len(self._pending)

    def _import_fallback(self) -> None:
        """Move records a previous run left in the fallback file into SQLite (none twice)."""
        rows = self.fallback.read()
        if not rows:
            return
        fresh = [r for r in rows if not self._has_fallback_row(r)]
        with self._lock:
            self._pending = fresh
            try:
                if fresh:
                    self._write_locked([])
            except sqlite3.Error as exc:
                self._failure = self._problem = str(exc)
                log.error("journal fallback %s not imported yet: %s", self.fallback.path, exc)
                return
            self._pending = []
        self.fallback.remove()
        log.warning("journal: imported %d record(s) from the fallback %s", len(fresh), self.fallback.path)

    def _has_fallback_row(self, row: Row) -> bool:
        fid = fallback_id(row)
        if not fid:
            return False
        found = self._conn.execute(
            "SELECT 1 FROM records WHERE order_link_id = ? AND kind = ? AND ts_ms = ? "
            "AND json_extract(data, '$._fallback') = ? LIMIT 1",
            (row[3], row[1], row[0], fid),
        ).fetchone()
        return found is not None

    # --- reading ---
    def query(
        self,
        since_seq: int | None = None,
        since_ms: int | None = None,
        symbol: str | None = None,
        kinds: Iterable[str] | None = None,
        order_link_id: str | None = None,
        *,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> list[JournalRecord]:
        """Records in ``seq`` order; ``since_seq`` is exclusive (records after it), ``since_ms`` inclusive."""
        found = select_records(since_seq, since_ms, symbol, kinds, order_link_id, until_ms, limit)
        return [] if found is None else self._fetch(*found)

    def open_intents(self) -> list[JournalRecord]:
        """Intents with no terminal record after them, for crash reconciliation.

        Closing records for the same ``order_link_id``: ``ack``, ``order_update``, ``fill``; a
        ``reject`` or a ``risk_decision`` with ``approved`` false (never sent), unless it has an
        ``action``: that is a refused amend or cancel of the order, not the order's own refusal;
        a ``reconcile`` with ``found`` or ``resolved`` true. A ``reconcile`` with ``found: false``
        keeps it open.
        """
        return self._fetch(OPEN_INTENTS, [])

    def knows(self, order_link_id: str, order_id: str = "") -> bool:
        """True when any record names this order: by ``order_link_id``, else a reconcile by ``order_id``."""
        if order_link_id:
            rows = self._read(KNOWS_LINK, [order_link_id])
        else:
            rows = self._read(KNOWS_ORDER_ID, [order_id]) if order_id else []
        return bool(rows)

    def last_seq(self) -> int:
        """The highest ``seq`` written so far (0 when empty)."""
        return int(self._read(LAST_SEQ, [])[0][0])

    def healthy(self) -> bool:
        """True if the journal can take writes right now (:meth:`probe` really writes)."""
        return not self.probe()

    def probe(self, *, force: bool = False) -> str:
        """Try a real write (at most every :data:`PROBE_INTERVAL_S` unless ``force``).

        Returns "" when the journal takes writes, else the reason: the refused write's error,
        the database at its page limit, or a filesystem with almost no space left. While
        records wait in the fallback, the probe's write is their replay into SQLite.
        """
        now = time.monotonic()
        change: str | None = None
        if not force and now - self._probed_at < PROBE_INTERVAL_S:
            return self.unwritable_reason
        if not self._lock.acquire(blocking=force):
            return self.unwritable_reason  # the writer thread is committing: it reports its own outcome
        try:
            if self._closed or self.readonly:
                return self.unwritable_reason
            self._probed_at = now
            try:
                if self._pending:
                    self._write_locked([])
                self._probe_write_locked()
                room = self._room_locked()
            except sqlite3.Error as exc:
                change = self._failed_locked(str(exc))
            else:
                change = self._recovered_locked() if not room else self._failed_locked(room)
            problem = self._problem
        finally:
            self._lock.release()
        self._notify(change)
        return problem

    def _probe_write_locked(self) -> None:
        """A real write and commit, without the fsync (its row needs no durability: ~0.1 ms, not ~5)."""
        self._sync_locked("OFF")
        self._conn.execute(_PROBE, (int(self._clock.now_ms()),))

    def _room_locked(self) -> str:
        """An empty string when there is room for more records, else why not."""
        page_count = self._conn.execute("PRAGMA page_count").fetchone()[0]
        max_pages = self._conn.execute("PRAGMA max_page_count").fetchone()[0]
        free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
        if max_pages - page_count + free < MIN_FREE_PAGES:
            return f"database or disk is full ({page_count} of max {max_pages} pages used)"
        if self.fallback.path is not None:
            st = os.statvfs(self.fallback.path.parent)
            if st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
                return f"database or disk is full ({st.f_bavail * st.f_frsize // 1024} KiB free)"
        return ""

    def _fetch(self, sql: str, args: list[Any]) -> list[JournalRecord]:
        return [
            JournalRecord(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5])) for r in self._read(sql, args)
        ]

    def _read(self, sql: str, args: list[Any]) -> list[Any]:
        """Run a query after writing everything queued: a read sees every record written before it."""
        with self._lock:
            notices = [] if self._closed else self.writer.drain_locked()
            rows = self._conn.execute(sql, args).fetchall()
        self.writer.post(notices)
        return rows

    def close(self) -> None:
        """Write what is queued, checkpoint and close (the writer thread ends). Further writes raise."""
        with self._lock:
            if self._closed:
                return
            notices = self.writer.drain_locked()  # what is queued (awaited or lazy) goes in first
            self._closed = self.writer.closed = True
            if not self.readonly:
                self._commit_open_locked()
                self._sync_locked("FULL")  # the clean-close mark and checkpoint reach the disk
                mark_closed(self._conn)
            self._conn.close()
        self.writer.post(notices)
        self.writer.shutdown()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
