"""Registry operations: a Principal and validated inputs → certificates, products, batches, serials, verdicts.

`Registry` is what the HTTP service and the CLI call: every method is one database transaction,
checks who may do it, and returns plain frozen records (never ORM objects). Who may do what:

| operation | issuer | producer (own data) | anonymous |
| --- | --- | --- | --- |
| register / renew / suspend / reinstate / revoke a certificate | yes | no | no |
| get a certificate | yes | yes | yes (it is public, as on the page) |
| a certificate's history | yes | its own | no |
| register / list products, register / list batches, allocate serials, sign units | no* | yes | no |
| look up a code, the public keys, report a suspected fake | yes | yes | yes |
| read the counterfeit reports | yes | no | no |

*An issuer lists every product but cannot create one directly: products arrive with their
certificate. Another producer's product, batch or certificate history is answered
NotFoundError, exactly as if it did not exist. API keys and signing keys are managed by the
operator (`labelgen registry key …`, `labelgen registry keys …`), who has the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from labelgen.compliance.registry_rules import CertificateRegistration, Registration
from labelgen.errors import (
    CodeError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RegistryInputError,
    TooManyReportsError,
)
from labelgen.gtin import to_gtin14
from labelgen.registry import apikeys, history, reports, signing
from labelgen.registry.apikeys import NewApiKey, Principal, Role
from labelgen.registry.database import (
    make_engine,
    make_read_engine,
    make_scan_engine,
    make_session_factory,
    upgrade_database,
)
from labelgen.registry.inputs import (
    AllocationInput,
    BatchInput,
    CertificateInput,
    ProductInput,
    RenewalInput,
    parse_input,
)
from labelgen.registry.lookup import (
    ScanDatabase,
    Verification,
    judge_scan,
    look_up_code,
    read_unit,
)
from labelgen.registry.models import (
    Batch,
    Certificate,
    CertificateEvent,
    Producer,
    Product,
    Serial,
    SerialAllocation,
)
from labelgen.registry.records import (
    BatchRecord,
    CertificateRecord,
    HistoryEntry,
    ProductRecord,
    SerialAllocationRecord,
    batch_record,
    certificate_record,
    history_entry,
    product_record,
)
from labelgen.registry.rules import require_rules_met, stored_certification
from labelgen.registry.serials import new_serial
from labelgen.registry.settings import RegistrySettings
from labelgen.registry.signing import PublicKeyEntry, Signer, SigningKeyInfo
from labelgen.registry.verify import (
    is_codable,
    is_plausible_certificate_no,
    scanned_code,
    signed_trace_url,
    signed_unit_url,
    unit_claims,
)
from labelgen.spec import Certification, LabelSpec, add_months

Clock = Callable[[], dt.datetime]

# BatchInput's fields by the spec fields they come from.
_SPEC_BATCH_FIELDS = {
    "code": "product.batch",
    "manufactured_on": "product.manufactured_on",
    "expires_on": "product.expires_on",
}

# Certificates are dated in Vietnam, which keeps UTC+7 all year.
VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")
CERTIFIED_MIN_STARS = 3
CERTIFICATE_VALIDITY_MONTHS = 36
SERIAL_INSERT_ROWS = 1000
SERIAL_ALLOCATION_ROUNDS = 10
TRANSACTION_ATTEMPTS = 5
# How long a scan may use the public keys read before: a key retired on another instance stops
# verifying within this time (at once on the instance that retired it).
PUBLISHED_KEYS_CACHE_S = 1.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Registry:
    """The certificate registry of one database: open it once, call it from any thread."""

    def __init__(
        self,
        settings: RegistrySettings,
        *,
        engine: Engine | None = None,
        clock: Clock = utc_now,
        serial_factory: Callable[[], str] = new_serial,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.scan_engine = make_scan_engine(self.engine)
        self.read_engine = make_read_engine(self.engine)
        self._sessions = make_session_factory(self.engine)
        self._read_sessions = make_session_factory(self.read_engine)
        self._clock = clock
        self._serial_factory = serial_factory
        self._published_keys_cache: tuple[float, dict[str, PublicKeyEntry]] | None = None
        # SQLite has one writer at a time, and a thread that finds the database locked sleeps
        # for milliseconds before it tries again; queueing this process's scans on a lock
        # instead keeps each one a fraction of a millisecond.
        self._scan_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    def close(self) -> None:
        """Close the database connections."""
        for engine in {self.scan_engine, self.read_engine} - {self.engine}:
            engine.dispose()
        self.engine.dispose()

    def today(self) -> dt.date:
        """Today's date in Vietnam by the registry's clock (what certificate validity is read by)."""
        return self._today()

    def migrate(self) -> None:
        """Bring the database schema up to date (`labelgen registry init`)."""
        upgrade_database(self.engine)

    def ensure_signing_key(self) -> SigningKeyInfo | None:
        """Make the registry's first signing key (`labelgen registry init`); the new key, or None
        when it has had one. A registry whose keys were all retired gets no new one here: that
        is the operator's decision (`labelgen registry keys rotate`), not an upgrade's."""
        if self.list_signing_keys():
            return None
        return self.rotate_signing_key()

    # --- API keys -------------------------------------------------------------------------

    def create_api_key(
        self,
        role: Role,
        producer: str | None = None,
        *,
        address: str | None = None,
        phone: str | None = None,
        description: str | None = None,
    ) -> NewApiKey:
        """A new key for an issuer, or for the producer named `producer` (made when new, with `address`)."""
        if role not in apikeys.ROLES:
            raise RegistryInputError([Problem("role", "must be issuer or producer")])
        if (role == "producer") != (producer is not None):
            reason = "is required for a producer key" if role == "producer" else "is for producers"
            raise RegistryInputError([Problem("producer", reason)])
        with self._transaction() as session:
            producer_row = None
            if producer is not None:
                producer_row = self._producer_for_key(session, producer, address, phone)
            row, secret = apikeys.create_api_key(
                session, role, producer_row.id if producer_row else None, self.now(), description
            )
            session.flush()
            return NewApiKey(row.key_id, role, producer_row.name if producer_row else None, secret)

    def revoke_api_key(self, key_id: str) -> None:
        """Stop a key from working, at once."""
        with self._transaction() as session:
            row = session.scalar(select(apikeys.ApiKey).where(apikeys.ApiKey.key_id == key_id))
            if row is None:
                raise NotFoundError(f"key_id: no API key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = self.now()

    def authenticate(self, presented: str | None) -> Principal:
        """The caller behind an `Authorization: Bearer …` secret; AuthenticationError if none."""
        with self._transaction() as session:
            return apikeys.authenticate(session, presented)

    # --- certificates (issuers) -----------------------------------------------------------

    def register_certificate(
        self, principal: Principal | None, request: CertificateInput
    ) -> CertificateRecord:
        """Record a new certificate, with its producer and product (made when new)."""
        _require_role(principal, "issuer", "register certificates")
        assert principal is not None
        _require_certified_stars(request.stars, "stars")
        # The rules `check` applies to a label: a certificate they refuse is not recorded.
        require_rules_met(request, self._today())
        now = self.now()
        with self._transaction() as session:
            if session.scalar(
                select(Certificate.id).where(Certificate.certificate_no == request.certificate_no)
            ):
                raise ConflictError(
                    f"certificate_no: {request.certificate_no!r} is registered already"
                )
            producer = self._producer_for_certificate(session, request)
            product = self._product_for_certificate(session, producer, request.product)
            certificate = Certificate(
                certificate_no=request.certificate_no,
                scheme=request.scheme,
                stars=request.stars,
                decision_no=request.decision_no,
                issued_by=request.issued_by,
                issued_on=request.issued_on,
                valid_until=request.valid_until_date,
                province=request.province,
                status="active",
                product_id=product.id,
                producer_id=producer.id,
                created_at=now,
                updated_at=now,
            )
            session.add(certificate)
            session.flush()
            history.append_event(session, certificate, "registered", principal.actor, now)
            return certificate_record(certificate)

    def get_certificate(self, certificate_no: str) -> CertificateRecord:
        """A certificate's public data; anyone may read it."""
        with self._transaction() as session:
            return certificate_record(_certificate_by_no(session, certificate_no))

    def certificate_history(
        self, principal: Principal | None, certificate_no: str
    ) -> list[HistoryEntry]:
        """Every change to a certificate, oldest first: issuers, and the producer it belongs to."""
        if principal is None:
            raise PermissionDeniedError("sign in with an API key to read a certificate's history")
        with self._transaction() as session:
            certificate = _certificate_by_no(session, certificate_no)
            if principal.role == "producer" and certificate.producer_id != principal.producer_id:
                raise NotFoundError(f"certificate_no: no certificate {certificate_no!r}")
            events = session.scalars(
                select(CertificateEvent)
                .where(CertificateEvent.certificate_id == certificate.id)
                .order_by(CertificateEvent.sequence)
            )
            return [history_entry(event) for event in events]

    def renew_certificate(
        self,
        principal: Principal | None,
        certificate_no: str,
        renewal: RenewalInput,
        reason: str | None = None,
    ) -> CertificateRecord:
        """Record a re-recognition: new decision and validity (36 months unless given), maybe new stars."""
        if renewal.stars is not None:
            _require_certified_stars(renewal.stars, "stars")

        def renew(certificate: Certificate) -> None:
            if certificate.status == "revoked":
                raise ConflictError(f"certificate_no: {certificate_no} is revoked; register anew")
            certificate.decision_no = renewal.decision_no
            certificate.issued_on = renewal.issued_on
            certificate.valid_until = renewal.valid_until or add_months(
                renewal.issued_on, CERTIFICATE_VALIDITY_MONTHS
            )
            if renewal.stars is not None:
                certificate.stars = renewal.stars
            if renewal.issued_by is not None:
                certificate.issued_by = renewal.issued_by
            # Raised inside the transaction: the change is rolled back.
            require_rules_met(stored_certification(certificate), self._today())

        return self._change_certificate(principal, certificate_no, "renewed", renew, reason)

    def suspend_certificate(
        self, principal: Principal | None, certificate_no: str, reason: str | None = None
    ) -> CertificateRecord:
        """Suspend an active certificate; its codes answer `suspended` from the next scan on."""
        return self._set_status(principal, certificate_no, "suspended", ("active",), reason)

    def reinstate_certificate(
        self, principal: Principal | None, certificate_no: str, reason: str | None = None
    ) -> CertificateRecord:
        """Lift a suspension."""
        return self._set_status(principal, certificate_no, "active", ("suspended",), reason)

    def revoke_certificate(
        self, principal: Principal | None, certificate_no: str, reason: str | None = None
    ) -> CertificateRecord:
        """Revoke a certificate for good; its codes answer `revoked` from the next scan on."""
        return self._set_status(
            principal, certificate_no, "revoked", ("active", "suspended"), reason
        )

    def verify_history(self) -> history.HistoryReport:
        """Check the certificate history's hash chain and that every certificate matches it."""
        with self._transaction() as session:
            return history.verify_history(session)

    # --- products, batches, serials (producers) --------------------------------------------

    def register_product(self, principal: Principal | None, request: ProductInput) -> ProductRecord:
        """Register one of the caller's products; the same GTIN again returns it unchanged."""
        producer_id = _require_producer(principal, "register products")
        with self._transaction() as session:
            gtin14 = to_gtin14(request.gtin) if request.gtin else None
            if gtin14 is not None:
                existing = session.scalar(select(Product).where(Product.gtin == gtin14))
                if existing is not None and existing.producer_id != producer_id:
                    raise ConflictError(f"gtin: {request.gtin} belongs to another producer")
                if existing is not None:
                    return product_record(existing)
            product = Product(
                producer_id=producer_id, name=request.name, gtin=gtin14, created_at=self.now()
            )
            session.add(product)
            session.flush()
            return product_record(product)

    def list_products(self, principal: Principal | None) -> list[ProductRecord]:
        """The caller's products (every product for an issuer)."""
        if principal is None:
            raise PermissionDeniedError("sign in with an API key to list products")
        statement = select(Product).order_by(Product.id)
        if principal.role == "producer":
            statement = statement.where(Product.producer_id == principal.producer_id)
        with self._transaction() as session:
            return [product_record(product) for product in session.scalars(statement)]

    def register_batch(
        self, principal: Principal | None, product: str | int, request: BatchInput
    ) -> BatchRecord:
        """Register a batch of one of the caller's products (`product`: its GTIN or its id).

        The same code with the same dates again returns the batch; other dates are a conflict.
        """
        producer_id = _require_producer(principal, "register batches")
        with self._transaction() as session:
            owned = _own_product(session, producer_id, product)
            batch = session.scalar(
                select(Batch).where(Batch.product_id == owned.id, Batch.code == request.code)
            )
            if batch is not None:
                if (batch.manufactured_on, batch.expires_on) != (
                    request.manufactured_on,
                    request.expires_on,
                ):
                    raise ConflictError(f"code: batch {request.code!r} exists with other dates")
                return batch_record(batch)
            batch = Batch(
                product_id=owned.id,
                code=request.code,
                manufactured_on=request.manufactured_on,
                expires_on=request.expires_on,
                created_at=self.now(),
            )
            session.add(batch)
            session.flush()
            return batch_record(batch)

    def register_batch_from_spec(self, principal: Principal | None, spec: LabelSpec) -> BatchRecord:
        """Register a label spec's batch, with its dates, and its product when the caller has not
        registered it yet (by GTIN; a spec without one names its product by the certificate it
        cites): what `labelgen check` offers when the registry does not know the label."""
        _require_producer(principal, "register batches")
        batch_code = spec.product.batch
        if batch_code is None:
            raise RegistryInputError([Problem("product.batch", "is required to register a batch")])
        try:
            request = parse_input(
                BatchInput,
                {
                    "code": batch_code,
                    "manufactured_on": spec.product.manufactured_on,
                    "expires_on": spec.product.expiry_date,
                },
            )
        except RegistryInputError as error:
            # Named as the spec names them, since the spec is what the producer will edit.
            raise RegistryInputError(
                [
                    Problem(_SPEC_BATCH_FIELDS.get(problem.field, problem.field), problem.reason)
                    for problem in error.problems
                ]
            ) from None
        product: str | int
        if spec.product.gtin is not None:
            registered = self.register_product(
                principal, ProductInput(name=spec.product.name[:300], gtin=spec.product.gtin)
            )
            product = registered.gtin or spec.product.gtin
        elif spec.certification is not None:
            product = self._product_of_certificate(spec.certification.certificate_no)
        else:
            raise RegistryInputError(
                [Problem("product.gtin", "a product without a GTIN is named by its certificate")]
            )
        return self.register_batch(principal, product, request)

    def registration(self, spec: LabelSpec) -> Registration | None:
        """What the registry holds on a label's certificate, product and batch (public facts:
        anyone may ask), for the check's warnings (labelgen.compliance.registry_rules); None
        while the registry holds no certificate at all, so that a service or machine whose
        registry nobody uses yet (the designer tried out, a first look) warns about nothing."""
        cited = spec.certification
        gtin = spec.product.gtin
        with self._transaction() as session:
            if session.scalar(select(Certificate.id).limit(1)) is None:
                return None
            product = (
                session.scalar(select(Product).where(Product.gtin == to_gtin14(gtin)))
                if gtin is not None
                else None
            )
            certificate = (
                session.scalar(
                    select(Certificate).where(Certificate.certificate_no == cited.certificate_no)
                )
                if cited is not None
                else None
            )
            certificate_state: CertificateRegistration | None = None
            if cited is not None:
                certificate_state = "registered"
                if certificate is None:
                    certificate_state = "missing"
                elif gtin is not None and (product is None or certificate.product_id != product.id):
                    certificate_state = "other-product"
            # Without a GTIN the QR code names the product by its certificate (/ocop/…).
            owner_id = product.id if product is not None else None
            if gtin is None and certificate is not None:
                owner_id = certificate.product_id
            batch_registered = None
            if spec.product.batch is not None and owner_id is not None:
                batch_registered = (
                    session.scalar(
                        select(Batch.id).where(
                            Batch.product_id == owner_id, Batch.code == spec.product.batch
                        )
                    )
                    is not None
                )
            return Registration(
                certificate_state,
                product is not None if gtin is not None else None,
                batch_registered,
            )

    def list_batches(self, principal: Principal | None, product: str | int) -> list[BatchRecord]:
        """The batches of one of the caller's products."""
        producer_id = _require_producer(principal, "list batches")
        with self._transaction() as session:
            owned = _own_product(session, producer_id, product)
            batches = session.scalars(
                select(Batch).where(Batch.product_id == owned.id).order_by(Batch.id)
            )
            return [batch_record(batch) for batch in batches]

    def allocate_serials(
        self,
        principal: Principal | None,
        product: str | int,
        batch_code: str,
        request: AllocationInput,
    ) -> SerialAllocationRecord:
        """Give a batch `request.count` new random serials, never one already used for its GTIN.

        Duplicates are refused by the database's unique (product, serial) constraint: rows that
        clash are skipped (INSERT … ON CONFLICT DO NOTHING) and redrawn, so concurrent
        allocations on several processes or hosts never share a serial. A repeated
        `request_id` returns the serials of the first request instead of new ones.
        """
        producer_id = _require_producer(principal, "allocate serials")
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                return self._allocate_once(producer_id, product, batch_code, request)
            except IntegrityError:
                # The same request_id committed by a concurrent call first: answer with its
                # serials.
                if request.request_id is None:
                    raise
                with self._transaction() as session:
                    batch = _own_batch(session, producer_id, product, batch_code)
                    earlier = _earlier_allocation(session, producer_id, request, batch)
                    if earlier is None:
                        raise
                    return earlier
            except DBAPIError as error:
                # Two transactions that each wait for a serial the other just inserted: the
                # database aborts one, which starts again with fresh draws.
                if not _is_retryable(error) or attempt == TRANSACTION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def signed_unit_urls(
        self,
        principal: Principal | None,
        product: str | int,
        batch_code: str,
        serials: Sequence[str],
        base_url: str,
    ) -> list[str]:
        """Signed QR URLs for allocated serials of one of the caller's batches, from registry data.

        The codes claim the stars of the product's certificate when it has one that may be
        printed today: an active certificate whose validity has not ended. SigningKeyError when
        no signing key is available.
        """
        producer_id = _require_producer(principal, "sign codes")
        with self._transaction() as session:
            batch = _own_batch(session, producer_id, product, batch_code)
            _require_allocated(session, batch, serials)
            certificate = _printable_certificate(session, batch.product_id, self._today())
            signer = self._signer(session)
            gtin = batch.product.gtin
            if gtin is None:
                raise CodeError("product.gtin: a signed code needs a GTIN (AI 8030)")
            return [
                signed_unit_url(
                    base_url,
                    # The short form: stars only (see labelgen.registry.verify).
                    unit_claims(
                        gtin,
                        batch.code,
                        serial,
                        None,
                        certificate.stars if certificate else None,
                        None,
                    ),
                    signer,
                )
                for serial in serials
            ]

    def signed_label_url(
        self, principal: Principal | None, spec: LabelSpec, serial: str, base_url: str
    ) -> str:
        """The signed QR URL for one unit of a producer's label spec, after checking the spec
        against the registry: its GTIN is the caller's, its batch and serial were allocated,
        and the certificate it cites exists for this product with the same stars and may be
        printed today. RegistryInputError names the spec field that disagrees."""
        producer_id = _require_producer(principal, "sign codes")
        if spec.product.gtin is None or spec.product.batch is None:
            field = "product.gtin" if spec.product.gtin is None else "product.batch"
            raise RegistryInputError([Problem(field, "is required for a serialised unit")])
        with self._transaction() as session:
            batch = _own_batch(session, producer_id, spec.product.gtin, spec.product.batch)
            _require_allocated(session, batch, [serial])
            self._require_certification(session, spec.certification, batch.product_id)
            return signed_trace_url(spec, base_url, serial, self._signer(session))

    def confirm_cited_certificate(self, spec: LabelSpec) -> None:
        """RegistryInputError unless the certificate `spec` cites is in the registry, for the
        spec's product (by GTIN, when it has one), with the same stars, active and in force."""
        self.confirm_certification(spec.certification, spec.product.gtin)

    def confirm_certification(self, certification: Certification | None, gtin: str | None) -> None:
        """`confirm_cited_certificate` for a label's certification block and GTIN alone (what the
        service reads from a request without parsing the whole spec)."""
        with self._transaction() as session:
            product_id = None
            if gtin is not None:
                product_id = session.scalar(
                    select(Product.id).where(Product.gtin == to_gtin14(gtin))
                )
            self._require_certification(session, certification, product_id)

    # --- verification (public) --------------------------------------------------------------

    def look_up(
        self,
        url: str,
        *,
        client_address: str | None = None,
        user_agent: str | None = None,
    ) -> Verification:
        """Verify a scanned code and record the scan, keeping no raw IP address (see lookup.py).

        Public: no principal. `client_address` is the caller's IP as the service sees it (behind
        a proxy, the one the proxy reports); only a salted hash of its network prefix is kept.
        """
        code = scanned_code(url)
        keys = self.published_keys()
        now = self.now()
        with self._scan_lock, self._scan_database() as database:
            return look_up_code(
                database,
                code,
                keys=keys,
                now=now,
                today=now.astimezone(VIETNAM_TIME).date(),
                client_address=client_address,
                user_agent=user_agent,
                scan_salt=self.settings.scan_salt,
            )

    def verdict(self, url: str) -> Verification:
        """The verdict a scan of `url` gets, without recording a scan (`labelgen verify`): the
        same reading and judging as `look_up` and the service, so that they always agree."""
        code = scanned_code(url)
        keys = self.published_keys()
        now = self.now()
        with self._scan_database() as database:
            reading = read_unit(database, code, now)
            verification, _scan = judge_scan(
                code,
                reading,
                keys=keys,
                now=now,
                today=now.astimezone(VIETNAM_TIME).date(),
                client_address=None,
                user_agent=None,
                scan_salt=self.settings.scan_salt,
                dialect=database.dialect,
            )
        return verification

    # --- counterfeit reports (public to make, issuers to read) -------------------------------

    def record_fake_report(
        self, code_url: str, reason: str, text: str | None, status: str
    ) -> reports.FakeReportRecord:
        """Store a consumer's report on a code (public: nothing about the reporter is kept);
        TooManyReportsError past REPORTS_PER_CODE_PER_MINUTE for one code."""
        now = self.now()
        with self._transaction() as session:
            if reports.recent_report_count(session, code_url, now) >= (
                reports.REPORTS_PER_CODE_PER_MINUTE
            ):
                raise TooManyReportsError("this code was reported many times just now")
            return reports.add_report(session, code_url, reason, text, status, now)

    def list_fake_reports(
        self, principal: Principal | None, gtin: str | None = None
    ) -> list[reports.FakeReportRecord]:
        """The counterfeit reports, newest first, of one GTIN when given (issuers only)."""
        _require_role(principal, "issuer", "read counterfeit reports")
        gtin14 = _report_gtin(gtin)
        with self._transaction() as session:
            return reports.list_reports(session, gtin14)

    # --- signing keys (operator) ------------------------------------------------------------

    def rotate_signing_key(self) -> SigningKeyInfo:
        """A new signing key that signs from now on; older active keys keep verifying."""
        with self._transaction() as session:
            key = signing.rotate_signing_key(
                session, self.settings.key_dir, self.now(), self.settings.key_passphrase
            )
        self._published_keys_cache = None
        return key

    def retire_signing_key(self, kid: str) -> None:
        """Stop a key from verifying (codes signed with it answer `invalid-signature`)."""
        with self._transaction() as session:
            signing.retire_signing_key(session, self.settings.key_dir, kid, self.now())
        self._published_keys_cache = None

    def list_signing_keys(self) -> list[SigningKeyInfo]:
        with self._transaction() as session:
            return signing.list_signing_keys(session)

    def public_keys_document(self) -> dict[str, Any]:
        """The JSON to publish at /.well-known/labelgen-keys.json."""
        with self._transaction() as session:
            return signing.public_keys_document(session)

    # --- internals ---------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def now(self) -> dt.datetime:
        """The registry's clock (a test's own, or the real one), in UTC."""
        return self._clock().astimezone(dt.UTC)

    def _today(self) -> dt.date:
        return self.now().astimezone(VIETNAM_TIME).date()

    @contextmanager
    def _scan_database(self) -> Iterator[ScanDatabase]:
        """The driver's own cursor on a pooled connection, in a transaction that commits when
        the block ends (PostgreSQL's scan connections commit each statement themselves)."""
        connection = self.scan_engine.raw_connection()
        dialect = self.scan_engine.dialect.name
        try:
            cursor = connection.cursor()
            if dialect == "sqlite":
                # As the registry's engine does for every transaction (see database.py).
                cursor.execute("BEGIN IMMEDIATE")
            yield ScanDatabase(cursor, dialect)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    def published_keys(self) -> Mapping[str, PublicKeyEntry]:
        """The signing keys' public halves and status, read again at most every few seconds."""
        cached = self._published_keys_cache
        read_at = time.monotonic()
        if cached is not None and read_at - cached[0] < PUBLISHED_KEYS_CACHE_S:
            return cached[1]
        # Through the read engine: a writer holding SQLite's lock does not hold up the scans.
        with self._read_sessions() as session:
            keys = signing.published_keys(session)
        self._published_keys_cache = (read_at, keys)
        return keys

    def _signer(self, session: Session) -> Signer:
        return signing.load_signer(session, self.settings.key_dir, self.settings.key_passphrase)

    def _change_certificate(
        self,
        principal: Principal | None,
        certificate_no: str,
        action: str,
        change: Callable[[Certificate], None],
        reason: str | None,
    ) -> CertificateRecord:
        _require_role(principal, "issuer", f"{action.removesuffix('d')} certificates")
        assert principal is not None
        now = self.now()
        with self._transaction() as session:
            certificate = _certificate_by_no(session, certificate_no, for_update=True)
            before = history.certificate_state(certificate)
            change(certificate)
            if history.certificate_state(certificate) == before:
                return certificate_record(certificate)
            certificate.updated_at = now
            session.flush()
            history.append_event(session, certificate, action, principal.actor, now, reason)
            return certificate_record(certificate)

    def _set_status(
        self,
        principal: Principal | None,
        certificate_no: str,
        status: str,
        allowed_from: tuple[str, ...],
        reason: str | None,
    ) -> CertificateRecord:
        action = {"active": "reinstated", "suspended": "suspended", "revoked": "revoked"}[status]

        def set_status(certificate: Certificate) -> None:
            if certificate.status == status:
                return
            if certificate.status not in allowed_from:
                raise ConflictError(
                    f"certificate_no: {certificate_no} is {certificate.status}; "
                    f"it cannot be {action}"
                )
            certificate.status = status

        return self._change_certificate(principal, certificate_no, action, set_status, reason)

    def _product_of_certificate(self, certificate_no: str) -> int:
        with self._transaction() as session:
            return _certificate_by_no(session, certificate_no).product_id

    def _producer_for_key(
        self, session: Session, name: str, address: str | None, phone: str | None
    ) -> Producer:
        name = _nfc(name)
        producer = session.scalar(select(Producer).where(Producer.name == name))
        if producer is not None:
            return producer
        if not address:
            raise RegistryInputError(
                [Problem("address", f"is required to register the new producer {name!r}")]
            )
        producer = Producer(name=name, address=_nfc(address), phone=phone, created_at=self.now())
        session.add(producer)
        session.flush()
        return producer

    def _producer_for_certificate(self, session: Session, request: CertificateInput) -> Producer:
        given = request.producer
        producer = session.scalar(select(Producer).where(Producer.name == given.name))
        if producer is None:
            producer = Producer(
                name=given.name, address=given.address, phone=given.phone, created_at=self.now()
            )
            session.add(producer)
            session.flush()
        return producer

    def _product_for_certificate(
        self, session: Session, producer: Producer, given: ProductInput
    ) -> Product:
        if given.gtin is not None:
            product = session.scalar(select(Product).where(Product.gtin == to_gtin14(given.gtin)))
            if product is not None and product.producer_id != producer.id:
                raise ConflictError(f"product.gtin: {given.gtin} belongs to another producer")
        else:
            product = session.scalar(
                select(Product).where(
                    Product.producer_id == producer.id,
                    Product.name == given.name,
                    Product.gtin.is_(None),
                )
            )
        if product is None:
            product = Product(
                producer_id=producer.id,
                name=given.name,
                gtin=to_gtin14(given.gtin) if given.gtin else None,
                created_at=self.now(),
            )
            session.add(product)
            session.flush()
        return product

    def _allocate_once(
        self, producer_id: int, product: str | int, batch_code: str, request: AllocationInput
    ) -> SerialAllocationRecord:
        now = self.now()
        with self._transaction() as session:
            batch = _own_batch(session, producer_id, product, batch_code)
            if request.request_id is not None:
                earlier = _earlier_allocation(session, producer_id, request, batch)
                if earlier is not None:
                    return earlier
            allocation = SerialAllocation(
                request_id=request.request_id or _anonymous_request_id(),
                producer_id=producer_id,
                batch_id=batch.id,
                count=request.count,
                created_at=now,
            )
            session.add(allocation)
            session.flush()
            serials = self._insert_serials(session, batch, allocation, request.count, now)
            return SerialAllocationRecord(
                request.request_id, batch_record(batch), tuple(serials), created=True
            )

    def _insert_serials(
        self,
        session: Session,
        batch: Batch,
        allocation: SerialAllocation,
        count: int,
        now: dt.datetime,
    ) -> list[str]:
        allocated: list[str] = []
        for _ in range(SERIAL_ALLOCATION_ROUNDS):
            missing = count - len(allocated)
            if missing == 0:
                return allocated
            for start in range(0, missing, SERIAL_INSERT_ROWS):
                drawn = {
                    self._serial_factory() for _ in range(min(SERIAL_INSERT_ROWS, missing - start))
                }
                rows = [
                    {
                        "product_id": batch.product_id,
                        "batch_id": batch.id,
                        "allocation_id": allocation.id,
                        "serial": serial,
                        "allocated_at": now,
                    }
                    for serial in sorted(drawn)
                ]
                allocated += _insert_new_serials(session, rows)
        raise ConflictError("could not draw enough unused serials; try again")

    def _require_certification(
        self, session: Session, cited: Certification | None, product_id: int | None
    ) -> None:
        if cited is None:
            return
        certificate = session.scalar(
            select(Certificate).where(Certificate.certificate_no == cited.certificate_no)
        )
        problems = []
        if certificate is None or (product_id is not None and certificate.product_id != product_id):
            problems.append(
                Problem("certification.certificate_no", "is not registered for this product")
            )
        elif certificate.stars != cited.stars:
            problems.append(
                Problem("certification.stars", f"the certificate is for {certificate.stars} stars")
            )
        elif certificate.status != "active" or certificate.valid_until < self._today():
            state = certificate.status if certificate.status != "active" else "expired"
            problems.append(Problem("certification.certificate_no", f"the certificate is {state}"))
        if problems:
            raise RegistryInputError(problems)


