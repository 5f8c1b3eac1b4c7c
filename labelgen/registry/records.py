"""Registry records: ORM rows → plain frozen dataclasses that the service, the CLI and the HTTP layer return."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from labelgen.registry.models import Batch, Certificate, CertificateEvent, Producer, Product


@dataclass(frozen=True)
class ProducerRecord:
    name: str
    address: str
    phone: str | None


@dataclass(frozen=True)
class ProductRecord:
    id: int
    name: str
    gtin: str | None  # GTIN-14
    producer: str


@dataclass(frozen=True)
class CertificateRecord:
    certificate_no: str
    scheme: str
    stars: int
    decision_no: str
    issued_by: str
    issued_on: dt.date
    valid_until: dt.date
    province: str | None
    status: str  # active | suspended | revoked, as decided; see Verification for "expired"
    product: ProductRecord
    producer: ProducerRecord
    updated_at: dt.datetime


@dataclass(frozen=True)
class HistoryEntry:
    sequence: int
    action: str
    actor: str
    occurred_at: dt.datetime
    state: dict[str, Any]
    reason: str | None
    hash: str


@dataclass(frozen=True)
class BatchRecord:
    id: int
    code: str
    manufactured_on: dt.date | None
    expires_on: dt.date | None
    product: ProductRecord


@dataclass(frozen=True)
class SerialAllocationRecord:
    """Serials given to a batch; `created` is False when a repeated request_id returned them again."""

    request_id: str | None
    batch: BatchRecord
    serials: tuple[str, ...]
    created: bool


def product_record(product: Product) -> ProductRecord:
    return ProductRecord(product.id, product.name, product.gtin, product.producer.name)


def producer_record(producer: Producer) -> ProducerRecord:
    return ProducerRecord(producer.name, producer.address, producer.phone)


def certificate_record(certificate: Certificate) -> CertificateRecord:
    return CertificateRecord(
        certificate_no=certificate.certificate_no,
        scheme=certificate.scheme,
        stars=certificate.stars,
        decision_no=certificate.decision_no,
        issued_by=certificate.issued_by,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        province=certificate.province,
        status=certificate.status,
        product=product_record(certificate.product),
        producer=producer_record(certificate.producer),
        updated_at=certificate.updated_at,
    )


def batch_record(batch: Batch) -> BatchRecord:
    return BatchRecord(
        batch.id,
        batch.code,
        batch.manufactured_on,
        batch.expires_on,
        product_record(batch.product),
    )


def history_entry(event: CertificateEvent) -> HistoryEntry:
    details = json.loads(event.details)
    return HistoryEntry(
        event.sequence,
        event.action,
        event.actor,
        event.occurred_at,
        details.get("state", {}),
        details.get("reason"),
        event.hash,
    )
