"""Code lookup: a parsed scan + the database → one status (valid, expired, revoked…) and what the page shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, and_, case, func, insert, select, text
from sqlalchemy.orm import Session, contains_eager

from labelgen.registry import signing
from labelgen.registry.models import Batch, Certificate, Product, ScanEvent, Serial
from labelgen.registry.records import (
    BatchRecord,
    CertificateRecord,
    ProducerRecord,
    ProductRecord,
    batch_record,
    certificate_record,
    producer_record,
    product_record,
)
from labelgen.registry.scans import COPY_WINDOW_DAYS, may_be_copy, network_hash, user_agent_family
from labelgen.registry.signing import SignatureStatus, UnitClaims
from labelgen.registry.verify import UnitCode

VerificationStatus = Literal[
    "valid", "expired", "revoked", "suspended", "unknown", "invalid-signature"
]
SCANNED_KEY_MAX_CHARS = 120
SCAN_EVENTS = cast(Table, ScanEvent.__table__)
# Verified when a code has nothing to verify, so an unsigned or unknown code costs one Ed25519
# verification like a signed one, and the answer's timing does not tell them apart.
_DUMMY_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
_DUMMY_CLAIMS = UnitClaims("00000000000000", "-", "-")
_DUMMY_SIGNATURE = _DUMMY_KEY.sign(_DUMMY_CLAIMS.message())


@dataclass(frozen=True)
class Verification:
    """The answer to a scan: one status, and what the consumer page shows.

    Registry data (`product`, `producer`, `certificate`, `batch`) is given only when the code is
    a real one (every status but `unknown` for a code not in the registry, and
    `invalid-signature`). `scan_count` and `first_verified_at` include this scan.
    `label_matches_registry` is False when the code cites stars or a certificate number that
    differ from the registry's (a label printed before a re-ranking, or an unsigned code that
    was edited).
    """

    status: VerificationStatus
    checked_at: dt.datetime
    code: UnitCode | None
    signature: SignatureStatus
    product: ProductRecord | None = None
    producer: ProducerRecord | None = None
    certificate: CertificateRecord | None = None
    batch: BatchRecord | None = None
    batch_expired: bool = False
    label_matches_registry: bool = True
    first_verified_at: dt.datetime | None = None
    scan_count: int = 0
    may_be_copy: bool = False


def verification_document(verification: Verification) -> dict[str, Any]:
    """The JSON form of a verdict (the page's `Accept: application/json` answer): dates as ISO
    strings, no database ids, `status` always one of the six values."""
    document = _json_ready(asdict(verification))
    assert isinstance(document, dict)
    return document


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Unit:
    product: Product | None
    batch: Batch | None
    serial: Serial | None
    certificates: tuple[Certificate, ...] = ()


@dataclass(frozen=True)
class _ScanStatistics:
    count: int
    first_at: dt.datetime | None
    recent_networks: int


def look_up_code(
    session: Session,
    code: UnitCode | None,
    *,
    now: dt.datetime,
    today: dt.date,
    client_address: str | None,
    user_agent: str | None,
    scan_salt: bytes,
) -> Verification:
    """Verify a parsed code (None when unreadable) and record the scan, keeping no raw IP.

    The work done does not depend on whether the code is known: one signature check, the same
    three queries and one insert, so an unknown serial is answered as fast as a real one and
    timing does not help anyone guess serials.
    """
    if session.get_bind().dialect.name == "postgresql":
        # A scan is worth less than the wait for its commit to reach the disk: after a crash the
        # last few scans may be lost, never a certificate change (those commit synchronously).
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    signature_status = _check_signature(session, code)
    unit = _find_unit(session, code)
    certificate = _cited_certificate(unit, code)
    found = _unit_found(unit, code)
    status = _decide_status(signature_status, found, certificate, today)
    shows_registry_data = found and status != "invalid-signature"
    serial_id = unit.serial.id if shows_registry_data and unit.serial else None
    # A plain INSERT: the ORM's unit of work would cost more than the rest of the scan.
    session.execute(
        insert(SCAN_EVENTS).values(
            serial_id=serial_id,
            scanned_key=(code.key if code else "unreadable")[:SCANNED_KEY_MAX_CHARS],
            scanned_at=now,
            network_hash=network_hash(client_address, scan_salt),
            user_agent_family=user_agent_family(user_agent),
            status=status,
        )
    )
    statistics = _scan_statistics(session, serial_id, now)
    if not shows_registry_data or unit.product is None:
        return Verification(status, now, code, signature_status)
    return _verification(status, now, code, signature_status, unit, certificate, statistics, today)


def _check_signature(session: Session, code: UnitCode | None) -> SignatureStatus:
    keys = signing.published_keys(session)
    claims = code.claims() if code is not None else None
    if claims is None or code is None or not code.signature:
        _DUMMY_KEY.public_key().verify(_DUMMY_SIGNATURE, _DUMMY_CLAIMS.message())
        return "unsigned"
    return signing.verify_claims(claims, code.signature, keys)


def _find_unit(session: Session, code: UnitCode | None) -> Unit:
    """Product, batch, serial and certificates of a code in one query (run even for an
    unreadable code, so that every answer costs the same)."""
    if code is not None and code.gtin14 is not None:
        product_condition = Product.gtin == code.gtin14
    elif code is not None and code.certificate_path is not None:
        product_condition = Product.id == (
            select(Certificate.product_id)
            .where(Certificate.certificate_no == code.certificate_path)
            .scalar_subquery()
        )
    else:
        product_condition = Product.id == -1
    if code is not None and code.batch is not None:
        batch_condition = and_(Batch.product_id == Product.id, Batch.code == code.batch)
    else:
        # GS1 allows GTIN + serial without the batch: the serial then names its batch.
        batch_condition = Batch.id == Serial.batch_id
    statement = (
        select(Product, Batch, Serial, Certificate)
        .join(Product.producer)
        # Filled from this query's row, so building the answer needs no further query.
        .options(contains_eager(Product.producer))
        .outerjoin(
            Serial,
            and_(
                Serial.product_id == Product.id,
                Serial.serial == (code.serial if code and code.serial else ""),
            ),
        )
        .outerjoin(Batch, batch_condition)
        .outerjoin(Certificate, Certificate.product_id == Product.id)
        .where(product_condition)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    )
    rows = session.execute(statement).all()
    if not rows:
        return Unit(None, None, None)
    certificates = tuple(row[3] for row in rows if row[3] is not None)
    return Unit(rows[0][0], rows[0][1], rows[0][2], certificates)


def _cited_certificate(unit: Unit, code: UnitCode | None) -> Certificate | None:
    """The certificate the code cites when it is the product's, else the product's latest."""
    cited = code.certificate_no or code.certificate_path if code else None
    for certificate in unit.certificates:
        if certificate.certificate_no == cited:
            return certificate
    return unit.certificates[0] if unit.certificates else None


def _unit_found(unit: Unit, code: UnitCode | None) -> bool:
    if code is None or unit.product is None:
        return False
    if code.serial is None:
        return True
    return (
        unit.serial is not None and unit.batch is not None and unit.serial.batch_id == unit.batch.id
    )


def _decide_status(
    signature_status: SignatureStatus,
    found: bool,
    certificate: Certificate | None,
    today: dt.date,
) -> VerificationStatus:
    if signature_status in ("invalid-signature", "unknown-key"):
        return "invalid-signature"
    if not found or certificate is None:
        return "unknown"
    if certificate.status == "revoked":
        return "revoked"
    if certificate.status == "suspended":
        return "suspended"
    if certificate.valid_until < today:
        return "expired"
    return "valid"


def _scan_statistics(session: Session, serial_id: int | None, now: dt.datetime) -> _ScanStatistics:
    since = now - dt.timedelta(days=COPY_WINDOW_DAYS)
    recent_network = case((ScanEvent.scanned_at >= since, ScanEvent.network_hash), else_=None)
    row = session.execute(
        select(
            func.count(ScanEvent.id),
            func.min(ScanEvent.scanned_at),
            func.count(func.distinct(recent_network)),
        ).where(ScanEvent.serial_id == (serial_id if serial_id is not None else -1))
    ).one()
    first_at = row[1]
    if isinstance(first_at, str):  # SQLite hands aggregates back as text, untyped
        first_at = dt.datetime.fromisoformat(first_at)
    if first_at is not None and first_at.tzinfo is None:
        first_at = first_at.replace(tzinfo=dt.UTC)
    return _ScanStatistics(int(row[0]), first_at, int(row[2]))


def _verification(
    status: VerificationStatus,
    now: dt.datetime,
    code: UnitCode | None,
    signature_status: SignatureStatus,
    unit: Unit,
    certificate: Certificate | None,
    statistics: _ScanStatistics,
    today: dt.date,
) -> Verification:
    assert unit.product is not None
    batch = unit.batch
    return Verification(
        status=status,
        checked_at=now,
        code=code,
        signature=signature_status,
        product=product_record(unit.product),
        producer=producer_record(unit.product.producer),
        certificate=certificate_record(certificate) if certificate is not None else None,
        batch=batch_record(batch) if batch is not None else None,
        batch_expired=bool(batch and batch.expires_on and batch.expires_on < today),
        label_matches_registry=_label_matches(code, certificate),
        first_verified_at=statistics.first_at if unit.serial else None,
        scan_count=statistics.count if unit.serial else 0,
        may_be_copy=bool(unit.serial) and may_be_copy(statistics.recent_networks),
    )


def _label_matches(code: UnitCode | None, certificate: Certificate | None) -> bool:
    if code is None or code.stars is None:
        return True
    return certificate is not None and (code.stars, code.certificate_no) == (
        certificate.stars,
        certificate.certificate_no,
    )
