"""Code lookup: a parsed scan + the database → one status (valid, expired, revoked…) and what the page shows.

This is the hot path of the verification page, so it runs hand-written SQL on the database
driver's own cursor instead of going through SQLAlchemy: one SELECT that finds product,
producer, batch, serial, the product's certificates and the serial's scan statistics together,
and the scan's INSERT. Building the same queries with SQLAlchemy's ORM cost 4-7 ms a scan on
this project's 2-core machine, almost all of it in Python; even SQLAlchemy's thinnest layer
(exec_driver_sql) added 0.2 ms a statement.

The INSERT is run at once (`Registry.look_up`), or queued in a ScanBuffer that the service
writes every fraction of a second in one statement: a scan then costs one SELECT, and a
committed transaction (a write lock on SQLite, a round trip on PostgreSQL) is shared by a few
hundred scans. Until they are written, the buffer adds its scans to the statistics the SELECT
reads, so a serial's count, first scan and copy check stay exact within the process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labelgen.registry import signing
from labelgen.registry.records import (
    BatchRecord,
    CertificateRecord,
    ProducerRecord,
    ProductRecord,
)
from labelgen.registry.scans import (
    COPY_DISTINCT_NETWORKS,
    COPY_WINDOW_DAYS,
    may_be_copy,
    network_hash,
    user_agent_family,
)
from labelgen.registry.signing import PublicKeyEntry, SignatureStatus, UnitClaims
from labelgen.registry.verify import UnitCode

VerificationStatus = Literal[
    "valid", "certified", "expired", "revoked", "suspended", "unknown", "invalid-signature"
]
VERIFICATION_STATUSES: tuple[VerificationStatus, ...] = (
    "valid",
    "certified",
    "expired",
    "revoked",
    "suspended",
    "unknown",
    "invalid-signature",
)
# Why a verdict is what it is, for the page's wording and for people reading the JSON.
VerdictReason = Literal[
    "signed-unit",  # valid: a serial the registry issued, signed with a key it publishes
    "no-serial",  # certified (or unknown without the registry): a batch, not one package
    "unsigned-unit",  # certified: a registered serial that could not be signed (no GTIN or key)
    "certificate",  # expired, revoked, suspended: what the certificate says
    "unreadable",  # unknown: not a code of this service
    "unknown-product",  # unknown: no registered product has this GTIN or certificate
    "no-batch",  # unknown: the code names no batch (a GTIN alone)
    "unknown-batch",  # unknown: the product is registered, this batch is not
    "unknown-serial",  # unknown: this serial was not issued for this batch
    "no-certificate",  # unknown: the product has no certificate in the registry
    "signature-missing",  # invalid-signature: a unit the registry signs, without its signature
    "signature-wrong",  # invalid-signature: the signature does not match the code
    "key-not-valid",  # invalid-signature: signed with a retired or unpublished key
]
VERDICT_REASONS: tuple[VerdictReason, ...] = get_args(VerdictReason)
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
_DUMMY_MESSAGE = _DUMMY_CLAIMS.message()
_DUMMY_SIGNATURE = _DUMMY_KEY.sign(_DUMMY_MESSAGE)
_DUMMY_PUBLIC_KEY = _DUMMY_KEY.public_key()
# Matches no row: what an unreadable code looks for, so that it runs the same statement.
_NOTHING = ""
# A buffer holds at most this many scans (a minute at a thousand scans a second): when the
# database cannot take them for longer, the oldest are dropped rather than the memory.
MAX_BUFFERED_SCANS = 60_000
# Rows of one INSERT (SQLite allows 32,766 parameters a statement, PostgreSQL 65,535).
SCAN_ROWS_PER_STATEMENT = 500
# A lookup that overlaps a buffer's commit reads again (see ScanBuffer); after this many tries
# it keeps its last reading, which may count the scans being written once too often or not.
CONSISTENT_READ_ATTEMPTS = 3
COMMIT_WAIT_S = 0.05


@dataclass(frozen=True)
class Verification:
    """The answer to a scan: one status, why (`reason`), and what the consumer page shows.

    Registry data (`product`, `producer`, `certificate`, `batch`) is given only when the code
    names a registered batch (every status but `unknown` and `invalid-signature`).
    `batch_expired` is true when that batch is past its expiry date, whatever the certificate
    says. `scan_count` and `first_verified_at` include this scan; the count
    stops at SCAN_COUNT_CAP (the page then says "1,000 or more").
    `label_matches_registry` is False when the code cites stars or a certificate number that
    differ from the registry's (a label printed before a re-ranking, or an unsigned code that
    was edited).
    """

    status: VerificationStatus
    checked_at: dt.datetime
    code: UnitCode | None
    signature: SignatureStatus
    reason: VerdictReason = "unreadable"
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
    strings, no database ids, `status` always one of VERIFICATION_STATUSES. Built field by field: it
    is on the hot path, where dataclasses.asdict cost more than the lookup's SELECT."""
    code = verification.code
    return {
        "status": verification.status,
        "checked_at": verification.checked_at.isoformat(),
        "code": None if code is None else _code_document(code),
        "signature": verification.signature,
        "reason": verification.reason,
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
       (SELECT {join_texts}(seen.network_hash, ',') FROM
         (SELECT DISTINCT recent.network_hash FROM
           (SELECT e.network_hash FROM scan_events e
             WHERE e.serial_id = s.id AND e.scanned_at >= :since
             ORDER BY e.scanned_at DESC LIMIT :window) recent
           WHERE recent.network_hash IS NOT NULL LIMIT :networks) seen)
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
# The copy check needs the distinct networks themselves (to add the buffered scans' to them),
# not their count; it never needs more than COPY_DISTINCT_NETWORKS of them.
_JOIN_TEXTS = {"sqlite": "group_concat", "postgresql": "string_agg"}
_SCAN_COLUMNS = (
    "serial_id",
    "scanned_key",
    "scanned_at",
    "network_hash",
    "user_agent_family",
    "status",
)
_INSERT_SCAN_SQL = f"""
INSERT INTO scan_events ({", ".join(_SCAN_COLUMNS)})
VALUES ({", ".join(":" + column for column in _SCAN_COLUMNS)})
"""
_DRIVER_PLACEHOLDERS = {"sqlite": "?", "postgresql": "%s"}
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

    def insert_scans(self, rows: list[dict[str, Any]]) -> None:
        """Insert scan rows (as `_scan_row` binds them), a few hundred to a statement, in one
        transaction that is left open: the caller commits (or rolls back)."""
        # A write transaction from the start on SQLite, so that waiting for another process's
        # write happens here, before anything is written (see ScanBuffer.flush).
        self.cursor.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        for start in range(0, len(rows), SCAN_ROWS_PER_STATEMENT):
            chunk = rows[start : start + SCAN_ROWS_PER_STATEMENT]
            values = [row[column] for row in chunk for column in _SCAN_COLUMNS]
            self.cursor.execute(_insert_rows_sql(self.dialect, len(chunk)), values)

    def commit(self) -> None:
        """End the transaction `insert_scans` began."""
        self.cursor.execute("COMMIT")

    def rollback(self) -> None:
        self.cursor.execute("ROLLBACK")


@dataclass(frozen=True)
class UnitReading:
    """What a lookup's SELECT found: product and producer, batch, serial, certificates newest
    first, and the serial's scan statistics (before this scan)."""

    product: ProductRecord | None = None
    producer: ProducerRecord | None = None
    batch: BatchRecord | None = None
    serial_id: int | None = None
    serial_batch_id: int | None = None
    certificates: tuple[CertificateRecord, ...] = ()
    scan_count: int = 0
    first_scanned_at: dt.datetime | None = None
    recent_networks: frozenset[str] = frozenset()


def _always(_error: BaseException) -> bool:
    return True


@dataclass(frozen=True)
class BufferedScan:
    """A scan waiting in a ScanBuffer: its row, and what it adds to its serial's statistics."""

    serial_id: int | None
    scanned_at: dt.datetime
    network: str | None
    row: dict[str, Any]


class ScanBuffer:
    """Scans not yet written, written by `flush` in one transaction; thread-safe.

    A lookup reads the database and then adds the buffered scans of its serial. While a flush
    commits, its scans are in the database and in the buffer at once, or in neither, depending
    on when the lookup's SELECT ran; so a flush marks its commit, and a lookup that overlaps
    one (seen by a changed generation number, as in a seqlock) reads again.
    """

    def __init__(self, max_scans: int = MAX_BUFFERED_SCANS) -> None:
        self.max_scans = max_scans
        self.dropped = 0
        self._changed = threading.Condition()
        self._flushing = threading.Lock()
        self._pending: dict[int | None, list[BufferedScan]] = {}
        self._writing: dict[int | None, list[BufferedScan]] = {}
        self._count = 0
        self._generation = 0
        self._committing = False

    def __len__(self) -> int:
        return self._count

    def add(self, scan: BufferedScan) -> None:
        with self._changed:
            if self._count >= self.max_scans and self._pending:
                self._drop_oldest()
            self._pending.setdefault(scan.serial_id, []).append(scan)
            self._count += 1

    def begin_read(self) -> int:
        """The generation a lookup starts at; waits (briefly) for a commit in progress."""
        with self._changed:
            self._changed.wait_for(lambda: not self._committing, timeout=COMMIT_WAIT_S)
            return -1 if self._committing else self._generation

    def end_read(self, generation: int, serial_id: int | None) -> tuple[UnitReading, bool]:
        """The buffered statistics of `serial_id` (as a UnitReading to merge), and whether no commit
        overlapped the read that began at `generation`."""
        with self._changed:
            consistent = generation == self._generation and not self._committing
            scans = [
                *self._writing.get(serial_id, ()),
                *self._pending.get(serial_id, ()),
            ]
        if serial_id is None or not scans:
            return UnitReading(), consistent
        buffered = UnitReading(
            scan_count=len(scans),
            first_scanned_at=min(scan.scanned_at for scan in scans),
            recent_networks=frozenset(scan.network for scan in scans if scan.network is not None),
        )
        return buffered, consistent

    def flush(
        self, database: ScanDatabase, keep_on: Callable[[BaseException], bool] = _always
    ) -> int:
        """Write the buffered scans in one transaction; how many. On a failure the error is
        raised, and the scans stay buffered for the next flush when `keep_on(error)` is true,
        else they are dropped (rows the database refuses would be refused at every flush)."""
        with self._flushing:
            with self._changed:
                self._writing, self._pending = self._pending, {}
                rows = [scan.row for scans in self._writing.values() for scan in scans]
            if not rows:
                return 0
            try:
                database.insert_scans(rows)
                self._set_committing(True)
                database.commit()
            except BaseException as error:
                _roll_back_quietly(database)
                if keep_on(error):
                    self._restore_writing()
                else:
                    self.dropped += len(rows)
                raise
            finally:
                self._end_commit()
            return len(rows)

    def _set_committing(self, committing: bool) -> None:
        with self._changed:
            self._committing = committing

    def _end_commit(self) -> None:
        with self._changed:
            self._count -= sum(len(scans) for scans in self._writing.values())
            self._writing = {}
            self._committing = False
            self._generation += 1
            self._changed.notify_all()

    def _restore_writing(self) -> None:
        with self._changed:
            for serial_id, scans in self._writing.items():
                self._pending[serial_id] = scans + self._pending.get(serial_id, [])
            self._writing = {}

    def _drop_oldest(self) -> None:
        serial_id, scans = min(self._pending.items(), key=lambda item: item[1][0].scanned_at)
        scans.pop(0)
        if not scans:
            del self._pending[serial_id]
        self._count -= 1
        self.dropped += 1


def _roll_back_quietly(database: ScanDatabase) -> None:
    # The connection may be gone with the error that brought us here, which is the one to raise.
    with contextlib.suppress(Exception):
        database.rollback()


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
    buffer: ScanBuffer | None = None,
) -> Verification:
    """Verify a parsed code (None when unreadable) and record the scan, keeping no raw IP.

    The work done does not depend on whether the code is known: one signature check, the same
    SELECT and one INSERT (or one buffered scan), so an unknown serial is answered as fast as a
    real one and timing does not help anyone guess serials. Without a `buffer` the INSERT runs
    here and the caller commits (see Registry.look_up); with one, the scan joins the buffer.
    """
    reading = read_unit(database, code, now, buffer)
    verification, scan = judge_scan(
        code,
        reading,
        keys=keys,
        now=now,
        today=today,
        client_address=client_address,
        user_agent=user_agent,
        scan_salt=scan_salt,
        dialect=database.dialect,
    )
    if buffer is None:
        database.run(_INSERT_SCAN_SQL, scan.row)
    else:
        buffer.add(scan)
    return verification


