"""Scans in the service: a scanned URL and its client → the Verification, the scan written moments later with others.

The verification URL is the service's busiest route. `Registry.look_up` commits one
transaction a scan; here a scan costs one SELECT on a pooled connection of the registry's
database, and goes into a ScanBuffer that a thread writes every FLUSH_INTERVAL_S in one
transaction (and once more when the service stops). A scan's statistics include the buffered
scans of this process; those of another process of the same deployment count once it has
written them, a fraction of a second later. A crash loses at most that fraction of a second of
scans, never a certificate change, which the registry commits as it is made.

A lookup runs on the event loop, without a trip to a worker thread: measured here (2 cores,
two server processes) such a trip cost 0.3-0.5 ms of CPU a scan, a third of the whole answer,
as Python threads take turns on one lock; the SELECT itself reads a local file (SQLite) or makes
one round trip of a fraction of a millisecond (PostgreSQL). So that a database that does not
answer cannot hold the loop, the scan connections give up after SCAN_TIMEOUT_S (see
labelgen.registry.database), and after a failure the verifier answers "unavailable" at once
for BACKOFF_S before it tries the database again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from labelgen.errors import RegistryUnavailableError
from labelgen.registry.database import make_scan_engine
from labelgen.registry.lookup import (
    ScanBuffer,
    ScanDatabase,
    UnitReading,
    Verification,
    judge_scan,
    read_unit,
)
from labelgen.registry.service import VIETNAM_TIME, Registry
from labelgen.registry.signing import PublicKeyEntry
from labelgen.registry.verify import UnitCode

logger = logging.getLogger(__name__)

# How long a scan may wait in the buffer; also how late another process of the deployment may
# count it.
FLUSH_INTERVAL_S = 0.2
# A connection that failed is replaced and the scan read once more, so that one dead pooled
# connection (a restarted database) costs no answer.
LOOKUP_ATTEMPTS = 2
# After the database failed, scans are answered "unavailable" this long without trying it.
BACKOFF_S = 1.0


@dataclass(frozen=True)
class Reading:
    """What `Verifier.read` found: the registry's data on a code, and the keys to check it with."""

    unit: UnitReading
    keys: Mapping[str, PublicKeyEntry]