def _require_role(principal: Principal | None, role: Role, doing: str) -> None:
    if principal is None:
        raise PermissionDeniedError(f"sign in with an API key to {doing}")
    if principal.role != role:
        article = "an" if role == "issuer" else "a"
        raise PermissionDeniedError(f"only {article} {role} may {doing}")


def _require_producer(principal: Principal | None, doing: str) -> int:
    _require_role(principal, "producer", doing)
    assert principal is not None and principal.producer_id is not None
    return principal.producer_id


def _require_certified_stars(stars: int, field: str) -> None:
    if stars < CERTIFIED_MIN_STARS:
        raise RegistryInputError(
            [Problem(field, "only 3, 4 and 5 stars are certified OCOP products")]
        )


def _is_retryable(error: DBAPIError) -> bool:
    # PostgreSQL's deadlock_detected and serialization_failure.
    return getattr(error.orig, "sqlstate", None) in {"40P01", "40001"}


def _report_gtin(gtin: str | None) -> str | None:
    if gtin is None:
        return None
    try:
        return to_gtin14(gtin)
    except CodeError:
        raise RegistryInputError([Problem("gtin", "must be a valid GTIN")]) from None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _anonymous_request_id() -> str:
    return "auto-" + new_serial()


def _certificate_by_no(
    session: Session, certificate_no: str, for_update: bool = False
) -> Certificate:
    if not is_plausible_certificate_no(certificate_no):
        # Never asked of the database: PostgreSQL refuses a NUL outright, as an error.
        raise NotFoundError(f"certificate_no: no certificate {certificate_no!r}")
    statement = select(Certificate).where(Certificate.certificate_no == _nfc(certificate_no))
    if for_update:
        statement = statement.with_for_update()
    certificate = session.scalar(statement)
    if certificate is None:
        raise NotFoundError(f"certificate_no: no certificate {certificate_no!r}")
    return certificate


