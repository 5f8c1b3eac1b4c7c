"""Signed codes: the message and AI 8030 formats, tampering caught online and offline, key rotation and retirement."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event

from labelgen.codes import make_qr
from labelgen.errors import CodeError, RegistryInputError, SigningKeyError
from labelgen.registry import (
    Registry,
    RegistrySettings,
    Signer,
    UnitClaims,
    keys_from_document,
    parse_unit_url,
    signed_trace_url,
    verify_offline,
)
from labelgen.registry.lookup import ScanDatabase
from labelgen.registry.signing import key_id_for
from labelgen.registry.testing import (
    Seed,
    clear_database,
    seed_registry,
    signed_seed_url,
)
from labelgen.spec import load_spec
from labelgen.traceability import GS1_CSET_82

EXAMPLE_SPEC = Path(__file__).resolve().parent.parent / "examples" / "hat-sen-say.yaml"
BASE_URL = "https://truyxuat.example.vn"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
CSET_64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
FIXED_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def registry(database_url: str, tmp_path: Path) -> Iterator[Registry]:
    registry = Registry(
        RegistrySettings(database_url, tmp_path / "keys", b"salt"), clock=lambda: NOW
    )
    clear_database(registry.engine)
    yield registry
    registry.close()


@pytest.fixture
def seed(registry: Registry) -> Seed:
    return seed_registry(registry)


def with_query(url: str, name: str, value: str | None) -> str:
    """`url` with query parameter `name` replaced (or dropped when `value` is None)."""
    parts = urlsplit(url)
    query = [(key, item) for key, item in parse_qsl(parts.query) if key != name]
    if value is not None:
        query.insert(0, (name, value))
    text = "&".join(f"{key}={item}" for key, item in query)
    return parts._replace(query=text).geturl()


def test_the_signed_message_is_the_documented_string() -> None:
    claims = UnitClaims("08936012345674", "L261120", "0123456789ABCDEF", "271120", 4, "OCOP-DT-1")
    assert claims.message() == (
        b"labelgen-unit-v1|08936012345674|L261120|0123456789ABCDEF|271120|4|OCOP-DT-1"
    )
    short = UnitClaims("08936012345674", "L261120", "0123456789ABCDEF", stars=4)
    assert short.message() == b"labelgen-unit-v1|08936012345674|L261120|0123456789ABCDEF||4|"
    bare = UnitClaims("08936012345674", "L1", "S1")
    assert bare.message() == b"labelgen-unit-v1|08936012345674|L1|S1|||"


def test_the_8030_value_is_the_key_id_and_a_base64url_signature_in_88_characters() -> None:
    signer = Signer(key_id_for(FIXED_KEY.public_key()), FIXED_KEY)
    claims = UnitClaims("08936012345674", "L261120", "0123456789ABCDEF", "271120", 4, "OCOP-DT-1")
    value = signer.sign(claims)
    assert len(value) == 88 and set(value) <= CSET_64
    assert value[:2] == signer.kid
    signature = base64.urlsafe_b64decode(value[2:] + "==")
    FIXED_KEY.public_key().verify(signature, claims.message())
    assert signer.sign(claims) == value  # Ed25519 is deterministic: re-renders match


def test_the_key_id_is_the_start_of_the_rfc_7638_thumbprint() -> None:
    raw = FIXED_KEY.public_key().public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    members = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).decode()
    assert key_id_for(FIXED_KEY.public_key()) == thumbprint[:2]


def test_a_signed_url_is_a_digital_link_with_stars_and_8030(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    prefix = f"{BASE_URL}/01/08936012345674/10/L261120/21/{seed.serials[0]}"
    assert url.startswith(prefix + "?s=4&8030=")
    assert url.isascii() and " " not in url
    # 174 characters with this base URL: QR version 9 at level M (the limit there is 180 bytes).
    assert len(url) == 174
    assert make_qr(url).version == 9
    code = parse_unit_url(url)
    assert (code.gtin14, code.batch, code.serial) == ("08936012345674", "L261120", seed.serials[0])
    assert (code.stars, code.certificate_no, code.expiry_yymmdd) == (4, None, None)


def test_signing_a_spec_gives_the_registrys_url(registry: Registry, seed: Seed) -> None:
    spec = load_spec(EXAMPLE_SPEC)
    from_registry = signed_seed_url(registry, seed, BASE_URL)
    from_spec = registry.signed_label_url(seed.producer, spec, seed.serials[0], BASE_URL)
    assert from_spec == from_registry


def test_signed_trace_url_needs_a_gtin_and_batch() -> None:
    spec = load_spec(EXAMPLE_SPEC)
    signer = Signer(key_id_for(FIXED_KEY.public_key()), FIXED_KEY)
    without_gtin = spec.model_copy(
        update={"product": spec.product.model_copy(update={"gtin": None})}
    )
    with pytest.raises(CodeError, match=r"product\.gtin"):
        signed_trace_url(without_gtin, BASE_URL, "0123456789ABCDEF", signer)
    with pytest.raises(CodeError, match=r"traceability\.serial"):
        signed_trace_url(spec, BASE_URL, "LÔ 1", signer)


@pytest.mark.parametrize(
    ("field", "replacement"),
    [("certification.stars", 5), ("certification.certificate_no", "OCOP-DT-2024-9999")],
)
def test_a_spec_citing_other_stars_or_certificate_is_not_signed(
    registry: Registry, seed: Seed, field: str, replacement: object
) -> None:
    spec = load_spec(EXAMPLE_SPEC)
    assert spec.certification is not None
    name = field.split(".")[1]
    edited = spec.model_copy(
        update={"certification": spec.certification.model_copy(update={name: replacement})}
    )
    with pytest.raises(RegistryInputError, match=field):
        registry.signed_label_url(seed.producer, edited, seed.serials[0], BASE_URL)


def test_codes_citing_a_revoked_certificate_are_not_signed(registry: Registry, seed: Seed) -> None:
    registry.revoke_certificate(seed.issuer, seed.certificate_no)
    with pytest.raises(RegistryInputError, match="revoked"):
        registry.signed_label_url(seed.producer, load_spec(EXAMPLE_SPEC), seed.serials[0], BASE_URL)


def tampered_urls(url: str, seed: Seed) -> dict[str, str]:
    code = parse_unit_url(url)
    assert code.signature is not None and code.serial is not None
    flipped = (
        code.signature[:40] + ("A" if code.signature[40] != "A" else "B") + code.signature[41:]
    )
    return {
        "another real serial": url.replace(code.serial, seed.serials[1]),
        "an invented serial": url.replace(code.serial, "ZZZZZZZZZZZZZZZZ"),
        "another GTIN": url.replace("/01/08936012345674/", "/01/08936055501235/"),
        "more stars": with_query(url, "s", "5"),
        "another certificate": with_query(url, "c", seed.other_certificate_no),
        "no stars": with_query(url, "s", None),
        # Not a star count: read as scanned, so no issued signature covers it (issue 12).
        "stars out of range": with_query(url, "s", "9"),
        "stars in words": with_query(url, "s", "four"),
        "empty stars": with_query(url, "s", ""),
        "a later expiry": with_query(url, "17", "291231"),
        "another batch": url.replace("/10/L261120/", "/10/L261121/"),
        "a changed signature": with_query(url, "8030", flipped),
        "a truncated signature": with_query(url, "8030", code.signature[:60]),
    }


def test_tampered_codes_answer_invalid_signature_online(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    assert registry.look_up(url).status == "valid"
    for change, tampered in tampered_urls(url, seed).items():
        verdict = registry.look_up(tampered)
        assert verdict.status == "invalid-signature", change
        assert verdict.product is None and verdict.certificate is None, change


def test_tampered_codes_answer_invalid_signature_offline(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    keys = keys_from_document(json.loads(json.dumps(registry.public_keys_document())))
    assert verify_offline(url, keys).status == "valid"
    for change, tampered in tampered_urls(url, seed).items():
        assert verify_offline(tampered, keys).status == "invalid-signature", change


def test_unsigned_and_foreign_signed_codes(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    keys = keys_from_document(registry.public_keys_document())
    unsigned = with_query(url, "8030", None)
    assert verify_offline(unsigned, keys).status == "unsigned"
    # The registry signs every unit it issues: its serial without the signature was stripped.
    stripped = registry.look_up(unsigned)
    assert (stripped.status, stripped.reason) == ("invalid-signature", "signature-missing")
    assert stripped.product is None and stripped.certificate is None

    forger = Signer(key_id_for(FIXED_KEY.public_key()), FIXED_KEY)
    invented = url.split("?")[0].replace(seed.serials[0], "ZZZZZZZZZZZZZZZZ")
    forged = f"{invented}?8030=" + forger.sign(
        UnitClaims("08936012345674", "L261120", "ZZZZZZZZZZZZZZZZ")
    )
    assert verify_offline(forged, keys).status == "unknown-key"
    assert registry.look_up(forged).status == "invalid-signature"
    assert registry.look_up(invented).status == "unknown"


def test_rotation_keeps_old_codes_valid_until_the_old_key_is_retired(
    registry: Registry, seed: Seed, tmp_path: Path
) -> None:
    old_url = signed_seed_url(registry, seed, BASE_URL, 0)
    old_kid = parse_unit_url(old_url).signature[:2]  # type: ignore[index]
    new_kid = registry.rotate_signing_key().kid
    new_url = signed_seed_url(registry, seed, BASE_URL, 1)
    assert parse_unit_url(new_url).signature[:2] == new_kid != old_kid  # type: ignore[index]
    assert [key.kid for key in registry.list_signing_keys() if key.signs] == [new_kid]

    keys = keys_from_document(registry.public_keys_document())
    for url in (old_url, new_url):
        assert registry.look_up(url).status == "valid"
        assert verify_offline(url, keys).status == "valid"

    registry.retire_signing_key(old_kid)
    assert not (tmp_path / "keys" / f"{old_kid}.pem").exists()
    keys = keys_from_document(registry.public_keys_document())
    assert registry.look_up(old_url).status == "invalid-signature"
    retired = verify_offline(old_url, keys)
    assert retired.status == "unknown-key" and "retired" in retired.detail
    assert registry.look_up(new_url).status == "valid"
    assert verify_offline(new_url, keys).status == "valid"


def test_retiring_the_only_key_stops_signing(registry: Registry, seed: Seed) -> None:
    (only,) = registry.list_signing_keys()
    registry.retire_signing_key(only.kid)
    with pytest.raises(SigningKeyError, match="keys rotate"):
        signed_seed_url(registry, seed, BASE_URL)


def test_a_missing_private_key_file_is_reported(
    registry: Registry, seed: Seed, tmp_path: Path
) -> None:
    for key_file in (tmp_path / "keys").glob("*.pem"):
        key_file.unlink()
    with pytest.raises(SigningKeyError, match="private key"):
        signed_seed_url(registry, seed, BASE_URL)


def test_private_keys_can_be_kept_encrypted(database_url: str, tmp_path: Path) -> None:
    settings = RegistrySettings(database_url, tmp_path / "vault", b"salt", b"passphrase")
    registry = Registry(settings, clock=lambda: NOW)
    try:
        clear_database(registry.engine)
        seed = seed_registry(registry)
        key_file = next((tmp_path / "vault").glob("*.pem"))
        assert b"ENCRYPTED" in key_file.read_bytes()
        assert registry.look_up(signed_seed_url(registry, seed, BASE_URL)).status == "valid"
    finally:
        registry.close()
    wrong = Registry(RegistrySettings(database_url, tmp_path / "vault", b"salt", b"wrong"))
    try:
        with pytest.raises(SigningKeyError, match="cannot read"):
            signed_seed_url(wrong, seed, BASE_URL)
    finally:
        wrong.close()


def test_the_public_keys_document_is_a_jwks(registry: Registry, seed: Seed) -> None:
    document = registry.public_keys_document()
    (key,) = document["keys"]
    assert {key["kty"], key["crv"], key["alg"], key["status"]} == {
        "OKP",
        "Ed25519",
        "EdDSA",
        "active",
    }
    raw = base64.urlsafe_b64decode(key["x"] + "=")
    assert len(raw) == 32
    assert set(keys_from_document(document)) == {key["kid"]}


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"keys": [{"kty": "RSA", "kid": "x"}]},
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "x"}]},
        {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "kid": "WRNG",
                    "x": base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode(),
                }
            ]
        },
    ],
)
def test_a_bad_keys_document_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        keys_from_document(document)


def count_statements(registry: Registry, url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements one lookup runs: through SQLAlchemy (events) and on the driver's cursor."""
    statements: list[str] = []
    run = ScanDatabase.run

    def recorded_run(self: ScanDatabase, sql: str, parameters: dict[str, Any]) -> Any:
        statements.append(sql.split()[0])
        return run(self, sql, parameters)

    def record(*arguments: object) -> None:
        statements.append(str(arguments[2]).split()[0])

    with monkeypatch.context() as patch:
        patch.setattr(ScanDatabase, "run", recorded_run)
        event.listen(registry.engine, "before_cursor_execute", record)
        try:
            registry.look_up(url)
        finally:
            event.remove(registry.engine, "before_cursor_execute", record)
    return statements