def read_unit(
    database: ScanDatabase,
    code: UnitCode | None,
    now: dt.datetime,
    buffer: ScanBuffer | None = None,
) -> UnitReading:
    """What the registry holds on a code, in one SELECT (run even for an unreadable code, so
    that every answer costs the same), with the scans `buffer` holds added to the serial's
    statistics: the part of a lookup that waits for the database."""
    if buffer is None:
        return _find_unit(database, code, now)
    for _ in range(CONSISTENT_READ_ATTEMPTS):
        generation = buffer.begin_read()
        reading = _find_unit(database, code, now)
        buffered, consistent = buffer.end_read(generation, reading.serial_id)
        if consistent:
            break
    first_times = [at for at in (reading.first_scanned_at, buffered.first_scanned_at) if at]
    return replace(
        reading,
        scan_count=reading.scan_count + buffered.scan_count,
        first_scanned_at=min(first_times, default=None),
        recent_networks=reading.recent_networks | buffered.recent_networks,
    )


def judge_scan(
    code: UnitCode | None,
    reading: UnitReading,
    *,
    keys: Mapping[str, PublicKeyEntry],
    now: dt.datetime,
    today: dt.date,
    client_address: str | None,
    user_agent: str | None,
    scan_salt: bytes,
    dialect: str,
) -> tuple[Verification, BufferedScan]:
    """The verdict on a code from what `read_unit` found, and the scan to record (keeping only
    the salted hash of the client's network): the part of a lookup that only computes."""
    signature_status = _check_signature(keys, code)
    network = network_hash(client_address, scan_salt)
    certificate = _cited_certificate(reading, code)
    status, reason = decide_status(
        code, signature_status, reading, certificate, today, signs_units=bool(keys)
    )
    shows_registry_data = status not in ("unknown", "invalid-signature")
    serial_id = reading.serial_id if shows_registry_data else None
    row = _scan_row(dialect, code, serial_id, now, network, user_agent, status)
    scan = BufferedScan(serial_id, now, network, row)
    if not shows_registry_data or reading.product is None:
        return Verification(status, now, code, signature_status, reason), scan
    verification = _verification(
        status, reason, now, code, signature_status, reading, certificate, network, today
    )
    return verification, scan


