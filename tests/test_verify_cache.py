"""The verdict cache on PostgreSQL: codes scanned again come from memory; registry changes reach all processes."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from service_support import service_settings
from sqlalchemy import text
from test_hostile_shutdown import free_port, wait_until_ready

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.cache import ReadingCache
from labelgen.registry.lookup import UnitReading
from labelgen.registry.testing import Seed, seed_registry, signed_seed_url, temporary_database
from labelgen.service.app import create_app
from labelgen.service.verify_cache import CachingVerifier

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
JSON = {"Accept": "application/json"}
# PostgreSQL sends a notification to the listening sessions as the change commits, but on a
# loaded machine the listening session may write it out some milliseconds after the committing
# client returns. A person's next scan comes seconds later; the test waits this long, far less
# than the cache's own time limit, so only the notification explains a changed answer.
NOTIFY_SETTLE_S = 0.5


@dataclass
class Registered:
    url: str
    registry: Registry
    seed: Seed
    keys: Path


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[Registered]:
    with temporary_database("postgresql", tmp_path) as url:
        registry = Registry(RegistrySettings(url, tmp_path / "keys", SALT))
        try:
            yield Registered(url, registry, seed_registry(registry), tmp_path / "keys")
        finally:
            registry.close()


def scan(client: Any, code_url: str) -> dict[str, Any]:
    response = client.get(code_url.removeprefix(BASE_URL), headers=JSON)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_a_scan_again_is_answered_from_memory_until_the_certificate_is_revoked(
    registered: Registered, tmp_path: Path
) -> None:
    settings = service_settings(
        render_workers=1,
        data_dir=tmp_path / "data",
        database_url=registered.url,
        verify_cache_s=5.0,
    )
    code = signed_seed_url(registered.registry, registered.seed, BASE_URL)
    # The office works from another process: its own registry, its own connections.
    office = Registry(RegistrySettings(registered.url, registered.keys, SALT))
    try:
        with TestClient(create_app(settings), base_url=BASE_URL) as client:
            verifier = client.app.state.registry.verifier  # type: ignore[attr-defined]
            assert isinstance(verifier, CachingVerifier)
            first = scan(client, code)
            second = scan(client, code)
            assert first["status"] == second["status"] == "valid"
            assert verifier.cache.hits >= 1
            # Scans recorded while the reading comes from memory still count.
            assert second["scan_count"] == first["scan_count"] + 1

            office.suspend_certificate(registered.seed.issuer, registered.seed.certificate_no)
            time.sleep(NOTIFY_SETTLE_S)
            assert scan(client, code)["status"] == "suspended"
            office.reinstate_certificate(registered.seed.issuer, registered.seed.certificate_no)
            time.sleep(NOTIFY_SETTLE_S)
            assert scan(client, code)["status"] == "valid"
            office.revoke_certificate(registered.seed.issuer, registered.seed.certificate_no)
            time.sleep(NOTIFY_SETTLE_S)
            assert scan(client, code)["status"] == "revoked"
    finally:
        office.close()


def test_a_revocation_reaches_a_server_in_another_process_at_the_next_scan(
    registered: Registered, tmp_path: Path
) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "LABELGEN_DATABASE_URL": registered.url,
        "LABELGEN_DATA_DIR": str(tmp_path / "data"),
        "LABELGEN_SIGNING_KEY_DIR": str(registered.keys),
        "LABELGEN_SCAN_SALT": SALT.hex(),
        "LABELGEN_BASE_URL": BASE_URL,
        "LABELGEN_VERIFY_CACHE_S": "60",  # only the change feed can make it read again
    }
    command = [sys.executable, "-m", "labelgen.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--render-workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(server, port)
        code = signed_seed_url(registered.registry, registered.seed, BASE_URL)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert [scan(client, code)["status"] for _ in range(3)] == ["valid"] * 3
            registered.registry.revoke_certificate(
                registered.seed.issuer, registered.seed.certificate_no
            )
            time.sleep(NOTIFY_SETTLE_S)
            assert scan(client, code)["status"] == "revoked"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_a_write_of_this_process_keeps_nothing_in_the_cache_until_it_commits(
    registered: Registered,
) -> None:
    cache = ReadingCache(registered.registry.engine, max_age_s=60)
    cache.open()
    cache.watch_writes(registered.registry.engine)
    reading = UnitReading(serial_id=1)
    try:
        with registered.registry.engine.begin() as connection:
            connection.execute(text("UPDATE certificates SET stars = stars"))
            # Read while the change is not committed: the old state, never to be kept.
            cache.put("code", cache.generation(), reading)
            assert cache.get("code") is None
        cache.put("code", cache.generation(), reading)
        assert cache.get("code") == reading
    finally:
        cache.close()


def test_expired_readings_are_dropped_as_new_ones_are_kept(registered: Registered) -> None:
    # Each entry is objects the garbage collector walks in its full passes: none is kept
    # longer than it can be answered.
    cache = ReadingCache(registered.registry.engine, max_age_s=0.01)
    cache.open()
    try:
        cache.put("old", cache.generation(), UnitReading(serial_id=1))
        time.sleep(0.05)
        cache.put("new", cache.generation(), UnitReading(serial_id=2))
        assert len(cache) == 1
    finally:
        cache.close()


def test_the_server_keeps_what_start_up_built_out_of_the_garbage_collectors_full_passes(
    tmp_path: Path,
) -> None:
    # A full pass over start-up's objects paused every scan for a tenth of a second or more
    # (labelgen.service.app.freeze_start_up_objects).
    settings = service_settings(render_workers=1, data_dir=tmp_path / "data")
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
    # Given back to the collector when the app stops: a test process starts many.
    assert gc.get_freeze_count() == 0