def test_unknown_codes_cost_the_same_queries_as_real_ones(
    registry: Registry, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The public keys are read once and kept: keep them for the whole test, so that a refresh
    # does not land in one of the counts.
    monkeypatch.setattr("labelgen.registry.service.PUBLISHED_KEYS_CACHE_S", 3600.0)
    url = signed_seed_url(registry, seed, BASE_URL)
    registry.look_up(url)
    invented = url.split("?")[0].replace(seed.serials[0], "ZZZZZZZZZZZZZZZZ")
    real = count_statements(registry, url, monkeypatch)
    assert real == ["SELECT", "INSERT"]
    assert count_statements(registry, invented, monkeypatch) == real
    other_product = f"{BASE_URL}/01/08936099999999/21/X1"
    assert count_statements(registry, other_product, monkeypatch) == real
    assert count_statements(registry, "https://example.vn/not-a-code", monkeypatch) == real


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.vn/01/08936012345674",
        "https://example.vn/01/08936012345675/10/L1",  # wrong check digit
        "https://example.vn/01/08936012345674/21/S1/10/L1",  # qualifiers out of order
        "https://example.vn/01/08936012345674/10",
        "https://example.vn/01/08936012345674?17=2712",
        "https://example.vn/01/08936012345674?c=",
        "https://example.vn/products/42",
    ],
)
def test_urls_that_are_not_codes_are_refused(url: str) -> None:
    with pytest.raises(CodeError, match="url"):
        parse_unit_url(url)


def test_signed_values_stay_in_the_gs1_character_sets(registry: Registry, seed: Seed) -> None:
    code = parse_unit_url(signed_seed_url(registry, seed, BASE_URL))
    assert code.serial is not None and code.signature is not None
    assert set(code.serial) <= GS1_CSET_82 and set(code.signature) <= CSET_64
