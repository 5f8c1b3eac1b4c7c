"""A deployment in miniature: two servers and two workers on one PostgreSQL and one run store.

A run submitted to one server and polled on the other survives the death of its worker; on the
embedded SQLite database, the processes of one `labelgen serve` all answer for a run."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_support import spec_document
from sqlalchemy import func, select
from test_hostile_shutdown import free_port, wait_until_ready
from test_service_runs import codes_in_reading_order, rasterise_page

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.models import PrintRun, Serial
from labelgen.registry.testing import Seed, seed_registry, temporary_database

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
RUN_UNITS = 4000  # some 670 A4 sheets: seconds to draw, time enough to kill its worker early
FINISH_LIMIT_S = 240.0
KILL_AFTER_SHEETS = 1


@dataclass
class Deployment:
    servers: list[int]  # ports
    workers: list[subprocess.Popen[bytes]]
    registry: Registry
    seed: Seed
    store: Path

    def url(self, server: int, path: str) -> str:
        return f"http://127.0.0.1:{self.servers[server]}{path}"


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        # A session of its own, so that killing it takes its drawing processes too, as a
        # machine that dies would.
        return subprocess.Popen(
            [sys.executable, "-m", "labelgen.cli", *command],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[bytes], signal_number: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal_number)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    with temporary_database("postgresql", tmp_path) as url:
        keys = tmp_path / "keys"
        registry = Registry(RegistrySettings(url, keys, SALT))
        processes: list[subprocess.Popen[bytes]] = []
        try:
            seed = seed_registry(registry)
            store = tmp_path / "store"
            environment = {
                **os.environ,
                "LABELGEN_DATABASE_URL": url,
                "LABELGEN_DATA_DIR": str(tmp_path / "data"),
                "LABELGEN_RUN_STORE_DIR": str(store),
                "LABELGEN_SIGNING_KEY_DIR": str(keys),
                "LABELGEN_SCAN_SALT": SALT.hex(),
                "LABELGEN_BASE_URL": BASE_URL,
            }
            ports = [free_port(), free_port()]
            servers = [
                start(
                    ["serve", "--port", str(port), "--workers", "1", "--render-workers", "1"],
                    environment,
                    tmp_path / f"serve-{port}.log",
                )
                for port in ports
            ]
            processes += servers
            workers = [
                start(["worker"], environment, tmp_path / f"worker-{index}.log")
                for index in range(2)
            ]
            processes += workers
            for process, port in zip(servers, ports, strict=True):
                wait_until_ready(process, port)
            yield Deployment(ports, workers, registry, seed, store)
        finally:
            for process in processes:
                kill_group(process, signal.SIGTERM)
            registry.close()


def poll(deployment: Deployment, server: int, run_id: str, headers: dict[str, str]) -> Any:
    response = httpx.get(deployment.url(server, f"/api/v1/runs/{run_id}"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def drawn_by(deployment: Deployment, run_id: str) -> str | None:
    with deployment.registry.engine.connect() as connection:
        return connection.execute(select(PrintRun.drawn_by).where(PrintRun.id == run_id)).scalar()


def test_a_run_survives_its_worker_and_every_server_answers_for_it(
    deployment: Deployment,
) -> None:
    headers = {"Authorization": f"Bearer {deployment.seed.producer_secret}"}
    with deployment.registry.engine.connect() as connection:
        serials_before = connection.execute(select(func.count()).select_from(Serial)).scalar_one()
    order = {"spec": spec_document(), "count": RUN_UNITS, "sheet": "A4", "job_name": "L261120"}
    accepted = httpx.post(deployment.url(0, "/api/v1/runs"), json=order, headers=headers)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["id"]

    # Polled on the other server, mid-run: then the worker drawing it dies with its children.
    deadline = time.monotonic() + FINISH_LIMIT_S
    while (document := poll(deployment, 1, run_id, headers))["progress"][
        "sheets_done"
    ] < KILL_AFTER_SHEETS:
        assert document["status"] in ("queued", "running"), document
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    drawer = drawn_by(deployment, run_id)
    killed = next(worker for worker in deployment.workers if drawer == f"{_host()}:{worker.pid}")
    kill_group(killed)
    sheets_at_kill = document["progress"]["sheets_done"]
    assert sheets_at_kill < document["progress"]["sheets_total"], "finished before the kill"

    while (document := poll(deployment, 1, run_id, headers))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"still {document['status']} after the timeout"
        time.sleep(0.5)
    assert document["status"] == "done", document["error"]
    assert drawn_by(deployment, run_id) != drawer  # the other worker finished it
    survivor = next(worker for worker in deployment.workers if worker is not killed)
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=30) == 0  # an idle worker stops at once, and cleanly
    assert document["preflight"]["passed"] is True

    pdf = httpx.get(deployment.url(0, f"/api/v1/runs/{run_id}/pdf"), headers=headers)
    assert pdf.status_code == 200
    manifest = httpx.get(deployment.url(1, f"/api/v1/runs/{run_id}/serials.csv"), headers=headers)
    rows = list(csv.DictReader(io.StringIO(manifest.text)))
    serials = [row["serial"] for row in rows]
    assert len(serials) == len(set(serials)) == RUN_UNITS
    with deployment.registry.engine.connect() as connection:
        serials_after = connection.execute(select(func.count()).select_from(Serial)).scalar_one()
    assert serials_after - serials_before == RUN_UNITS  # none issued twice, none lost

    # The codes on the sheet drawn before the kill, the one after it and the last, read by a
    # real decoder, are the manifest's, in order.
    per_sheet = RUN_UNITS // document["sheets"] + (RUN_UNITS % document["sheets"] > 0)
    for sheet in (1, sheets_at_kill + 1, document["sheets"]):
        codes = codes_in_reading_order(rasterise_page(pdf.content, sheet))
        first = (sheet - 1) * per_sheet
        assert codes == [row["url"] for row in rows[first : first + len(codes)]]
        assert codes


def _host() -> str:
    return socket.gethostname()


def test_on_the_embedded_database_every_server_process_answers_for_a_run(tmp_path: Path) -> None:
    """`labelgen serve` with two processes and no PostgreSQL: the run is drawn inside one of
    them, and every poll, whichever process takes it, finds it."""
    data = tmp_path / "data"
    registry = Registry(
        RegistrySettings(f"sqlite:///{data / 'labelgen.db'}", data / "signing-keys", SALT)
    )
    try:
        registry.migrate()
        seed = seed_registry(registry)
    finally:
        registry.close()
    environment = {**os.environ, "LABELGEN_DATA_DIR": str(data), "LABELGEN_SCAN_SALT": SALT.hex()}
    environment.pop("LABELGEN_DATABASE_URL", None)
    port = free_port()
    server = start(
        ["serve", "--port", str(port), "--workers", "2", "--render-workers", "2"],
        environment,
        tmp_path / "serve.log",
    )
    try:
        wait_until_ready(server, port)
        headers = {"Authorization": f"Bearer {seed.producer_secret}", "Connection": "close"}
        order = {"spec": spec_document(), "count": 12, "sheet": "A4"}
        base = f"http://127.0.0.1:{port}/api/v1/runs"
        accepted = httpx.post(base, json=order, headers=headers)
        assert accepted.status_code == 202, accepted.text
        location = f"{base}/{accepted.json()['id']}"
        deadline = time.monotonic() + FINISH_LIMIT_S
        statuses = []
        while not statuses or statuses[-1] != "done":
            # A new connection each time, so that both processes take polls.
            response = httpx.get(location, headers=headers)
            assert response.status_code == 200, response.text
            statuses.append(response.json()["status"])
            assert statuses[-1] != "failed", response.text
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.1)
        for _ in range(20):
            assert httpx.get(location, headers=headers).status_code == 200
        assert httpx.get(f"{location}/pdf", headers=headers).status_code == 200
    finally:
        kill_group(server, signal.SIGTERM)
