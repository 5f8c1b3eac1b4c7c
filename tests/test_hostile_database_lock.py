"""A SQLite write lock held by another process: /healthz and scanned-code lookups still answer within seconds."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_support import service_settings

from labelgen.service.app import create_app

# Generous: the point is that nobody waits for the lock (30 s before), not a speed target.
ANSWER_BOUND_S = 5.0
LOCK_HOLD_S = 12
SCAN_URL = "/01/08936099999999/21/X1"
JSON_ACCEPT = {"accept": "application/json"}

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN EXCLUSIVE")
connection.execute("CREATE TABLE IF NOT EXISTS lock_holder (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(service_settings(render_workers=1, data_dir=tmp_path))
    with TestClient(application):
        yield application


def database_file(app: FastAPI) -> str:
    database = app.state.registry.registry.engine.url.database
    assert database
    return str(database)


@pytest.fixture
def locked(app: FastAPI) -> Iterator[None]:
    """The registry's database write-locked by another process for LOCK_HOLD_S seconds."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, database_file(app), str(LOCK_HOLD_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        # Past the public keys' cache: the next scan reads them from the locked database.
        time.sleep(1.5)
        yield
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def timed_get(client: TestClient, url: str, headers: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    response = client.get(url, headers=headers)
    assert response.status_code < 500, response.text
    return time.monotonic() - started


def test_a_scan_answers_while_another_process_holds_the_write_lock(
    app: FastAPI, locked: None
) -> None:
    client = TestClient(app)
    started = time.monotonic()
    response = client.get(SCAN_URL, headers=JSON_ACCEPT)
    assert time.monotonic() - started < ANSWER_BOUND_S
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "unknown"


def test_healthz_answers_while_scans_meet_a_locked_database(app: FastAPI, locked: None) -> None:
    client = TestClient(app)
    scans = [
        threading.Thread(target=timed_get, args=(client, SCAN_URL, JSON_ACCEPT)) for _ in range(4)
    ]
    for scan in scans:
        scan.start()
    assert max(timed_get(client, "/healthz") for _ in range(5)) < ANSWER_BOUND_S
    for scan in scans:
        scan.join()
