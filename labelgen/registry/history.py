"""Certificate history: each change → an event appended to one SHA-256 hash chain; the chain → a report of any break.

Every event stores the certificate's whole state after the change, and its hash covers the
previous event's hash, so editing, deleting or re-ordering an event, or editing a certificate
row without appending an event, shows up in `verify_history`. Truncating the newest events
cannot be seen from inside the database: keep `HistoryReport.head_hash` somewhere else (a
printed register, a signed log) to detect that too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from labelgen.registry.models import Certificate, CertificateEvent

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key: appenders queue here instead of both extending the same head.
HISTORY_LOCK_ID = 0x6C6763657274686E
EVENT_BATCH_ROWS = 1000


@dataclass(frozen=True)
class HistoryReport:
    """The outcome of checking the chain: intact or not, and what is wrong where."""

    intact: bool
    events_checked: int
    head_hash: str
    problems: tuple[str, ...]


def append_event(
    session: Session,
    certificate: Certificate,
    action: str,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
) -> CertificateEvent:
    """Append `action` on `certificate` (already flushed, in its new state) to the chain."""
    _lock_history(session)
    head = session.scalar(
        select(CertificateEvent).order_by(CertificateEvent.sequence.desc()).limit(1)
    )
    details: dict[str, Any] = {"state": certificate_state(certificate)}
    if reason:
        details["reason"] = reason
    event = CertificateEvent(
        sequence=head.sequence + 1 if head is not None else 1,
        certificate_id=certificate.id,
        action=action,
        actor=actor,
        occurred_at=now.astimezone(dt.UTC),
        details=canonical_json(details),
        previous_hash=head.hash if head is not None else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def certificate_state(certificate: Certificate) -> dict[str, Any]:
    """The fields of a certificate that its history vouches for, as JSON-ready values."""
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
        "product_id": certificate.product_id,
        "producer_id": certificate.producer_id,
    }


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 letters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: CertificateEvent) -> str:
    """SHA-256 (hex) of the canonical JSON array
    [previous_hash, sequence, certificate_id, action, actor, occurred_at, details]."""
    occurred_at = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [
        event.previous_hash,
        event.sequence,
        event.certificate_id,
        event.action,
        event.actor,
        occurred_at,
        event.details,
    ]
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def verify_history(session: Session) -> HistoryReport:
    """Walk the whole chain and compare every certificate with the state its last event recorded."""
    problems: list[str] = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    last_state: dict[int, dict[str, Any]] = {}
    checked = 0
    for event in _events_in_order(session):
        checked += 1
        if event.sequence != expected_sequence:
            problems.append(f"event {expected_sequence} is missing (next found: {event.sequence})")
        if event.previous_hash != expected_previous:
            problems.append(f"event {event.sequence} does not follow the event before it")
        if event_hash(event) != event.hash:
            problems.append(f"event {event.sequence} was altered after it was written")
        last_state[event.certificate_id] = _recorded_state(event, problems)
        expected_previous = event.hash
        expected_sequence = event.sequence + 1
    problems += _certificates_off_record(session, last_state)
    return HistoryReport(not problems, checked, expected_previous, tuple(problems))


def _events_in_order(session: Session) -> Iterator[CertificateEvent]:
    statement = select(CertificateEvent).order_by(CertificateEvent.sequence)
    yield from session.scalars(statement.execution_options(yield_per=EVENT_BATCH_ROWS))


def _recorded_state(event: CertificateEvent, problems: list[str]) -> dict[str, Any]:
    try:
        state = json.loads(event.details)["state"]
    except (ValueError, KeyError, TypeError):
        problems.append(f"event {event.sequence} has unreadable details")
        return {}
    return state if isinstance(state, dict) else {}


def _certificates_off_record(session: Session, last_state: dict[int, dict[str, Any]]) -> list[str]:
    problems = []
    for certificate in session.scalars(select(Certificate).order_by(Certificate.id)):
        recorded = last_state.get(certificate.id)
        if recorded is None:
            problems.append(f"certificate {certificate.certificate_no} has no history")
            continue
        current = certificate_state(certificate)
        changed = sorted(name for name in current if current[name] != recorded.get(name))
        if changed:
            problems.append(
                f"certificate {certificate.certificate_no} differs from its history in "
                + ", ".join(changed)
            )
    return problems


def _lock_history(session: Session) -> None:
    # SQLite needs nothing: every registry transaction there starts with BEGIN IMMEDIATE.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": HISTORY_LOCK_ID})
