"""Throwaway registry databases for tests: a backend name → the URL of a migrated, empty database, dropped afterwards.

For the test suites of the registry and of the code built on it (the HTTP service): SQLite is a
file in a temporary folder; PostgreSQL is a schema of its own in the test database, so parallel
runs and earlier runs never collide, selected through `search_path` in the URL itself so that
subprocesses given the URL land in the same schema.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from sqlalchemy import Engine, text

from labelgen.registry.apikeys import Principal
from labelgen.registry.database import make_engine, upgrade_database
from labelgen.registry.inputs import AllocationInput, BatchInput, CertificateInput, parse_input
from labelgen.registry.models import Base
from labelgen.registry.settings import sqlite_url

if TYPE_CHECKING:
    from labelgen.registry.service import Registry

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
POSTGRES_URL_VARIABLE = "LABELGEN_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_test_url() -> str:
    """The PostgreSQL database tests may use: $LABELGEN_TEST_POSTGRES_URL or the local `test`."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


@contextmanager
def temporary_database(backend: Backend, directory: Path) -> Iterator[str]:
    """A migrated, empty registry database on `backend` for the duration of the block."""
    if backend == "sqlite":
        url = sqlite_url(directory / "registry.db")
        upgrade_database(url)
        yield url
        return
    schema = f"labelgen_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = make_engine(postgres_test_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in postgres_test_url() else "?"
        # Commits need not reach the disk in a throwaway schema: the tests run twice as fast.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        url = f"{postgres_test_url()}{separator}options={quote(options)}"
        upgrade_database(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def clear_database(engine: Engine) -> None:
    """Delete every row of every registry table, keeping the schema (fast isolation between tests)."""
    # DELETE, not TRUNCATE: on a few rows it is ten times faster on PostgreSQL.
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


# The certified product of examples/hat-sen-say.yaml, so a test can sign that spec's units.
SEED_PRODUCER = {
    "name": "Hợp tác xã Nông nghiệp Sen Tháp Mười",
    "address": "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp",
    "phone": "0277 3 822 456",
}
SEED_PRODUCT = {"name": "Hạt sen sấy giòn", "gtin": "8936012345674"}
SEED_CERTIFICATE = {
    "scheme": "OCOP",
    "stars": 4,
    "certificate_no": "OCOP-DT-2024-0178",
    "decision_no": "2150/QĐ-UBND",
    "issued_by": "UBND tỉnh Đồng Tháp",
    "issued_on": "2024-12-27",
    "producer": SEED_PRODUCER,
    "product": SEED_PRODUCT,
}
SEED_OTHER_PRODUCER = {"name": "Cơ sở Nem Phùng", "address": "Xã Phùng, Hà Nội"}
SEED_OTHER_PRODUCT = {"name": "Nem chua", "gtin": "8936055501235"}
SEED_OTHER_CERTIFICATE = {
    "scheme": "OCOP",
    "stars": 3,
    "certificate_no": "OCOP-HN-2025-0042",
    "decision_no": "88/QĐ-UBND",
    "issued_by": "UBND thành phố Hà Nội",
    # After 5 July 2025 a province recognises 3 stars again (before, a district did).
    "issued_on": "2025-07-10",
    "producer": SEED_OTHER_PRODUCER,
    "product": SEED_OTHER_PRODUCT,
}
SEED_BATCH = {"code": "L261120", "manufactured_on": "2026-11-20", "expires_on": "2027-11-20"}


@dataclass(frozen=True)
class Seed:
    """What `seed_registry` made: principals and their secrets, and the objects of each producer."""

    issuer: Principal
    producer: Principal
    other_producer: Principal
    issuer_secret: str
    producer_secret: str
    other_producer_secret: str
    certificate_no: str
    gtin: str
    batch_code: str
    serials: tuple[str, ...]
    other_certificate_no: str
    other_gtin: str
    other_serials: tuple[str, ...]


def seed_registry(registry: Registry, serial_count: int = 3) -> Seed:
    """An issuer, two producers each with a certificate, a batch and serials, and a signing key."""
    issuer_key = registry.create_api_key("issuer")
    issuer = registry.authenticate(issuer_key.secret)
    made = []
    for producer_document, certificate_document, product_document in (
        (SEED_PRODUCER, SEED_CERTIFICATE, SEED_PRODUCT),
        (SEED_OTHER_PRODUCER, SEED_OTHER_CERTIFICATE, SEED_OTHER_PRODUCT),
    ):
        key = registry.create_api_key(
            "producer", producer_document["name"], address=producer_document["address"]
        )
        producer = registry.authenticate(key.secret)
        registry.register_certificate(issuer, parse_input(CertificateInput, certificate_document))
        gtin = product_document["gtin"]
        registry.register_batch(producer, gtin, parse_input(BatchInput, SEED_BATCH))
        allocation = registry.allocate_serials(
            producer, gtin, SEED_BATCH["code"], AllocationInput(count=serial_count)
        )
        made.append((key.secret, producer, allocation.serials))
    registry.rotate_signing_key()
    return Seed(
        issuer=issuer,
        producer=made[0][1],
        other_producer=made[1][1],
        issuer_secret=issuer_key.secret,
        producer_secret=made[0][0],
        other_producer_secret=made[1][0],
        certificate_no=str(SEED_CERTIFICATE["certificate_no"]),
        gtin=SEED_PRODUCT["gtin"],
        batch_code=SEED_BATCH["code"],
        serials=made[0][2],
        other_certificate_no=str(SEED_OTHER_CERTIFICATE["certificate_no"]),
        other_gtin=SEED_OTHER_PRODUCT["gtin"],
        other_serials=made[1][2],
    )


def signed_seed_url(registry: Registry, seed: Seed, base_url: str, position: int = 0) -> str:
    """The signed QR URL of the seed producer's serial at `position`."""
    serial = seed.serials[position]
    return registry.signed_unit_urls(seed.producer, seed.gtin, seed.batch_code, [serial], base_url)[
        0
    ]


def seeded_environment(url: str, directory: Path) -> tuple[Seed, dict[str, str]]:
    """The database at `url` seeded (signing keys under `directory`), and the LABELGEN_*
    variables a process reads to find it: what a `labelgen batch` subprocess, or the registry
    process a run forks, opens."""
    from labelgen.registry.service import Registry
    from labelgen.registry.settings import (
        DATABASE_URL_VARIABLE,
        KEY_DIR_VARIABLE,
        SCAN_SALT_VARIABLE,
        RegistrySettings,
    )

    salt = bytes(range(32))
    registry = Registry(RegistrySettings(url, directory / "keys", salt))
    try:
        seed = seed_registry(registry)
    finally:
        registry.close()
    variables = {
        DATABASE_URL_VARIABLE: url,
        KEY_DIR_VARIABLE: str(directory / "keys"),
        SCAN_SALT_VARIABLE: salt.hex(),
    }
    return seed, variables
