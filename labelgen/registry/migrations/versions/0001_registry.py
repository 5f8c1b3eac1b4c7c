"""Registry tables: producers, products, certificates and their history, batches, serials, scans, API and signing keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "producers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_producers")),
        sa.UniqueConstraint("name", name=op.f("uq_producers_name")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'retired')", name=op.f("ck_signing_keys_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_keys_kid")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'producer') = (producer_id IS NOT NULL)",
            name=op.f("ck_api_keys_producer_matches_role"),
        ),
        sa.CheckConstraint("role IN ('issuer', 'producer')", name=op.f("ck_api_keys_role")),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producers.id"], name=op.f("fk_api_keys_producer_id_producers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producers.id"], name=op.f("fk_products_producer_id_producers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
    )
    op.create_index(op.f("ix_products_producer_id"), "products", ["producer_id"], unique=False)

    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_batches_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("product_id", "code", name=op.f("uq_batches_product_id_code")),
    )
    op.create_index(op.f("ix_batches_product_id"), "batches", ["product_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_no", sa.String(length=100), nullable=False),
        sa.Column("scheme", sa.String(length=10), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("decision_no", sa.String(length=100), nullable=False),
        sa.Column("issued_by", sa.String(length=300), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scheme = 'OCOP'", name=op.f("ck_certificates_scheme")),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'revoked')", name=op.f("ck_certificates_status")
        ),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_certificates_stars")),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producers.id"], name=op.f("fk_certificates_producer_id_producers")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_certificates_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("certificate_no", name=op.f("uq_certificates_certificate_no")),
    )
    op.create_index(
        op.f("ix_certificates_producer_id"), "certificates", ["producer_id"], unique=False
    )
    op.create_index(
        op.f("ix_certificates_product_id"), "certificates", ["product_id"], unique=False
    )

    op.create_table(
        "certificate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_events_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_certificate_events_hash")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_certificate_events_previous_hash")),
        sa.UniqueConstraint("sequence", name=op.f("uq_certificate_events_sequence")),
    )
    op.create_index(
        op.f("ix_certificate_events_certificate_id"),
        "certificate_events",
        ["certificate_id"],
        unique=False,
    )

    op.create_table(
        "serial_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_serial_allocations_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producers.id"],
            name=op.f("fk_serial_allocations_producer_id_producers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_allocations")),
        sa.UniqueConstraint(
            "producer_id", "request_id", name=op.f("uq_serial_allocations_producer_id_request_id")
        ),
    )
    op.create_index(
        op.f("ix_serial_allocations_batch_id"), "serial_allocations", ["batch_id"], unique=False
    )

    op.create_table(
        "serials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["serial_allocations.id"],
            name=op.f("fk_serials_allocation_id_serial_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_serials_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_serials_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serials")),
        sa.UniqueConstraint("product_id", "serial", name=op.f("uq_serials_product_id_serial")),
    )
    op.create_index(op.f("ix_serials_allocation_id"), "serials", ["allocation_id"], unique=False)
    op.create_index(op.f("ix_serials_batch_id"), "serials", ["batch_id"], unique=False)

    op.create_table(
        "scan_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial_id", sa.Integer(), nullable=True),
        sa.Column("scanned_key", sa.String(length=120), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("network_hash", sa.String(length=32), nullable=True),
        sa.Column("user_agent_family", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["serial_id"], ["serials.id"], name=op.f("fk_scan_events_serial_id_serials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_events")),
    )
    op.create_index(
        "ix_scan_events_serial_id_scanned_at",
        "scan_events",
        ["serial_id", "scanned_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_scan_events_serial_id_scanned_at", table_name="scan_events")

    op.drop_table("scan_events")
    op.drop_index(op.f("ix_serials_batch_id"), table_name="serials")
    op.drop_index(op.f("ix_serials_allocation_id"), table_name="serials")

    op.drop_table("serials")
    op.drop_index(op.f("ix_serial_allocations_batch_id"), table_name="serial_allocations")

    op.drop_table("serial_allocations")
    op.drop_index(op.f("ix_certificate_events_certificate_id"), table_name="certificate_events")

    op.drop_table("certificate_events")
    op.drop_index(op.f("ix_certificates_product_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_producer_id"), table_name="certificates")

    op.drop_table("certificates")
    op.drop_index(op.f("ix_batches_product_id"), table_name="batches")

    op.drop_table("batches")
    op.drop_index(op.f("ix_products_producer_id"), table_name="products")

    op.drop_table("products")
    op.drop_table("api_keys")
    op.drop_table("signing_keys")
    op.drop_table("producers")
