"""Registry over HTTP: request bodies → validated inputs, registry records → the JSON the API answers.

Registry ids of products appear (a product without a GTIN is named by its id); ids of
certificates, batches and serials never do: those are named by their numbers and codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from fastapi import Request

from labelgen.errors import NotFoundError, UnsupportedMediaTypeError
from labelgen.registry.records import (
    BatchRecord,
    CertificateRecord,
    HistoryEntry,
    ProductRecord,
    SerialAllocationRecord,
)
from labelgen.service.dispatch import is_json_media_type
from labelgen.service.jobs import decode_body

CERTIFICATES_PATH = "/api/v1/certificates"
PRODUCTS_PATH = "/api/v1/products"
GTIN_LENGTHS = (8, 12, 13, 14)
MAX_PRODUCT_ID_DIGITS = 7


async def read_json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object body; {} when the body is empty and may be (`required=False`)."""
    body = await request.body()
    if not body.strip() and not required:
        return {}
    content_type = request.headers.get("content-type", "")
    if not is_json_media_type(content_type):
        shown = content_type.split(";")[0].strip() or "none"
        raise UnsupportedMediaTypeError(
            f"send the body as JSON with Content-Type: application/json (not {shown})"
        )
    return decode_body(body)


def product_key(value: str) -> str | int:
    """A product as named in a path: its GTIN (8, 12, 13 or 14 digits) or its registry id."""
    value = value.strip()
    if value.isdigit() and len(value) in GTIN_LENGTHS:
        return value
    if value.isdigit() and len(value) <= MAX_PRODUCT_ID_DIGITS:
        return int(value)
    # Answered as a product that is not the caller's, so the form leaks nothing either.
    raise NotFoundError(f"product: no product {value!r} of yours")


def certificate_location(certificate_no: str) -> str:
    """The URL path of a certificate; its number may hold '/', so it is one encoded segment."""
    return f"{CERTIFICATES_PATH}/{quote(certificate_no, safe='')}"


def certificate_document(record: CertificateRecord, today: dt.date) -> dict[str, Any]:
    """A certificate's public summary; `in_force` is true while it is active and unexpired."""
    return {
        "certificate_no": record.certificate_no,
        "scheme": record.scheme,
        "stars": record.stars,
        "decision_no": record.decision_no,
        "issued_by": record.issued_by,
        "issued_on": record.issued_on.isoformat(),
        "valid_until": record.valid_until.isoformat(),
        "province": record.province,
        "status": record.status,
        "in_force": record.status == "active" and record.valid_until >= today,
        "product": {"name": record.product.name, "gtin": record.product.gtin},
        "producer": asdict(record.producer),
        "updated_at": record.updated_at.isoformat(),
    }


def product_document(record: ProductRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "gtin": record.gtin, "producer": record.producer}


def batch_document(record: BatchRecord) -> dict[str, Any]:
    return {
        "code": record.code,
        "manufactured_on": _iso(record.manufactured_on),
        "expires_on": _iso(record.expires_on),
        "product": product_document(record.product),
    }


def allocation_document(record: SerialAllocationRecord) -> dict[str, Any]:
    return {
        "request_id": record.request_id,
        "batch": batch_document(record.batch),
        "serials": list(record.serials),
        "created": record.created,
    }


def history_document(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": entry.sequence,
            "action": entry.action,
            "actor": entry.actor,
            "occurred_at": entry.occurred_at.isoformat(),
            "state": entry.state,
            "reason": entry.reason,
            "hash": entry.hash,
        }
        for entry in entries
    ]


def _iso(date: dt.date | None) -> str | None:
    return date.isoformat() if date is not None else None
