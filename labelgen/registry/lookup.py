"""Code lookup: a parsed scan + the database → one status (valid, expired, revoked…) and what the page shows.

This is the hot path of the verification page, so it runs two hand-written SQL statements on the
database driver's own cursor instead of going through SQLAlchemy: one SELECT that finds
product, producer, batch, serial, the product's certificates and the serial's scan statistics
together, and one INSERT of the scan. Building the same queries with SQLAlchemy's ORM cost 4-7
ms a scan on this project's 2-core machine, almost all of it in Python; even SQLAlchemy's
thinnest layer (exec_driver_sql) added 0.2 ms a statement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labelgen.registry import signing
from labelgen.registry.records import (
    BatchRecord,
    CertificateRecord,
    ProducerRecord,
    ProductRecord,
)
from labelgen.registry.scans import COPY_WINDOW_DAYS, may_be_copy, network_hash, user_agent_family
from labelgen.registry.signing import PublicKeyEntry, SignatureStatus, UnitClaims
from labelgen.registry.verify import UnitCode

VerificationStatus = Literal[
    "valid", "expired", "revoked", "suspended", "unknown", "invalid-signature"
]
VERIFICATION_STATUSES: tuple[VerificationStatus, ...] = (
    "valid",
    "expired",
    "revoked",
    "suspended",
    "unknown",
    "invalid-signature",
)
SCANNED_KEY_MAX_CHARS = 120
# Each statistic reads a bounded number of a serial's scans, so that scanning one code over and
# over (a copied code, or someone trying to slow the service down) never makes a scan dearer:
# the count stops at SCAN_COUNT_CAP, the copy check looks at the latest COPY_CHECK_SCANS.
SCAN_COUNT_CAP = 1000
COPY_CHECK_SCANS = 200
# Verified when a code has nothing to verify, so an unsigned or unknown code costs one Ed25519
# verification like a signed one, and the answer's timing does not tell them apart.
_DUMMY_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
_DUMMY_CLAIMS = UnitClaims("00000000000000", "-", "-")
_DUMMY_SIGNATURE = _DUMMY_KEY.sign(_DUMMY_CLAIMS.message())
# Matches no row: what an unreadable code looks for, so that it runs the same statement.
_NOTHING = ""


@dataclass(frozen=True)
class Verification:
    """The answer to a scan: one status, and what the consumer page shows.

    Registry data (`product`, `producer`, `certificate`, `batch`) is given only when the code is
    a real one (every status but `unknown` for a code not in the registry, and
    `invalid-signature`). `scan_count` and `first_verified_at` include this scan; the count
    stops at SCAN_COUNT_CAP (the page then says "1,000 or more").
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
    strings, no database ids, `status` always one of the six values. Built field by field: it
    is on the hot path, where dataclasses.asdict cost more than the lookup's SELECT."""
    code = verification.code
    return {
        "status": verification.status,
        "checked_at": verification.checked_at.isoformat(),
        "code": None if code is None else _code_document(code),
        "signature": verification.signature,
        "product": _product_document(verification.product),
        "producer": _producer_document(verification.producer),
        "certificate": _certificate_document(verification.certificate),
        "batch": _batch_document(verification.batch),
        "batch_expired": verification.batch_expired,
        "label_matches_registry": verification.label_matches_registry,
        "first_verified_at": _iso(verification.first_verified_at),
        "scan_count": verification.scan_count,
        "may_be_copy": verification.may_be_copy,
    }


def _code_document(code: UnitCode) -> dict[str, Any]:
    return {
        "gtin14": code.gtin14,
        "certificate_path": code.certificate_path,
        "batch": code.batch,
        "serial": code.serial,
        "expiry_yymmdd": code.expiry_yymmdd,
        "stars": code.stars,
        "certificate_no": code.certificate_no,
        "signature": code.signature,
    }


def _product_document(product: ProductRecord | None) -> dict[str, Any] | None:
    if product is None:
        return None
    return {"name": product.name, "gtin": product.gtin, "producer": product.producer}