class Verifier:
    """The registry's verdicts on scanned codes, with the scans buffered (see the module docstring).

    `start` starts the thread that writes the buffer; `close` stops it and writes what is left.
    """

    def __init__(self, registry: Registry, flush_interval_s: float = FLUSH_INTERVAL_S) -> None:
        self.registry = registry
        self.buffer = ScanBuffer()
        self.flush_interval_s = flush_interval_s
        # No test query before each use of a pooled connection: one that fails is replaced.
        self._engine = make_scan_engine(registry.engine, ping_on_checkout=False)
        # On SQLite, lookups read through connections that never wait for a writer's lock (see
        # make_read_engine); scans are written by the background thread, which may wait.
        self._read_engine = (
            registry.read_engine if self._engine is registry.engine else self._engine
        )
        self._dbapi = self._engine.dialect.loaded_dbapi
        self._unavailable_until = 0.0
        self._stop = threading.Event()
        self._background: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._background = threading.Thread(
            target=self._work_until_stopped, name="labelgen-scan-writer", daemon=True
        )
        self._background.start()

    def close(self) -> None:
        """Stop the writing thread and write the scans still buffered."""
        self._stop.set()
        if self._background is not None:
            self._background.join()
            self._background = None
        self.flush_logged()
        if self._engine is not self.registry.engine:
            self._engine.dispose()

    def read(self, code: UnitCode | None, now: dt.datetime) -> Reading:
        """What the registry holds on `code`, and the public keys (blocking: the registry reads
        them again once PUBLISHED_KEYS_CACHE_S has passed); RegistryUnavailableError when the
        database fails twice, and for BACKOFF_S after that."""
        if time.monotonic() < self._unavailable_until:
            raise RegistryUnavailableError("the registry's database failed a moment ago")
        try:
            return self._read(code, now)
        except RegistryUnavailableError:
            self._unavailable_until = time.monotonic() + BACKOFF_S
            raise

    def published_keys(self) -> Mapping[str, PublicKeyEntry]:
        """The registry's published keys; RegistryUnavailableError when its database fails."""
        try:
            return self.registry.published_keys()
        except (OperationalError, InterfaceError) as error:
            raise RegistryUnavailableError(
                f"the registry's database failed: {error.orig}"
            ) from None

    def _read(self, code: UnitCode | None, now: dt.datetime) -> Reading:
        keys = self.published_keys()
        for attempt in range(1, LOOKUP_ATTEMPTS + 1):
            try:
                with self._database(self._read_engine) as database:
                    return Reading(read_unit(database, code, now, self.buffer), keys)
            except RegistryUnavailableError:
                if attempt == LOOKUP_ATTEMPTS:
                    raise
        raise AssertionError("LOOKUP_ATTEMPTS must be at least 1")

    def judge(
        self,
        code: UnitCode | None,
        reading: Reading,
        now: dt.datetime,
        client_address: str | None,
        user_agent: str | None,
    ) -> Verification:
        """The verdict on what `read` found; the scan joins the buffer."""
        verification, scan = judge_scan(
            code,
            reading.unit,
            keys=reading.keys,
            now=now,
            today=now.astimezone(VIETNAM_TIME).date(),
            client_address=client_address,
            user_agent=user_agent,
            scan_salt=self.registry.settings.scan_salt,
            dialect=self._engine.dialect.name,
        )
        self.buffer.add(scan)
        return verification

    def verdict(self, code: UnitCode | None, now: dt.datetime) -> Verification:
        """The verdict on `code` without recording a scan (for a report made on its page)."""
        verification, _scan = judge_scan(
            code,
            self.read(code, now).unit,
            keys=self.registry.published_keys(),
            now=now,
            today=now.astimezone(VIETNAM_TIME).date(),
            client_address=None,
            user_agent=None,
            scan_salt=self.registry.settings.scan_salt,
            dialect=self._engine.dialect.name,
        )
        return verification

    def now(self) -> dt.datetime:
        """The registry's clock (a test's, when it has one)."""
        return self.registry.now()

    def flush(self) -> int:
        """Write the buffered scans now; how many. RegistryUnavailableError when the database
        cannot take them (they stay buffered); the driver's error when it refuses them (they
        are dropped)."""
        if not len(self.buffer):
            return 0
        with self._database(self._engine) as database:
            return self.buffer.flush(database, keep_on=self._is_unavailable)

    def flush_logged(self) -> None:
        """`flush`, with a failure logged instead of raised."""
        try:
            self.flush()
        except RegistryUnavailableError as error:
            logger.warning("%d scans wait to be written: %s", len(self.buffer), error)
        except self._dbapi.Error as error:
            logger.error("scans refused by the database and dropped: %s", error)

    def _work_until_stopped(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush_logged()

    @contextmanager
    def _database(self, engine: Engine) -> Iterator[ScanDatabase]:
        """A pooled connection's driver cursor. When the database cannot be reached or used
        (restarted, locked too long) the connection is dropped from the pool and
        RegistryUnavailableError raised; other errors of the driver pass as they are."""
        try:
            connection = engine.raw_connection()
        except SQLAlchemyError as error:
            raise RegistryUnavailableError(
                f"the registry's database failed: {getattr(error, 'orig', error)}"
            ) from None
        try:
            yield ScanDatabase(connection.cursor(), engine.dialect.name)
        except self._dbapi.Error as error:
            if not self._is_unavailable(error):
                raise
            connection.invalidate(error)
            raise RegistryUnavailableError(f"the registry's database failed: {error}") from None
        finally:
            connection.close()

    def _is_unavailable(self, error: BaseException) -> bool:
        return isinstance(error, self._dbapi.OperationalError | self._dbapi.InterfaceError)
