"""Registry tables: SQLAlchemy 2 classes for producers, products, certificates, batches, serials, scans, reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CERTIFICATE_STATUSES = ("active", "suspended", "revoked")
API_KEY_ROLES = ("issuer", "producer")
SIGNING_KEY_STATUSES = ("active", "retired")
# The reasons a consumer may give for a counterfeit report (labelgen.registry.reports).
REPORT_REASONS = ("code-mismatch", "unusual-packaging", "suspicious-seller", "other")

GTIN14_CHARS = 14
SERIAL_MAX_CHARS = 20
BATCH_MAX_CHARS = 20
SHA256_HEX_CHARS = 64

# Named constraints let a later Alembic revision drop or alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps datetimes as naive text, PostgreSQL as `timestamptz`; both read back here as
    aware UTC, so a timestamp hashed into the certificate history hashes the same after a
    round trip through either.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("registry timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Producer(Base):
    """The organisation responsible for the goods (chủ thể OCOP)."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(400))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Product(Base):
    """A product of one producer; the GTIN, when it has one, is kept as GTIN-14."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    gtin: Mapped[str | None] = mapped_column(String(GTIN14_CHARS), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    producer: Mapped[Producer] = relationship()


class Certificate(Base):
    """An OCOP certificate as the issuing body decided it, with its live status."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(_one_of("status", CERTIFICATE_STATUSES), name="status"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("scheme = 'OCOP'", name="scheme"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(100), unique=True)
    scheme: Mapped[str] = mapped_column(String(10), default="OCOP")
    stars: Mapped[int] = mapped_column(SmallInteger)
    decision_no: Mapped[str] = mapped_column(String(100))
    issued_by: Mapped[str] = mapped_column(String(300))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    province: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default="active")
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    producer: Mapped[Producer] = relationship()


class CertificateEvent(Base):
    """One change to a certificate, appended to a single hash chain over all certificates.

    `hash` is SHA-256 over `previous_hash` and the canonical JSON of the other fields (see
    labelgen.registry.history); `sequence` numbers the chain 1, 2, 3… with no gap, and both
    are unique, so two writers cannot extend the same link.
    """

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    details: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(SHA256_HEX_CHARS), unique=True)
    hash: Mapped[str] = mapped_column(String(SHA256_HEX_CHARS), unique=True)


class Batch(Base):
    """A production batch (lot) of one product, with its NSX and HSD."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("product_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(BATCH_MAX_CHARS))
    manufactured_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()


class SerialAllocation(Base):
    """One allocation request, so that a retried request returns the serials it already got."""

    __tablename__ = "serial_allocations"
    __table_args__ = (UniqueConstraint("producer_id", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producers.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Serial(Base):
    """One serialised unit; the serial is unique per product (so per GTIN).

    `product_id` repeats the batch's product so that the database itself refuses a duplicate
    serial for a GTIN, whichever batch or process allocates it.
    """

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("product_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("serial_allocations.id"), index=True)
    serial: Mapped[str] = mapped_column(String(SERIAL_MAX_CHARS))
    allocated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ScanEvent(Base):
    """One verification of a code: never the raw IP, only a salted hash of its network prefix."""

    __tablename__ = "scan_events"
    __table_args__ = (Index("ix_scan_events_serial_id_scanned_at", "serial_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("serials.id"))
    scanned_key: Mapped[str] = mapped_column(String(120))
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    network_hash: Mapped[str | None] = mapped_column(String(32))
    user_agent_family: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))


class ApiKey(Base):
    """An API key: its public id, role and producer, and only the SHA-256 of its secret."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_one_of("role", API_KEY_ROLES), name="role"),
        CheckConstraint(
            "(role = 'producer') = (producer_id IS NOT NULL)", name="producer_matches_role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id"))
    secret_hash: Mapped[str] = mapped_column(String(SHA256_HEX_CHARS))
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    producer: Mapped[Producer | None] = relationship()


class SigningKey(Base):
    """An Ed25519 public key by key id; the private key lives in a file in the key dir.

    Every `active` key verifies and the newest active key signs; a `retired` key no longer
    verifies and its private key file is deleted.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint(_one_of("status", SIGNING_KEY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(8), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FakeReport(Base):
    """A consumer's report that a scanned code may be on a fake: nothing about the reporter."""

    __tablename__ = "fake_reports"
    __table_args__ = (
        CheckConstraint(_one_of("reason", REPORT_REASONS), name="reason"),
        Index("ix_fake_reports_gtin_created_at", "gtin", "created_at"),
        Index("ix_fake_reports_code_url_created_at", "code_url", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_url: Mapped[str] = mapped_column(String(2000))
    gtin: Mapped[str | None] = mapped_column(String(GTIN14_CHARS))
    batch: Mapped[str | None] = mapped_column(String(BATCH_MAX_CHARS))
    serial: Mapped[str | None] = mapped_column(String(SERIAL_MAX_CHARS))
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


RUN_STATUSES = ("queued", "running", "done", "failed")


class PrintRun(Base):
    """A print run ordered over HTTP (labelgen.service.runs): its order until it is drawn, its
    progress and outcome, read by every server process; its files are in the run store."""

    __tablename__ = "print_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        Index("ix_print_runs_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[int] = mapped_column(Integer)  # the producer's id
    status: Mapped[str] = mapped_column(String(10))
    order_json: Mapped[str | None] = mapped_column(Text)  # dropped once the run is over
    download_stem: Mapped[str] = mapped_column(String(100))
    labels_done: Mapped[int] = mapped_column(Integer)
    labels_total: Mapped[int] = mapped_column(Integer)
    sheets_done: Mapped[int] = mapped_column(Integer)
    sheets_total: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    drawn_by: Mapped[str | None] = mapped_column(String(100))  # host:pid of the last drawer
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    error_json: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text)