def signature_verdict(
    code: UnitCode, signature_status: SignatureStatus, *, signs_units: bool
) -> tuple[VerificationStatus, VerdictReason]:
    """The verdict on a code from its signature alone (`labelgen verify --keys FILE`, with no
    registry at hand), in the words of `decide_status` wherever the signature settles it.

    A serialised code without a signature, from a registry that signs (`signs_units`: it
    publishes keys), is `invalid-signature`, as the registry answers for a unit it issued
    signed; only the registry can tell a made-up serial (`unknown`) from a stripped one. A
    code that carries no signature otherwise proves nothing on its own: `unknown` here, where
    the registry may answer `certified`.
    """
    failed = _signature_failure(signature_status)
    if failed is not None:
        return "invalid-signature", failed
    if signature_status == "valid":
        return "valid", "signed-unit"
    if code.claims() is not None and signs_units:
        return "invalid-signature", "signature-missing"
    if code.serial is not None:
        return "unknown", "unknown-serial"
    return "unknown", "no-serial" if code.batch is not None else "no-batch"


def decide_status(
    code: UnitCode | None,
    signature_status: SignatureStatus,
    unit: UnitReading,
    certificate: CertificateRecord | None,
    today: dt.date,
    *,
    signs_units: bool,
) -> tuple[VerificationStatus, VerdictReason]:
    """The status of a code and why, from its signature and what the registry holds.

    `valid` needs proof that this package is one the registry issued: a registered serial with
    a signature by a published, unretired key. A code anyone could print (no serial, or a
    serial that could never be signed) is at most `certified`. A serial the registry signs
    (`signs_units`: it has or had a signing key, and the code has a GTIN) that arrives without
    its signature is `invalid-signature`, so removing the signature neither passes a tampered
    code nor gets round a retired key.
    """
    failed = _signature_failure(signature_status)
    if failed is not None:
        return "invalid-signature", failed
    missing = _missing_from_registry(unit, code)
    if missing is not None:
        return "unknown", missing
    assert code is not None
    if certificate is None:
        return "unknown", "no-certificate"
    proves_unit = code.serial is not None and signature_status == "valid"
    if code.serial is not None and not proves_unit and signs_units and code.claims() is not None:
        return "invalid-signature", "signature-missing"
    if certificate.status == "revoked":
        return "revoked", "certificate"
    if certificate.status == "suspended":
        return "suspended", "certificate"
    if certificate.valid_until < today:
        return "expired", "certificate"
    if proves_unit:
        return "valid", "signed-unit"
    return "certified", "no-serial" if code.serial is None else "unsigned-unit"


