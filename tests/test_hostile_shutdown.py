"""SIGTERM drains: readiness fails at once, new requests are answered 503, a request in flight finishes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings, spec_document

from labelgen.service.app import create_app
from labelgen.service.drain import Drain

STARTUP_LIMIT_S = 90.0
# A hang is what these bounds catch: a drained service answers in milliseconds.
ANSWER_LIMIT_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    environment = {**os.environ, "LABELGEN_DATA_DIR": str(tmp_path)}
    environment.pop("LABELGEN_DATABASE_URL", None)
    command = [sys.executable, "-m", "labelgen.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--render-workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(process, port)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "labelgen serve exited while starting"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("labelgen serve did not become ready")


def start_slow_request(port: int, body: bytes) -> socket.socket:
    """A check request whose body is still being sent: in flight until the rest comes (in one of
    the two server processes; the other has nothing to finish)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_LIMIT_S * 3)
    head = (
        "POST /api/v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode("ascii") + body[:10])
    return connection


def read_status(connection: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_sigterm_fails_readiness_refuses_new_work_and_finishes_the_request_in_flight(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = server
    base_url = f"http://127.0.0.1:{port}"
    body = json.dumps(spec_document()).encode("utf-8")
    with start_slow_request(port, body) as in_flight:
        time.sleep(0.5)  # the request has reached the app and waits for its body
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        readiness = httpx.get(f"{base_url}/readyz", timeout=ANSWER_LIMIT_S)
        assert readiness.status_code == 503
        assert readiness.headers["content-type"].startswith("application/problem+json")
        assert int(readiness.headers["retry-after"]) >= 1
        new_work = httpx.post(f"{base_url}/api/v1/check", content=body, timeout=ANSWER_LIMIT_S)
        assert new_work.status_code == 503
        in_flight.sendall(body[10:])
        assert read_status(in_flight) == 200
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)


def test_a_draining_app_stays_live_but_not_ready_and_takes_no_work() -> None:
    application = create_app(service_settings(render_workers=1))
    with TestClient(application) as client:
        assert client.get("/readyz").status_code == 200
        drain: Drain = application.state.drain
        drain.begin()
        assert client.get("/healthz").status_code == 200
        readiness = assert_problem(client.get("/readyz"), 503, "unavailable")
        assert "shutting down" in readiness["detail"]
        response = client.post("/api/v1/check", json=spec_document())
        assert_problem(response, 503, "unavailable")
        assert response.headers["connection"] == "close"
        assert drain.in_flight == 0
