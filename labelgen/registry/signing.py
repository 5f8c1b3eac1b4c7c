"""Unit signatures: a unit's key data + an Ed25519 key → its GS1 AI 8030 value; key ids, rotation, published keys.

What is signed (UTF-8 bytes, fields joined by '|', no trailing newline):

    labelgen-unit-v1|{GTIN-14}|{batch}|{serial}|{expiry YYMMDD}|{stars}|{certificate_no}

A claim the code does not make is an empty field: the registry's codes claim the stars and
leave expiry and certificate number empty (labelgen.registry.verify says why), so a code that
gains a `17` or `c` parameter later no longer verifies. GTIN, batch, serial and expiry are the
values of AIs 01, 10, 21 and 17 as they are in the Digital Link (decoded, not percent-encoded);
none can hold '|' (GS1 CSET 82 has no '|'), and the certificate number, which might, comes
last, so the fields cannot run into each other. Signing GTIN, batch and serial catches an
edited or invented unit, signing the stars a code moved to a label with more stars. The domain
of the URL is not signed: a code may be resolved through any GS1 Digital Link resolver.

The AI 8030 value (GS1 CSET 64, at most 90 characters) is the 2-character key id followed by the
86-character base64url (no padding) of the 64-byte signature: 88 characters. A key id is the
first 2 characters of the key's RFC 7638 JWK thumbprint (base64url of SHA-256: 4,096 ids, ample
for a registry that rotates its key yearly), so anyone can recompute it from the published key;
the registry refuses a new key whose id is taken. Two characters rather than more keep the QR
a little smaller; the Ed25519 signature's 86 characters are what cannot shrink.

Ed25519 is deterministic: the same unit signed with the same key gives the same bytes, so a
re-rendered label is byte-identical.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelgen.errors import NotFoundError, SigningKeyError
from labelgen.registry.models import SigningKey

MESSAGE_PREFIX = "labelgen-unit-v1"
KID_CHARS = 2
SIGNATURE_BYTES = 64
SIGNATURE_CHARS = 86  # base64url of 64 bytes without padding
AI_8030_MAX_CHARS = 90
PUBLIC_KEYS_PATH = "/.well-known/labelgen-keys.json"
KEY_FILE_SUFFIX = ".pem"
_NEW_KEY_ATTEMPTS = 20

SignatureStatus = Literal["valid", "invalid-signature", "unsigned", "unknown-key"]
KeyStatus = Literal["active", "retired"]


@dataclass(frozen=True)
class UnitClaims:
    """What a serialised unit's code asserts and its signature covers."""

    gtin14: str
    batch: str
    serial: str
    expiry_yymmdd: str | None = None
    stars: int | None = None
    certificate_no: str | None = None

    def message(self) -> bytes:
        """The exact bytes signed (see the module docstring)."""
        fields = [
            MESSAGE_PREFIX,
            self.gtin14,
            self.batch,
            self.serial,
            self.expiry_yymmdd or "",
            "" if self.stars is None else str(self.stars),
            self.certificate_no or "",
        ]
        return "|".join(fields).encode("utf-8")


@dataclass(frozen=True)
class Signer:
    """The newest active key, ready to sign units."""

    kid: str
    private_key: Ed25519PrivateKey

    def sign(self, claims: UnitClaims) -> str:
        """The AI 8030 value for `claims`: key id + base64url signature (88 characters)."""
        return self.kid + b64url_encode(self.private_key.sign(claims.message()))


@dataclass(frozen=True)
class PublicKeyEntry:
    """A published key: its id, the key itself and whether it still verifies."""

    kid: str
    public_key: Ed25519PublicKey
    status: KeyStatus
    retired_at: dt.datetime | None = None


@dataclass(frozen=True)
class SigningKeyInfo:
    """A signing key as `labelgen registry keys list` shows it."""

    kid: str
    status: KeyStatus
    created_at: dt.datetime
    retired_at: dt.datetime | None
    signs: bool


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (GS1 CSET 64)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Bytes from base64url without padding; ValueError when `text` is not that."""
    if not text.isascii() or any(char in "+/=" for char in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (the JWK `x`)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The first 4 characters of the key's RFC 7638 JWK thumbprint."""
    x = b64url_encode(raw_public_key(public_key))
    # RFC 7638: the required members in lexicographic order, no whitespace.
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(members.encode("ascii")).digest())[:KID_CHARS]


def verify_claims(
    claims: UnitClaims, value: str | None, keys: Mapping[str, PublicKeyEntry]
) -> SignatureStatus:
    """Check an AI 8030 value against `claims` with the keys that are still `active`."""
    if not value:
        return "unsigned"
    entry = keys.get(value[:KID_CHARS])
    if entry is None or entry.status != "active":
        return "unknown-key"
    try:
        signature = b64url_decode(value[KID_CHARS:])
    except ValueError:
        return "invalid-signature"
    if len(value) != KID_CHARS + SIGNATURE_CHARS or len(signature) != SIGNATURE_BYTES:
        return "invalid-signature"
    try:
        entry.public_key.verify(signature, claims.message())
    except InvalidSignature:
        return "invalid-signature"
    return "valid"