def _own_product(session: Session, producer_id: int, product: str | int) -> Product:
    by_id = isinstance(product, int)
    condition = Product.id == product if by_id else Product.gtin == to_gtin14(str(product).strip())
    row = session.scalar(select(Product).where(condition, Product.producer_id == producer_id))
    if row is None:
        raise NotFoundError(f"product: no product {product!r} of yours")
    return row


def _own_batch(session: Session, producer_id: int, product: str | int, code: str) -> Batch:
    if not is_codable(code):
        raise NotFoundError(f"batch: no batch {code!r} of product {product!r}")
    owned = _own_product(session, producer_id, product)
    batch = session.scalar(select(Batch).where(Batch.product_id == owned.id, Batch.code == code))
    if batch is None:
        raise NotFoundError(f"batch: no batch {code!r} of product {product!r}")
    return batch


def _require_allocated(session: Session, batch: Batch, serials: Sequence[str]) -> None:
    for serial in serials:
        if not is_codable(serial):
            raise NotFoundError(f"serial: {serial!r} was not allocated to batch {batch.code!r}")
    found = set(
        session.scalars(
            select(Serial.serial).where(Serial.batch_id == batch.id, Serial.serial.in_(serials))
        )
    )
    missing = [serial for serial in serials if serial not in found]
    if missing:
        raise NotFoundError(f"serial: {missing[0]!r} was not allocated to batch {batch.code!r}")


