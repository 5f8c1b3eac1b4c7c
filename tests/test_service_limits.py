"""Limits and isolation: 413 before parsing, 429 when saturated, 504 on a slow render, a memory cap,
503 once closed, and in-flight renders finishing on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_support import assert_problem, run_async, service_settings, spec_document

from labelgen.cli import main
from labelgen.service.app import create_app
from labelgen.service.pool import RenderPool

MAX_BODY_BYTES = 20_000
# Two 5 MB requests of this app never reach a worker (they are refused at the door).
LIMITS = {
    "render_workers": 1,
    "max_queue": 0,
    "max_body_bytes": MAX_BODY_BYTES,
    "render_memory_mb": 600,
}


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    application = create_app(service_settings(**LIMITS))
    with TestClient(application):
        yield application


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    # A client without lifespan of its own: the module's fixture keeps the pool running.
    return TestClient(app)


def pool_of(app: FastAPI) -> RenderPool:
    pool: RenderPool = app.state.pool
    return pool


def renders_done(app: FastAPI) -> int:
    return pool_of(app).stats().completed


def spec_body() -> bytes:
    return json.dumps(spec_document()).encode()


def test_a_declared_oversize_body_is_413_and_never_reaches_a_worker(
    app: FastAPI, client: TestClient
) -> None:
    before = renders_done(app)
    body = b'{"brand": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = client.post(
        "/api/v1/labels?format=svg", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 413, "request-too-large")
    assert f"{MAX_BODY_BYTES:,}" in problem["detail"]
    assert renders_done(app) == before


def test_a_streamed_oversize_body_is_413_and_never_reaches_a_worker(
    app: FastAPI, client: TestClient
) -> None:
    before = renders_done(app)
    chunks = (b" " * 1000 for _ in range(100))  # five times the limit, without a Content-Length
    response = client.post("/api/v1/check", content=chunks, headers=JSON_HEADERS)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "request-too-large")
    assert renders_done(app) == before


def test_reading_stops_at_the_limit(app: FastAPI) -> None:
    """Over a real connection the rest of a streamed body is never read."""
    headers = [(b"content-type", b"application/json")]
    messages, reads = run_async(lambda: call_asgi(app, "/api/v1/check", headers, 1000, 100))
    assert messages[0]["status"] == 413
    assert reads <= MAX_BODY_BYTES // 1000 + 1


async def call_asgi(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], chunk_bytes: int, chunks: int
) -> tuple[list[dict[str, Any]], int]:
    """Send a body of `chunks` pieces straight to the ASGI app; what it sent, and how many
    pieces it asked for."""
    sent: list[dict[str, Any]] = []
    reads = 0
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "headers": headers,
        "query_string": b"",
    }

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        more = reads < chunks
        return {"type": "http.request", "body": b" " * chunk_bytes, "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent, reads


def test_a_body_at_the_limit_is_read(client: TestClient) -> None:
    body = json.dumps(spec_document()).encode()
    padded = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    response = client.post(
        "/api/v1/check", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


def test_a_non_numeric_content_length_is_400(app: FastAPI) -> None:
    headers = [(b"content-length", b"12abc"), (b"content-type", b"application/json")]
    messages, _ = run_async(lambda: call_asgi(app, "/api/v1/check", headers, 2, 1))
    assert messages[0]["status"] == 400


def test_a_full_pool_answers_429_with_retry_after(app: FastAPI) -> None:
    """One worker, no queue: of two renders sent together, one runs and one is refused."""

    async def two_at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            slow = "/api/v1/labels?format=png&dpi=600"
            return list(
                await asyncio.gather(
                    client.post(slow, content=spec_body(), headers=JSON_HEADERS),
                    client.post(slow, content=spec_body(), headers=JSON_HEADERS),
                )
            )

    responses = run_async(two_at_once)
    assert sorted(response.status_code for response in responses) == [200, 429]
    refused = next(response for response in responses if response.status_code == 429)
    assert_problem(refused, 429, "busy")  # type: ignore[arg-type]
    assert int(refused.headers["retry-after"]) >= 1


JSON_HEADERS = {"content-type": "application/json"}


def test_a_render_over_the_time_limit_is_504_and_the_next_one_works(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = pool_of(app)
    timed_out = pool.stats().timed_out
    monkeypatch.setattr(pool, "render_timeout_s", 0.001)
    response = client.post("/api/v1/labels?format=pdf", content=spec_body(), headers=JSON_HEADERS)
    problem = assert_problem(response, 504, "render-timeout")
    assert "0.001 s" in problem["detail"]
    assert pool.stats().timed_out == timed_out + 1
    assert client.get("/healthz").status_code == 200
    monkeypatch.undo()
    again = client.post("/api/v1/labels?format=pdf", content=spec_body(), headers=JSON_HEADERS)
    assert again.status_code == 200
    assert again.content.startswith(b"%PDF-")


def test_a_render_over_the_memory_limit_is_422_and_the_next_one_works(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/v1/labels?format=png&dpi=2000", content=spec_body(), headers=JSON_HEADERS
    )
    assert_problem(response, 422, "too-complex")
    again = client.post("/api/v1/labels?format=svg", content=spec_body(), headers=JSON_HEADERS)
    assert again.status_code == 200


def test_a_closed_service_answers_503_with_retry_after() -> None:
    application = create_app(service_settings(render_workers=1))
    with TestClient(application) as client:
        assert client.get("/readyz").status_code == 200
    after = TestClient(application)  # the lifespan has ended: the pool is closed
    response = after.post("/api/v1/check", content=spec_body(), headers=JSON_HEADERS)
    assert_problem(response, 503, "unavailable")
    assert int(response.headers["retry-after"]) >= 1
    assert_problem(after.get("/readyz"), 503, "unavailable")
    assert after.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("flag", "setting"), [("--workers", "workers"), ("--render-workers", "render_workers")]
)
def test_serve_refuses_bad_settings_before_starting(
    capsys: pytest.CaptureFixture[str], flag: str, setting: str
) -> None:
    assert main(["serve", flag, "0"]) == 2
    assert f"invalid service settings: {setting}:" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "labelgen serve exited while starting"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("labelgen serve did not become ready")


@pytest.mark.slow
def test_sigterm_lets_a_render_in_progress_finish() -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    labelgen = Path(sys.executable).with_name("labelgen")
    process = subprocess.Popen(
        [str(labelgen), "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LABELGEN_RENDER_TIMEOUT_S": "60"},
    )
    try:
        wait_until_ready(base_url, process, limit_s=60)
        result: dict[str, httpx.Response] = {}

        def render() -> None:
            result["response"] = httpx.post(
                f"{base_url}/api/v1/labels?format=png&dpi=1200",
                content=spec_body(),
                headers=JSON_HEADERS,
                timeout=60,
            )

        client = threading.Thread(target=render)
        client.start()
        time.sleep(0.4)  # the render (about a second at 1200 dpi) is under way
        process.send_signal(signal.SIGTERM)
        client.join(timeout=60)
        response = result["response"]
        assert response.status_code == 200
        assert response.content.startswith(b"\x89PNG")
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
