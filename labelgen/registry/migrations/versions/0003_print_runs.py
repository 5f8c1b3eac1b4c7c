"""Print runs kept in the database; on PostgreSQL, registry changes announced to the caches of verdicts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables a verdict on a scanned code is read from; the channel of REGISTRY_CHANGES_CHANNEL
# (labelgen.registry.database), written out: a migration keeps its values as they were.
VERDICT_TABLES = ("producers", "products", "certificates", "batches", "serials")
CHANNEL = "labelgen_registry"


def upgrade() -> None:
    op.create_table(
        "print_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("order_json", sa.Text(), nullable=True),
        sa.Column("download_stem", sa.String(length=100), nullable=False),
        sa.Column("labels_done", sa.Integer(), nullable=False),
        sa.Column("labels_total", sa.Integer(), nullable=False),
        sa.Column("sheets_done", sa.Integer(), nullable=False),
        sa.Column("sheets_total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_print_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_runs")),
    )
    op.create_index("ix_print_runs_status_created_at", "print_runs", ["status", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        # One notification a statement (not a row: a serial allocation inserts a thousand), on
        # the channel labelgen.registry.cache listens to; sent when the transaction commits.
        op.execute(
            f"""
            CREATE FUNCTION labelgen_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
              RETURN NULL;
            END $$
            """
        )
        for table in VERDICT_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION labelgen_registry_changed()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERDICT_TABLES:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION labelgen_registry_changed()")
    op.drop_index("ix_print_runs_status_created_at", table_name="print_runs")
    op.drop_table("print_runs")