def _earlier_allocation(
    session: Session, producer_id: int, request: AllocationInput, batch: Batch
) -> SerialAllocationRecord | None:
    allocation = session.scalar(
        select(SerialAllocation).where(
            SerialAllocation.producer_id == producer_id,
            SerialAllocation.request_id == request.request_id,
        )
    )
    if allocation is None:
        return None
    if allocation.batch_id != batch.id or allocation.count != request.count:
        raise ConflictError(
            f"request_id: {request.request_id!r} was used for another batch or count"
        )
    serials = session.scalars(
        select(Serial.serial).where(Serial.allocation_id == allocation.id).order_by(Serial.id)
    )
    return SerialAllocationRecord(
        request.request_id, batch_record(batch), tuple(serials), created=False
    )


def _insert_new_serials(session: Session, rows: list[dict[str, Any]]) -> list[str]:
    """Insert what does not clash with an existing (product, serial); the serials inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        # Imported here: an SQLite registry (a print run's) does without its 20 ms of imports.
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(Serial).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(Serial).on_conflict_do_nothing()
    else:  # pragma: no cover - make_engine accepts only the two
        statement = insert(Serial)
    # Parameters apart from the statement (executemany): SQLAlchemy compiles the statement once
    # and batches the rows itself, where `.values(rows)` compiled 1,000 rows of VALUES afresh
    # for every chunk (a third of a 10,000-serial allocation went into compiling).
    result = session.execute(statement.returning(Serial.serial), rows)
    return list(result.scalars())


def _printable_certificate(session: Session, product_id: int, today: dt.date) -> Certificate | None:
    certificate = _latest_certificate(session, product_id)
    if certificate is None:
        return None
    if certificate.status != "active" or certificate.valid_until < today:
        raise ConflictError(
            f"certificate_no: {certificate.certificate_no} is "
            f"{certificate.status if certificate.status != 'active' else 'expired'}; "
            "codes citing it cannot be signed"
        )
    return certificate


def _latest_certificate(session: Session, product_id: int) -> Certificate | None:
    return session.scalar(
        select(Certificate)
        .where(Certificate.product_id == product_id)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        .limit(1)
    )