def rotate_signing_key(
    session: Session, key_dir: Path, now: dt.datetime, passphrase: bytes | None = None
) -> SigningKeyInfo:
    """Make a new active key that signs from now on; older active keys keep verifying."""
    taken = set(session.scalars(select(SigningKey.kid)))
    for _ in range(_NEW_KEY_ATTEMPTS):
        private_key = Ed25519PrivateKey.generate()
        kid = key_id_for(private_key.public_key())
        # A file left by a key no longer in the database (a restored backup) counts as taken.
        if kid not in taken and not (key_dir / f"{kid}{KEY_FILE_SUFFIX}").exists():
            break
    else:  # pragma: no cover - 20 collisions in a space of 4,096 ids
        raise SigningKeyError("could not find a free key id")
    key_file = _write_key_file(key_dir, kid, private_key, passphrase)
    try:
        session.add(
            SigningKey(
                kid=kid,
                public_key=b64url_encode(raw_public_key(private_key.public_key())),
                status="active",
                created_at=now,
            )
        )
        session.flush()
    except Exception:
        key_file.unlink(missing_ok=True)
        raise
    return SigningKeyInfo(kid, "active", now, None, signs=True)


def retire_signing_key(session: Session, key_dir: Path, kid: str, now: dt.datetime) -> None:
    """Stop a key from verifying and delete its private key file; final."""
    row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        raise NotFoundError(f"kid: no signing key {kid!r}")
    if row.status == "retired":
        return
    row.status = "retired"
    row.retired_at = now
    session.flush()
    (key_dir / f"{kid}{KEY_FILE_SUFFIX}").unlink(missing_ok=True)


def list_signing_keys(session: Session) -> list[SigningKeyInfo]:
    """Every key, oldest first; `signs` marks the one new codes are signed with."""
    rows = list(session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.id)))
    signing = _newest_active(rows)
    return [
        SigningKeyInfo(
            row.kid,
            "active" if row.status == "active" else "retired",
            row.created_at,
            row.retired_at,
            signs=row is signing,
        )
        for row in rows
    ]


def load_signer(session: Session, key_dir: Path, passphrase: bytes | None = None) -> Signer:
    """The signer of the newest active key; SigningKeyError when there is none or its file is gone."""
    rows = list(session.scalars(select(SigningKey).where(SigningKey.status == "active")))
    newest = _newest_active(rows)
    if newest is None:
        raise SigningKeyError(
            "no active signing key: make one with `labelgen registry keys rotate`"
        )
    path = key_dir / f"{newest.kid}{KEY_FILE_SUFFIX}"
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), passphrase)
    except FileNotFoundError:
        raise SigningKeyError(f"the private key of {newest.kid} is not in {key_dir}") from None
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"cannot read {path}: {error}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 private key")
    if b64url_encode(raw_public_key(private_key.public_key())) != newest.public_key:
        raise SigningKeyError(f"{path} does not match the registered key {newest.kid}")
    return Signer(newest.kid, private_key)


def published_keys(session: Session) -> dict[str, PublicKeyEntry]:
    """Every key by id, active and retired, read from the database on every call (so a retirement
    takes effect at the next scan, on every instance)."""
    rows = session.execute(
        select(SigningKey.kid, SigningKey.public_key, SigningKey.status, SigningKey.retired_at)
    )
    return {
        kid: PublicKeyEntry(
            kid,
            _public_key(public_key),
            "active" if status == "active" else "retired",
            retired_at,
        )
        for kid, public_key, status, retired_at in rows
    }


@functools.lru_cache(maxsize=256)
def _public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64url_decode(encoded))


def public_keys_document(session: Session) -> dict[str, Any]:
    """The JWKS-like JSON the service publishes at /.well-known/labelgen-keys.json."""
    keys = []
    for row in session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.id)):
        entry: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": row.kid,
            "x": row.public_key,
            "status": row.status,
            "created": row.created_at.isoformat(timespec="seconds"),
        }
        if row.retired_at is not None:
            entry["retired"] = row.retired_at.isoformat(timespec="seconds")
        keys.append(entry)
    return {"keys": keys, "message_format": MESSAGE_PREFIX}


def keys_from_document(document: Any) -> dict[str, PublicKeyEntry]:
    """The keys of a published document; ValueError naming what is wrong with it."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a keys document is an object with a `keys` list")
    entries: dict[str, PublicKeyEntry] = {}
    for position, item in enumerate(document["keys"]):
        entry = _entry_from_jwk(item, f"keys[{position}]")
        entries[entry.kid] = entry
    return entries


def _entry_from_jwk(item: Any, where: str) -> PublicKeyEntry:
    if not isinstance(item, dict) or item.get("kty") != "OKP" or item.get("crv") != "Ed25519":
        raise ValueError(f"{where}: not an Ed25519 key (kty OKP, crv Ed25519)")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(str(item.get("x", ""))))
    except ValueError:
        raise ValueError(f"{where}.x: not a 32-byte base64url key") from None
    kid = key_id_for(public_key)
    if item.get("kid") != kid:
        raise ValueError(f"{where}.kid: {item.get('kid')!r} is not this key's id ({kid})")
    status: KeyStatus = "active" if item.get("status", "active") == "active" else "retired"
    try:
        retired_at = dt.datetime.fromisoformat(item["retired"]) if "retired" in item else None
    except (TypeError, ValueError):
        raise ValueError(f"{where}.retired: not an ISO date and time") from None
    return PublicKeyEntry(kid, public_key, status, retired_at)


def _newest_active(rows: list[SigningKey]) -> SigningKey | None:
    active = [row for row in rows if row.status == "active"]
    return max(active, key=lambda row: (row.created_at, row.id)) if active else None


def _write_key_file(
    key_dir: Path, kid: str, private_key: Ed25519PrivateKey, passphrase: bytes | None
) -> Path:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path = key_dir / f"{kid}{KEY_FILE_SUFFIX}"
    try:
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
    except OSError as error:
        raise SigningKeyError(f"cannot write the key file {path}: {error.strerror}") from None
    return path
