"""Database access: a SQLAlchemy URL → a configured engine, and the Alembic migrations run against it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from labelgen.errors import RegistryError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (a test holds it to the migrations folder). A database already
# there is opened without loading Alembic, which costs a command such as `labelgen batch` 0.3 s.
HEAD_REVISION = "0003"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any fixed 64-bit number; every process that migrates the same PostgreSQL database waits on it.
MIGRATION_LOCK_ID = 0x6C6162656C67656E
# As many connections as the service runs registry calls at once (see labelgen.service).
SCAN_POOL_SIZE = 8
SCAN_POOL_OVERFLOW = 8
# A lookup on SQLite waits no longer than this for a lock. In WAL mode readers never wait for a
# writer; only a checkpoint or recovery makes them, and then an answer of "unavailable, retry"
# is better than a scan (on the service's event loop) held up for the write timeout.
SQLITE_READ_BUSY_TIMEOUT_MS = 250
# On PostgreSQL every change to the tables a verdict is read from is announced on this channel
# (a statement trigger, migration 0003), so that caches of verdicts are emptied at once.
REGISTRY_CHANGES_CHANNEL = "labelgen_registry"
# A scan waits no longer than this to connect or for a statement: past it, the answer is
# "unavailable" (the service runs scans on its event loop, which must not hang on them).
SCAN_TIMEOUT_S = 2.0


def make_engine(database_url: str) -> Engine:
    """An engine for `database_url`: SQLite (file made on demand) or PostgreSQL through psycopg 3."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise RegistryError(f"database URL {database_url!r} is not a SQLAlchemy URL") from None
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise RegistryError(
        f"database URL {database_url!r}: only sqlite:/// and postgresql+psycopg:// are supported"
    )


def libpq_conninfo(engine: Engine) -> str:
    """A PostgreSQL engine's database as a libpq connection string, for the connections made
    outside SQLAlchemy (the job queue, the registry change feed): the very arguments the
    engine's psycopg dialect connects with, its `options` (search_path) included."""
    from psycopg.conninfo import make_conninfo

    arguments, keywords = engine.dialect.create_connect_args(engine.url)
    assert not arguments  # psycopg's dialect passes everything by keyword
    # `context` is the dialect's adapters, not a connection parameter.
    return make_conninfo(**{key: value for key, value in keywords.items() if key != "context"})


def make_scan_engine(engine: Engine, *, ping_on_checkout: bool = True) -> Engine:
    """The engine that scans are looked up and recorded through.

    On PostgreSQL a pool of its own whose connections commit each statement as it runs, give up
    after SCAN_TIMEOUT_S, and do not wait for the commit to reach the disk: a scan is worth less
    than that wait, so after a crash the last few scans may be lost, never a certificate change
    (those go through the registry's own engine, which commits synchronously). On SQLite the
    registry's engine itself.

    `ping_on_checkout=False` leaves out the round trip that tests a pooled connection before
    each use (it doubled a scan's round trips): the caller then invalidates a connection that
    fails (see labelgen.service.verifier).
    """
    if engine.dialect.name != "postgresql":
        return engine
    scan_engine = create_engine(
        engine.url,
        pool_pre_ping=ping_on_checkout,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": math.ceil(SCAN_TIMEOUT_S)},
        pool_size=SCAN_POOL_SIZE,
        max_overflow=SCAN_POOL_OVERFLOW,
    )

    @event.listens_for(scan_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit TO OFF")
        cursor.execute(f"SET statement_timeout = {int(SCAN_TIMEOUT_S * 1000)}")
        cursor.close()
        dbapi_connection.commit()

    return scan_engine


def make_read_engine(engine: Engine) -> Engine:
    """The engine that lookups read through: on SQLite, connections that only read (no BEGIN
    IMMEDIATE, `query_only`) and wait SQLITE_READ_BUSY_TIMEOUT_MS at most, so that a writer
    holding the lock, in this process or another, never holds up a reader; elsewhere `engine`.
    """
    if engine.dialect.name != "sqlite":
        return engine
    read_engine = create_engine(
        engine.url, connect_args={"timeout": SQLITE_READ_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(read_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit: each SELECT reads the last committed state and holds no lock after it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_READ_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    return read_engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the registry returns plain records)."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade_database(database_url: str | Engine) -> None:
    """Run every Alembic migration not yet applied; safe when several processes start at once."""
    engine = database_url if isinstance(database_url, Engine) else make_engine(database_url)
    try:
        with engine.connect() as connection:
            if _revision(connection) != HEAD_REVISION:
                _run_migrations(connection)
    except OperationalError as error:
        raise RegistryError(f"cannot migrate the database: {error.orig}") from None
    finally:
        if not isinstance(database_url, Engine):
            engine.dispose()


def _revision(connection: Connection) -> str | None:
    """The revision the database is at, None when it has no registry tables yet."""
    dialect = connection.dialect
    if not dialect.has_table(connection, "alembic_version"):
        return None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    connection.commit()
    return revision


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration of the registry, built in code (no alembic.ini to ship)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _run_migrations(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Session-level, so it spans the transactions Alembic opens and commits.
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
    from alembic import command

    try:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
    finally:
        if postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN is deferred, so two writers that both read first deadlock and one
        # fails at once with "database is locked"; issuing BEGIN IMMEDIATE ourselves makes the
        # second writer wait for the busy timeout instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