def _signature_failure(signature_status: SignatureStatus) -> VerdictReason | None:
    if signature_status == "invalid-signature":
        return "signature-wrong"
    if signature_status == "unknown-key":
        return "key-not-valid"
    return None


def _missing_from_registry(unit: UnitReading, code: UnitCode | None) -> VerdictReason | None:
    """Which part of the code the registry does not know; None when it knows all of it."""
    if code is None:
        return "unreadable"
    if unit.product is None:
        return "unknown-product"
    if code.batch is not None and unit.batch is None:
        return "unknown-batch"
    if code.serial is not None:
        # A serial names its batch (GS1 allows GTIN + serial alone): it must be that batch's.
        if unit.serial_id is None or unit.batch is None or unit.serial_batch_id != unit.batch.id:
            return "unknown-serial"
        return None
    return "no-batch" if code.batch is None else None


def _check_signature(keys: Mapping[str, PublicKeyEntry], code: UnitCode | None) -> SignatureStatus:
    claims = code.claims() if code is not None else None
    if claims is None or code is None or not code.signature:
        _DUMMY_PUBLIC_KEY.verify(_DUMMY_SIGNATURE, _DUMMY_MESSAGE)
        return "unsigned"
    return signing.verify_claims(claims, code.signature, keys)


def _find_unit(database: ScanDatabase, code: UnitCode | None, now: dt.datetime) -> UnitReading:
    """Everything about a code in one SELECT (run even for an unreadable code, so that every
    answer costs the same)."""
    by_certificate = code is not None and code.gtin14 is None
    with_batch = code is None or code.batch is not None
    sql = _unit_sql(database.dialect, by_certificate, with_batch)
    since = now - dt.timedelta(days=COPY_WINDOW_DAYS)
    parameters = {
        "gtin": code.gtin14 if code is not None and code.gtin14 else _NOTHING,
        "certificate": (code.certificate_path if code is not None else None) or _NOTHING,
        "batch": (code.batch if code is not None else None) or _NOTHING,
        "serial": (code.serial if code is not None else None) or _NOTHING,
        "since": _bind_time(database.dialect, since),
        "count_cap": SCAN_COUNT_CAP,
        "window": COPY_CHECK_SCANS,
        "networks": COPY_DISTINCT_NETWORKS,
    }
    rows = database.run(sql, parameters)
    if not rows:
        return UnitReading()
    return _unit_from_rows(rows)


