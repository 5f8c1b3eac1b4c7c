"""Verdict cache: a scanned code → the registry's reading of it, kept until the registry changes (LISTEN/NOTIFY).

On PostgreSQL a scan's SELECT is a round trip to another process on the same cores; this cache
answers a code scanned again from memory. What it keeps is a `UnitReading` (product, producer,
batch, serial, certificates, and the serial's scan statistics as read):

- **Registry data is as fresh as PostgreSQL's notifications.** Every statement that changes
  producers, products, certificates, batches or serials notifies the channel
  REGISTRY_CHANGES_CHANNEL when it commits (a trigger, migration 0003). The cache holds a
  connection that listens to it and, before it answers from memory, reads what has arrived on
  it (a non-blocking read, under a microsecond): any change empties the cache. PostgreSQL sends
  the notification as the change commits, so a revocation reaches every process within
  milliseconds. A reading taken while a change arrived is not kept (a generation number,
  compared before and after the SELECT). When the listening connection is lost, nothing is
  answered from memory until it is back. A change this process makes itself (an issuer's
  revocation over its API) takes effect before the change's request is answered, not when the
  notification comes back (`watch_writes`): while a write to those tables is in flight on the
  registry's engine nothing is kept, and when its connection returns to the pool, committed,
  the cache is emptied.
- **Scan statistics** (the count, the first scan, the recent networks of the copy check) are
  those read plus the scans this process has recorded since; the scans that other server
  processes record are counted when the entry is read again, at most `max_age_s` later.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, event

from labelgen.registry.database import REGISTRY_CHANGES_CHANNEL, libpq_conninfo
from labelgen.registry.lookup import UnitReading

logger = logging.getLogger(__name__)

MAX_ENTRIES = 100_000  # some 2 kB each
RECONNECT_EVERY_S = 1.0
# The socket is read this often even when no scan comes, so that notifications never pile up
# in the server's queue.
DRAIN_EVERY_S = 1.0


_WRITING = "labelgen_writes_verdict_tables"
_VERDICT_TABLES = ("producers", "products", "certificates", "batches", "serials")


def _writes_verdict_tables(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    if head not in ("INSERT", "UPDATE", "DELETE"):
        return False
    lowered = statement.lower()
    return any(table in lowered for table in _VERDICT_TABLES)


@dataclass
class _Entry:
    reading: UnitReading
    loaded_s: float  # time.monotonic() when read
    scans: int = 0  # recorded by this process since
    first_scanned_at: dt.datetime | None = None
    networks: set[str] = field(default_factory=set)

    def current(self) -> UnitReading:
        if not self.scans:
            return self.reading
        firsts = [at for at in (self.reading.first_scanned_at, self.first_scanned_at) if at]
        return replace(
            self.reading,
            scan_count=self.reading.scan_count + self.scans,
            first_scanned_at=min(firsts, default=None),
            recent_networks=self.reading.recent_networks | self.networks,
        )


class ReadingCache:
    """Readings by code key, emptied when the registry changes; thread-safe.

    `open` connects the listening connection (and starts the thread that keeps reading it);
    until it is connected, and after `close`, nothing is answered from memory.
    """

    def __init__(self, engine: Engine, max_age_s: float, max_entries: int = MAX_ENTRIES) -> None:
        self._conninfo = libpq_conninfo(engine)
        self.max_age_s = max_age_s
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._keys_by_serial: dict[int, set[Hashable]] = {}
        self._generation = 0
        self._writes_in_flight = 0
        self._watched: list[tuple[Engine, str, Any]] = []
        self._connection: Any = None  # psycopg.Connection, LISTENing
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        self._connect()
        self._thread = threading.Thread(target=self._keep_up, name="labelgen-cache", daemon=True)
        self._thread.start()

    def close(self) -> None:
        for engine, name, listener in self._watched:
            event.remove(engine, name, listener)
        self._watched.clear()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._drop_connection()

    def __len__(self) -> int:
        """The entries kept, expired or not."""
        with self._lock:
            return len(self._entries)

    def get(self, key: Hashable) -> UnitReading | None:
        """The reading kept for `key`, with this process's scans since; None when there is none
        (or it is too old, or the registry changed, or the change feed is down)."""
        with self._lock:
            self._drain()
            entry = self._entries.get(key)
            if entry is None or self._connection is None:
                self.misses += 1
                return None
            if time.monotonic() - entry.loaded_s > self.max_age_s:
                self._forget(key)
                self.misses += 1
                return None
            self.hits += 1
            return entry.current()

    def generation(self) -> int:
        """To pass to `put` with what is read now: a change meanwhile makes `put` keep nothing."""
        with self._lock:
            self._drain()
            return self._generation

    def put(self, key: Hashable, generation: int, reading: UnitReading) -> None:
        with self._lock:
            self._drain()
            if self._connection is None or generation != self._generation or self._writes_in_flight:
                return
            self._forget(key)
            now_s = time.monotonic()
            self._entries[key] = _Entry(reading, now_s)
            if reading.serial_id is not None:
                self._keys_by_serial.setdefault(reading.serial_id, set()).add(key)
            while len(self._entries) > self.max_entries:
                self._forget(next(iter(self._entries)))
            self._forget_expired(now_s)

    def record_scan(
        self, serial_id: int | None, scanned_at: dt.datetime, network: str | None
    ) -> None:
        """A scan this process recorded: added to the statistics of the serial's entries."""
        if serial_id is None:
            return
        with self._lock:
            for key in self._keys_by_serial.get(serial_id, ()):
                entry = self._entries[key]
                entry.scans += 1
                if entry.first_scanned_at is None or scanned_at < entry.first_scanned_at:
                    entry.first_scanned_at = scanned_at
                if network is not None:
                    entry.networks.add(network)

    def watch_writes(self, engine: Engine) -> None:
        """Empty the cache when this process's writes to the verdict tables through `engine`
        commit (see the module docstring)."""

        def _on_execute(connection: Any, _cursor: Any, statement: str, *_arguments: Any) -> None:
            if connection.info.get(_WRITING) or not _writes_verdict_tables(statement):
                return
            connection.info[_WRITING] = True
            with self._lock:
                self._writes_in_flight += 1

        # After the commit (or rollback): a connection returns to the pool once its
        # transaction is over, which SQLAlchemy's commit event, fired before, is not. A
        # connection dropped on an error is invalidated first, and its mark goes with it.
        def _on_checkin(_dbapi_connection: Any, record: Any, *_exception: Any) -> None:
            if record is None or not record.info.pop(_WRITING, False):
                return
            with self._lock:
                self._writes_in_flight -= 1
                self._clear()

        for name, listener in (
            ("after_cursor_execute", _on_execute),
            ("invalidate", _on_checkin),
            ("checkin", _on_checkin),
        ):
            event.listen(engine, name, listener)
            self._watched.append((engine, name, listener))

    # --- under the lock ---------------------------------------------------------------------

    def _drain(self) -> None:
        """Read the notifications that have arrived; any empties the cache."""
        connection = self._connection
        if connection is None:
            return
        import psycopg

        try:
            connection.pgconn.consume_input()
            changed = False
            while connection.pgconn.notifies() is not None:
                changed = True
        except psycopg.Error as error:
            logger.warning("verdict cache: the change feed was lost (%s); cache off", error)
            self._drop_connection()
            changed = True
        if changed:
            self._clear()

    def _clear(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._keys_by_serial.clear()

    def _forget_expired(self, now_s: float) -> None:
        """Drop the entries too old to be answered: no scan would use them, and each is some ten
        objects that every full pass of the garbage collector walks (a full cache of codes
        scanned once, 100,000 entries, made each such pass some 650 ms on two shared cores).
        Entries are kept in the order they were read, so the expired ones are at the front."""
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if now_s - entry.loaded_s <= self.max_age_s:
                return
            self._forget(key)

    def _forget(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and entry.reading.serial_id is not None:
            keys = self._keys_by_serial.get(entry.reading.serial_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_by_serial[entry.reading.serial_id]

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._clear()

    # --- the thread -------------------------------------------------------------------------

    def _connect(self) -> None:
        import psycopg

        try:
            connection = psycopg.connect(self._conninfo, autocommit=True)
            connection.execute(f"LISTEN {REGISTRY_CHANGES_CHANNEL}")
        except psycopg.Error as error:
            logger.warning("verdict cache: cannot listen for registry changes (%s)", error)
            return
        with self._lock:
            self._clear()  # changes made while no one listened are not known
            self._connection = connection

    def _keep_up(self) -> None:
        while not self._stop.wait(min(DRAIN_EVERY_S, RECONNECT_EVERY_S)):
            with self._lock:
                self._drain()
                connected = self._connection is not None
            if not connected:
                self._connect()