def _producer_document(producer: ProducerRecord | None) -> dict[str, Any] | None:
    if producer is None:
        return None
    return {"name": producer.name, "address": producer.address, "phone": producer.phone}


def _certificate_document(certificate: CertificateRecord | None) -> dict[str, Any] | None:
    if certificate is None:
        return None
    return {
        "certificate_no": certificate.certificate_no,
        "scheme": certificate.scheme,
        "stars": certificate.stars,
        "decision_no": certificate.decision_no,
        "issued_by": certificate.issued_by,
        "issued_on": certificate.issued_on.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "province": certificate.province,
        "status": certificate.status,
        "product": _product_document(certificate.product),
        "producer": _producer_document(certificate.producer),
        "updated_at": certificate.updated_at.isoformat(),
    }


def _batch_document(batch: BatchRecord | None) -> dict[str, Any] | None:
    if batch is None:
        return None
    return {
        "code": batch.code,
        "manufactured_on": _iso(batch.manufactured_on),
        "expires_on": _iso(batch.expires_on),
        "product": _product_document(batch.product),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


_UNIT_SQL = """
SELECT p.id, p.name, p.gtin, pr.name, pr.address, pr.phone,
       b.id, b.code, b.manufactured_on, b.expires_on,
       s.id, s.batch_id,
       c.certificate_no, c.scheme, c.stars, c.decision_no, c.issued_by, c.issued_on,
       c.valid_until, c.province, c.status, c.updated_at,
       (SELECT count(*) FROM
         (SELECT 1 FROM scan_events e WHERE e.serial_id = s.id LIMIT :count_cap) counted),
       (SELECT e.scanned_at FROM scan_events e WHERE e.serial_id = s.id
         ORDER BY e.scanned_at LIMIT 1),
       (SELECT count(DISTINCT recent.network_hash) FROM
         (SELECT e.network_hash FROM scan_events e
           WHERE e.serial_id = s.id AND e.scanned_at >= :since
           ORDER BY e.scanned_at DESC LIMIT :window) recent),
       (SELECT count(*) FROM
         (SELECT e.network_hash FROM scan_events e
           WHERE e.serial_id = s.id AND e.scanned_at >= :since
           ORDER BY e.scanned_at DESC LIMIT :window) recent
         WHERE recent.network_hash = :network)
FROM products p
JOIN producers pr ON pr.id = p.producer_id
LEFT JOIN serials s ON s.product_id = p.id AND s.serial = :serial
LEFT JOIN batches b ON {batch_join}
LEFT JOIN certificates c ON c.product_id = p.id
WHERE {product_match}
ORDER BY c.issued_on DESC, c.id DESC
"""
_BY_GTIN = "p.gtin = :gtin"
_BY_CERTIFICATE = (
    "p.id = (SELECT c2.product_id FROM certificates c2 WHERE c2.certificate_no = :certificate)"
)
_BATCH_BY_CODE = "b.product_id = p.id AND b.code = :batch"
# GS1 allows GTIN + serial without the batch: the serial then names its batch.
_BATCH_OF_SERIAL = "b.id = s.batch_id"
_INSERT_SCAN_SQL = """
INSERT INTO scan_events
  (serial_id, scanned_key, scanned_at, network_hash, user_agent_family, status)
VALUES (:serial_id, :scanned_key, :scanned_at, :network_hash, :user_agent_family, :status)
"""
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class ScanDatabase:
    """A database driver's cursor (sqlite3 or psycopg) and the dialect it speaks."""

    cursor: Any
    dialect: str

    def run(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement (none for an INSERT); `sql` names parameters :like_this."""
        self.cursor.execute(_driver_sql(self.dialect, sql), parameters)
        return list(self.cursor.fetchall()) if self.cursor.description else []


@dataclass(frozen=True)
class _Unit:
    """What the SELECT found: product and producer, batch, serial, certificates newest first."""

    product: ProductRecord | None = None
    producer: ProducerRecord | None = None
    batch: BatchRecord | None = None
    serial_id: int | None = None
    serial_batch_id: int | None = None
    certificates: tuple[CertificateRecord, ...] = ()
    scan_count: int = 0
    first_scanned_at: dt.datetime | None = None
    recent_networks: int = 0
    network_seen: bool = False


def look_up_code(
    database: ScanDatabase,
    code: UnitCode | None,
    *,
    keys: Mapping[str, PublicKeyEntry],
    now: dt.datetime,
    today: dt.date,
    client_address: str | None,
    user_agent: str | None,
    scan_salt: bytes,
) -> Verification:
    """Verify a parsed code (None when unreadable) and record the scan, keeping no raw IP.

    The work done does not depend on whether the code is known: one signature check, the same
    SELECT and one INSERT, so an unknown serial is answered as fast as a real one and timing
    does not help anyone guess serials. The caller commits (see Registry.look_up).
    """
    signature_status = _check_signature(keys, code)
    network = network_hash(client_address, scan_salt)
    unit = _find_unit(database, code, network, now)
    certificate = _cited_certificate(unit, code)
    found = _unit_found(unit, code)
    status = _decide_status(signature_status, found, certificate, today)
    shows_registry_data = found and status != "invalid-signature"
    serial_id = unit.serial_id if shows_registry_data else None
    _record_scan(database, code, serial_id, now, network, user_agent, status)
    if not shows_registry_data or unit.product is None:
        return Verification(status, now, code, signature_status)
    return _verification(status, now, code, signature_status, unit, certificate, network, today)


def _check_signature(keys: Mapping[str, PublicKeyEntry], code: UnitCode | None) -> SignatureStatus:
    claims = code.claims() if code is not None else None
    if claims is None or code is None or not code.signature:
        _DUMMY_KEY.public_key().verify(_DUMMY_SIGNATURE, _DUMMY_CLAIMS.message())
        return "unsigned"
    return signing.verify_claims(claims, code.signature, keys)


def _find_unit(
    database: ScanDatabase, code: UnitCode | None, network: str | None, now: dt.datetime
) -> _Unit:
    """Everything about a code in one SELECT (run even for an unreadable code, so that every
    answer costs the same)."""
    by_certificate = code is not None and code.gtin14 is None
    with_batch = code is None or code.batch is not None
    sql = _unit_sql(by_certificate, with_batch)
    since = now - dt.timedelta(days=COPY_WINDOW_DAYS)
    parameters = {
        "gtin": code.gtin14 if code is not None and code.gtin14 else _NOTHING,
        "certificate": (code.certificate_path if code is not None else None) or _NOTHING,
        "batch": (code.batch if code is not None else None) or _NOTHING,
        "serial": (code.serial if code is not None else None) or _NOTHING,
        "since": _bind_time(database.dialect, since),
        "network": network or _NOTHING,
        "count_cap": SCAN_COUNT_CAP,
        "window": COPY_CHECK_SCANS,
    }
    rows = database.run(sql, parameters)
    if not rows:
        return _Unit()
    return _unit_from_rows(rows)


def _unit_from_rows(rows: Any) -> _Unit:
    first = rows[0]
    producer = ProducerRecord(first[3], first[4], first[5])
    product = ProductRecord(first[0], first[1], first[2], producer.name)
    batch = None
    if first[6] is not None:
        batch = BatchRecord(first[6], first[7], _as_date(first[8]), _as_date(first[9]), product)
    certificates = tuple(
        CertificateRecord(
            certificate_no=row[12],
            scheme=row[13],
            stars=int(row[14]),
            decision_no=row[15],
            issued_by=row[16],
            issued_on=_required_date(row[17]),
            valid_until=_required_date(row[18]),
            province=row[19],
            status=row[20],
            product=product,
            producer=producer,
            updated_at=_required_time(row[21]),
        )
        for row in rows
        if row[12] is not None
    )
    return _Unit(
        product=product,
        producer=producer,
        batch=batch,
        serial_id=first[10],
        serial_batch_id=first[11],
        certificates=certificates,
        scan_count=int(first[22] or 0),
        first_scanned_at=_as_time(first[23]),
        recent_networks=int(first[24] or 0),
        network_seen=bool(first[25]),
    )


def _record_scan(
    database: ScanDatabase,
    code: UnitCode | None,
    serial_id: int | None,
    now: dt.datetime,
    network: str | None,
    user_agent: str | None,
    status: VerificationStatus,
) -> None:
    parameters = {
        "serial_id": serial_id,
        "scanned_key": (code.key if code else "unreadable")[:SCANNED_KEY_MAX_CHARS],
        "scanned_at": _bind_time(database.dialect, now),
        "network_hash": network,
        "user_agent_family": user_agent_family(user_agent),
        "status": status,
    }
    database.run(_INSERT_SCAN_SQL, parameters)


@cache
def _unit_sql(by_certificate: bool, with_batch: bool) -> str:
    return _UNIT_SQL.format(
        product_match=_BY_CERTIFICATE if by_certificate else _BY_GTIN,
        batch_join=_BATCH_BY_CODE if with_batch else _BATCH_OF_SERIAL,
    )


@cache
def _driver_sql(dialect: str, sql: str) -> str:
    """`sql` with :name parameters in the driver's own style (psycopg wants %(name)s)."""
    if dialect == "postgresql":
        return _NAMED_PARAMETER.sub(r"%(\1)s", sql)
    return sql


def _bind_time(dialect: str, moment: dt.datetime) -> Any:
    # Stored as the registry's UTCDateTime stores it: naive UTC text on SQLite, timestamptz on
    # PostgreSQL (see labelgen.registry.models), so that comparisons and min() agree with it.
    moment = moment.astimezone(dt.UTC)
    if dialect == "sqlite":
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _required_date(value: Any) -> dt.date:
    date = _as_date(value)
    assert date is not None
    return date


def _as_time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _required_time(value: Any) -> dt.datetime:
    moment = _as_time(value)
    assert moment is not None
    return moment


def _cited_certificate(unit: _Unit, code: UnitCode | None) -> CertificateRecord | None:
    """The certificate the code cites when it is the product's, else the product's latest."""
    cited = code.certificate_no or code.certificate_path if code else None
    for certificate in unit.certificates:
        if certificate.certificate_no == cited:
            return certificate
    return unit.certificates[0] if unit.certificates else None


def _unit_found(unit: _Unit, code: UnitCode | None) -> bool:
    if code is None or unit.product is None:
        return False
    if code.serial is None:
        return True
    return (
        unit.serial_id is not None
        and unit.batch is not None
        and unit.serial_batch_id == unit.batch.id
    )


def _decide_status(
    signature_status: SignatureStatus,
    found: bool,
    certificate: CertificateRecord | None,
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


def _verification(
    status: VerificationStatus,
    now: dt.datetime,
    code: UnitCode | None,
    signature_status: SignatureStatus,
    unit: _Unit,
    certificate: CertificateRecord | None,
    network: str | None,
    today: dt.date,
) -> Verification:
    """The verdict with the registry's data; the scan statistics include this scan."""
    batch = unit.batch
    has_serial = unit.serial_id is not None
    new_network = network is not None and not unit.network_seen
    first_at = unit.first_scanned_at or now
    return Verification(
        status=status,
        checked_at=now,
        code=code,
        signature=signature_status,
        product=unit.product,
        producer=unit.producer,
        certificate=certificate,
        batch=batch,
        batch_expired=bool(batch and batch.expires_on and batch.expires_on < today),
        label_matches_registry=_label_matches(code, certificate),
        first_verified_at=min(first_at, now) if has_serial else None,
        scan_count=min(unit.scan_count + 1, SCAN_COUNT_CAP) if has_serial else 0,
        may_be_copy=has_serial and may_be_copy(unit.recent_networks + new_network),
    )


def _label_matches(code: UnitCode | None, certificate: CertificateRecord | None) -> bool:
    """False when the code claims stars (or a certificate number) other than the registry's."""
    if code is None or (code.stars is None and code.certificate_no is None):
        return True
    if certificate is None:
        return False
    stars_match = code.stars is None or code.stars == certificate.stars
    number_matches = (
        code.certificate_no is None or code.certificate_no == certificate.certificate_no
    )
    return stars_match and number_matches