def _unit_from_rows(rows: Any) -> UnitReading:
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
    return UnitReading(
        product=product,
        producer=producer,
        batch=batch,
        serial_id=first[10],
        serial_batch_id=first[11],
        certificates=certificates,
        scan_count=int(first[22] or 0),
        first_scanned_at=_as_time(first[23]),
        recent_networks=frozenset(first[24].split(",")) if first[24] else frozenset(),
    )


def _scan_row(
    dialect: str,
    code: UnitCode | None,
    serial_id: int | None,
    now: dt.datetime,
    network: str | None,
    user_agent: str | None,
    status: VerificationStatus,
) -> dict[str, Any]:
    """The scan_events row of one scan, bound for the database's driver."""
    return {
        "serial_id": serial_id,
        "scanned_key": (code.key if code else "unreadable")[:SCANNED_KEY_MAX_CHARS],
        "scanned_at": _bind_time(dialect, now),
        "network_hash": network,
        "user_agent_family": user_agent_family(user_agent),
        "status": status,
    }


@cache
def _unit_sql(dialect: str, by_certificate: bool, with_batch: bool) -> str:
    return _UNIT_SQL.format(
        product_match=_BY_CERTIFICATE if by_certificate else _BY_GTIN,
        batch_join=_BATCH_BY_CODE if with_batch else _BATCH_OF_SERIAL,
        join_texts=_JOIN_TEXTS[dialect],
    )


