"""API keys: a role (and producer) → a print-once secret stored only as a hash; a presented secret → the Principal."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelgen.errors import AuthenticationError
from labelgen.registry.models import ApiKey
from labelgen.registry.serials import encode_crockford

Role = Literal["issuer", "producer"]
ROLES: tuple[Role, ...] = ("issuer", "producer")

KEY_PREFIX = "lgk"
KEY_ID_CHARS = 12
SECRET_BYTES = 32  # 256 bits: far beyond guessing, so one SHA-256 (no slow KDF) suffices
# Compared against when the key id is unknown, so an unknown id costs the same hash and compare.
_ABSENT_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an issuer (the OCOP office) or one producer, identified by an API key."""

    role: Role
    key_id: str
    producer_id: int | None = None
    producer_name: str | None = None

    @property
    def actor(self) -> str:
        """How the certificate history names this caller: role and key id, never the secret."""
        return f"{self.role}:{self.key_id}"


@dataclass(frozen=True)
class NewApiKey:
    """A key just made: `secret` is shown once and never stored; only its hash is kept."""

    key_id: str
    role: Role
    producer_name: str | None
    secret: str


def create_api_key(
    session: Session,
    role: Role,
    producer_id: int | None,
    now: dt.datetime,
    description: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key row (added to the session) and the full secret to hand out, `lgk_<id>_<secret>`."""
    key_id = encode_crockford(secrets.randbits(KEY_ID_CHARS * 5), KEY_ID_CHARS)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = ApiKey(
        key_id=key_id,
        role=role,
        producer_id=producer_id,
        secret_hash=hash_secret(secret),
        description=description,
        created_at=now,
    )
    session.add(row)
    return row, f"{KEY_PREFIX}_{key_id}_{secret}"


def hash_secret(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def authenticate(session: Session, presented: str | None) -> Principal:
    """The Principal of a presented key; AuthenticationError when absent, malformed, unknown or revoked.

    The same work is done whatever is wrong (one lookup, one hash, one constant-time compare),
    so the answer's timing does not tell an unknown key id from a wrong secret.
    """
    key_id, secret = _split_key(presented or "")
    row = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id)) if key_id else None
    matches = hmac.compare_digest(
        hash_secret(secret), row.secret_hash if row is not None else _ABSENT_HASH
    )
    if row is None or not matches or row.revoked_at is not None:
        raise AuthenticationError("the API key is not valid (unknown, revoked or mistyped)")
    role: Role = "issuer" if row.role == "issuer" else "producer"
    producer_name = row.producer.name if row.producer is not None else None
    return Principal(role, row.key_id, row.producer_id, producer_name)


def _split_key(presented: str) -> tuple[str, str]:
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != KEY_ID_CHARS:
        return "", parts[-1]
    return parts[1], parts[2]
