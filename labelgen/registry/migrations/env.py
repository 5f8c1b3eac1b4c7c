"""Alembic environment: the connection handed over by upgrade_database (or the configured database) → migrated."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from labelgen.registry.database import make_engine
from labelgen.registry.models import Base
from labelgen.registry.settings import RegistrySettings


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite runs DDL inside a transaction too; with the engine's BEGIN IMMEDIATE this makes
        # a second process that migrates at the same moment wait, then find nothing to do.
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(RegistrySettings.from_environment().database_url)
    try:
        with engine.connect() as new_connection:
            run_migrations(new_connection)
            new_connection.commit()
    finally:
        engine.dispose()


run()
