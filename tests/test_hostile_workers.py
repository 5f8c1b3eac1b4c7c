"""Render workers: one above the memory mark is recycled, and one that died while idle costs no request a 500."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_support import service_settings, spec_document

from labelgen.service.app import create_app
from labelgen.service.pool import RenderPool


def pool_of(app: FastAPI) -> RenderPool:
    pool: RenderPool = app.state.pool
    return pool


@pytest.fixture
def small_mark_app() -> Iterator[FastAPI]:
    # Any worker with the renderers loaded is above 64 MB resident.
    application = create_app(service_settings(render_workers=1, worker_max_rss_mb=64))
    with TestClient(application):
        yield application


@pytest.fixture
def app() -> Iterator[FastAPI]:
    application = create_app(service_settings(render_workers=1))
    with TestClient(application):
        yield application


def test_a_worker_above_the_memory_mark_is_replaced_after_its_render(
    small_mark_app: FastAPI,
) -> None:
    client = TestClient(small_mark_app)
    pool = pool_of(small_mark_app)
    first = client.post("/api/v1/check", json=spec_document())
    assert first.status_code == 200, first.text
    assert pool.stats().replaced == 1
    second = client.post("/api/v1/check", json=spec_document())
    assert second.status_code == 200, second.text
    assert pool.stats().replaced == 2


def test_a_worker_under_the_memory_mark_is_kept(app: FastAPI) -> None:
    client = TestClient(app)
    assert client.post("/api/v1/check", json=spec_document()).status_code == 200
    assert pool_of(app).stats().replaced == 0


def test_a_worker_that_died_idle_is_replaced_and_the_request_served(app: FastAPI) -> None:
    client = TestClient(app)
    pool = pool_of(app)
    (worker,) = pool.worker_process_ids()
    os.kill(worker, signal.SIGKILL)
    wait_until_gone(worker)
    response = client.post("/api/v1/check", json=spec_document())
    assert response.status_code == 200, response.text
    assert pool.worker_process_ids() not in ([], [worker])


def wait_until_gone(pid: int) -> None:
    """Until the fork server has reaped the killed worker (a bound, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} is still there")
