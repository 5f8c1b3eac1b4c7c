"""Who may do what: every registry operation × issuer, the owning producer, another producer and anonymous."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from labelgen.errors import ConflictError, NotFoundError, PermissionDeniedError
from labelgen.registry import (
    AllocationInput,
    BatchInput,
    CertificateInput,
    Principal,
    ProductInput,
    Registry,
    RegistrySettings,
    RenewalInput,
    parse_input,
)
from labelgen.registry.testing import (
    SEED_CERTIFICATE,
    Seed,
    clear_database,
    seed_registry,
)
from labelgen.spec import load_spec

EXAMPLE_SPEC = Path(__file__).resolve().parent.parent / "examples" / "hat-sen-say.yaml"
BASE_URL = "https://truyxuat.example.vn"
ROLES = ("issuer", "producer", "other-producer", "anonymous")
OK = "ok"
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)

Operation = Callable[[Registry, Seed, "Principal | None"], Any]


def _new_certificate(registry: Registry, seed: Seed, principal: Principal | None) -> Any:
    document = {**SEED_CERTIFICATE, "certificate_no": "OCOP-DT-2026-0999"}
    return registry.register_certificate(principal, parse_input(CertificateInput, document))


def _renew(registry: Registry, seed: Seed, principal: Principal | None) -> Any:
    renewal = RenewalInput(decision_no="7/QĐ", issued_on=dt.date(2026, 11, 20))
    return registry.renew_certificate(principal, seed.certificate_no, renewal)


def _signed_label_url(registry: Registry, seed: Seed, principal: Principal | None) -> Any:
    spec = load_spec(EXAMPLE_SPEC)
    return registry.signed_label_url(principal, spec, seed.serials[0], BASE_URL)


# Each operation acts on the objects of `seed.producer`; the expected outcome per role.
OPERATIONS: dict[str, tuple[Operation, dict[str, object]]] = {
    "register certificate": (
        _new_certificate,
        {"issuer": OK, "producer": PermissionDeniedError, "other-producer": PermissionDeniedError},
    ),
    "renew certificate": (
        _renew,
        {"issuer": OK, "producer": PermissionDeniedError, "other-producer": PermissionDeniedError},
    ),
    "suspend certificate": (
        lambda registry, seed, who: registry.suspend_certificate(who, seed.certificate_no),
        {"issuer": OK, "producer": PermissionDeniedError, "other-producer": PermissionDeniedError},
    ),
    "revoke certificate": (
        lambda registry, seed, who: registry.revoke_certificate(who, seed.certificate_no),
        {"issuer": OK, "producer": PermissionDeniedError, "other-producer": PermissionDeniedError},
    ),
    "certificate history": (
        lambda registry, seed, who: registry.certificate_history(who, seed.certificate_no),
        {"issuer": OK, "producer": OK, "other-producer": NotFoundError},
    ),
    "register product with the producer's GTIN": (
        lambda registry, seed, who: registry.register_product(
            who, ProductInput(name="Hạt sen", gtin=seed.gtin)
        ),
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": ConflictError},
    ),
    "register batch": (
        lambda registry, seed, who: registry.register_batch(
            who, seed.gtin, BatchInput(code="L270101")
        ),
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": NotFoundError},
    ),
    "list batches": (
        lambda registry, seed, who: registry.list_batches(who, seed.gtin),
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": NotFoundError},
    ),
    "allocate serials": (
        lambda registry, seed, who: registry.allocate_serials(
            who, seed.gtin, seed.batch_code, AllocationInput(count=2)
        ),
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": NotFoundError},
    ),
    "sign allocated serials": (
        lambda registry, seed, who: registry.signed_unit_urls(
            who, seed.gtin, seed.batch_code, seed.serials, BASE_URL
        ),
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": NotFoundError},
    ),
    "sign a label spec's unit": (
        _signed_label_url,
        {"issuer": PermissionDeniedError, "producer": OK, "other-producer": NotFoundError},
    ),
}
PUBLIC_OPERATIONS: dict[str, Operation] = {
    "get certificate": lambda registry, seed, who: registry.get_certificate(seed.certificate_no),
    "look up a code": lambda registry, seed, who: registry.look_up(
        f"{BASE_URL}/01/08936012345674/10/{seed.batch_code}/21/{seed.serials[0]}"
    ),
    "public keys": lambda registry, seed, who: registry.public_keys_document(),
}


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


def principal_of(seed: Seed, role: str) -> Principal | None:
    return {
        "issuer": seed.issuer,
        "producer": seed.producer,
        "other-producer": seed.other_producer,
        "anonymous": None,
    }[role]


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_operation_is_allowed_only_to_its_roles(
    registry: Registry, seed: Seed, operation: str
) -> None:
    act, outcomes = OPERATIONS[operation]
    # Refusals first: a refused call changes nothing, so the allowed calls after it still
    # find the seeded objects as they were.
    by_outcome = sorted(ROLES, key=lambda role: outcomes.get(role) == OK)
    for role in by_outcome:
        expected = outcomes.get(role, PermissionDeniedError)  # anonymous is never let in
        if expected == OK:
            act(registry, seed, principal_of(seed, role))
            continue
        assert isinstance(expected, type) and issubclass(expected, Exception)
        with pytest.raises(expected):
            act(registry, seed, principal_of(seed, role))
            pytest.fail(f"{role} was allowed to {operation}")


@pytest.mark.parametrize("operation", list(PUBLIC_OPERATIONS))
def test_public_operations_need_no_key(registry: Registry, seed: Seed, operation: str) -> None:
    for role in ROLES:
        assert PUBLIC_OPERATIONS[operation](registry, seed, principal_of(seed, role)), role


def test_refused_changes_leave_no_trace(registry: Registry, seed: Seed) -> None:
    for who in (seed.producer, seed.other_producer, None):
        with pytest.raises(PermissionDeniedError):
            registry.revoke_certificate(who, seed.certificate_no)
    assert registry.get_certificate(seed.certificate_no).status == "active"
    assert [
        entry.action for entry in registry.certificate_history(seed.issuer, seed.certificate_no)
    ] == ["registered"]


def test_not_found_reads_the_same_for_another_producers_and_a_missing_product(
    registry: Registry, seed: Seed
) -> None:
    with pytest.raises(NotFoundError) as theirs:
        registry.list_batches(seed.other_producer, seed.gtin)
    with pytest.raises(NotFoundError) as missing:
        registry.list_batches(seed.other_producer, "8936099999997")
    assert str(theirs.value).replace(seed.gtin, "X") == str(missing.value).replace(
        "8936099999997", "X"
    )


def test_each_producer_lists_only_its_own_products(registry: Registry, seed: Seed) -> None:
    own = {product.gtin for product in registry.list_products(seed.producer)}
    other = {product.gtin for product in registry.list_products(seed.other_producer)}
    everything = {product.gtin for product in registry.list_products(seed.issuer)}
    assert own == {"08936012345674"} and other == {"08936055501235"}
    assert everything == own | other
    with pytest.raises(PermissionDeniedError):
        registry.list_products(None)


def test_a_certificate_cannot_claim_another_producers_gtin(registry: Registry, seed: Seed) -> None:
    stolen = {
        **SEED_CERTIFICATE,
        "certificate_no": "OCOP-X-2026-1",
        "producer": {"name": "Cơ sở Nem Phùng", "address": "Xã Phùng, Hà Nội"},
    }
    with pytest.raises(ConflictError, match="another producer"):
        registry.register_certificate(seed.issuer, parse_input(CertificateInput, stolen))
