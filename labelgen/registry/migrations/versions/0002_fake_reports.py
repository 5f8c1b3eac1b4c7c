"""Counterfeit reports from the verification page: the code, a fixed reason, a short text, the verdict.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fake_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_url", sa.String(length=2000), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("batch", sa.String(length=20), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('code-mismatch', 'unusual-packaging', 'suspicious-seller', 'other')",
            name=op.f("ck_fake_reports_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_reports")),
    )
    op.create_index(
        "ix_fake_reports_gtin_created_at", "fake_reports", ["gtin", "created_at"], unique=False
    )
    op.create_index(
        "ix_fake_reports_code_url_created_at",
        "fake_reports",
        ["code_url", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fake_reports_code_url_created_at", table_name="fake_reports")
    op.drop_index("ix_fake_reports_gtin_created_at", table_name="fake_reports")
    op.drop_table("fake_reports")