def _insert_rows_sql(dialect: str, row_count: int) -> str:
    """A multi-row INSERT of `row_count` scans with the driver's positional placeholders."""
    placeholder = _DRIVER_PLACEHOLDERS[dialect]
    row = "(" + ", ".join([placeholder] * len(_SCAN_COLUMNS)) + ")"
    columns = ", ".join(_SCAN_COLUMNS)
    return f"INSERT INTO scan_events ({columns}) VALUES " + ", ".join([row] * row_count)


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


def _cited_certificate(unit: UnitReading, code: UnitCode | None) -> CertificateRecord | None:
    """The certificate the code cites when it is the product's, else the product's latest."""
    cited = code.certificate_no or code.certificate_path if code else None
    for certificate in unit.certificates:
        if certificate.certificate_no == cited:
            return certificate
    return unit.certificates[0] if unit.certificates else None


def _verification(
    status: VerificationStatus,
    reason: VerdictReason,
    now: dt.datetime,
    code: UnitCode | None,
    signature_status: SignatureStatus,
    unit: UnitReading,
    certificate: CertificateRecord | None,
    network: str | None,
    today: dt.date,
) -> Verification:
    """The verdict with the registry's data; the scan statistics include this scan."""
    batch = unit.batch
    has_serial = unit.serial_id is not None
    networks = unit.recent_networks | {network} if network is not None else unit.recent_networks
    first_at = unit.first_scanned_at or now
    return Verification(
        status=status,
        checked_at=now,
        code=code,
        signature=signature_status,
        reason=reason,
        product=unit.product,
        producer=unit.producer,
        certificate=certificate,
        batch=batch,
        batch_expired=bool(batch and batch.expires_on and batch.expires_on < today),
        label_matches_registry=_label_matches(code, certificate),
        first_verified_at=min(first_at, now) if has_serial else None,
        scan_count=min(unit.scan_count + 1, SCAN_COUNT_CAP) if has_serial else 0,
        may_be_copy=has_serial and may_be_copy(len(networks)),
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
