"""Deeply nested JSON bodies: a few kilobytes of brackets are refused 400 before any render worker sees them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings, spec_document

from labelgen.service.app import create_app
from labelgen.service.limits import MAX_JSON_DEPTH, json_too_deep
from labelgen.service.pool import RenderPool

JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    application = create_app(service_settings(render_workers=1))
    with TestClient(application):
        yield application


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def nested_body(depth: int, opener: bytes = b'{"a":', closer: bytes = b"}") -> bytes:
    """A spec whose brand holds `depth` levels of nesting: about 2.5 KB at depth 500."""
    return b'{"brand":' + opener * depth + b"1" + closer * depth + b"}"


def pool_stats(app: FastAPI) -> tuple[int, int, int]:
    pool: RenderPool = app.state.pool
    stats = pool.stats()
    return stats.completed, stats.replaced, stats.failed


@pytest.mark.parametrize("route", ["/api/v1/check", "/api/v1/labels?format=svg"])
@pytest.mark.parametrize(
    ("opener", "closer"), [(b'{"a":', b"}"), (b"[", b"]")], ids=["objects", "arrays"]
)
def test_a_deeply_nested_body_is_400_and_never_reaches_a_worker(
    app: FastAPI, client: TestClient, route: str, opener: bytes, closer: bytes
) -> None:
    before = pool_stats(app)
    response = client.post(route, content=nested_body(500, opener, closer), headers=JSON_HEADERS)
    body = assert_problem(response, 400, "malformed-body")
    assert "nested" in body["detail"]
    assert str(MAX_JSON_DEPTH) in body["detail"]
    assert pool_stats(app) == before


def test_nesting_just_under_the_limit_reaches_the_worker_and_is_named(client: TestClient) -> None:
    response = client.post(
        "/api/v1/check", content=nested_body(MAX_JSON_DEPTH - 2), headers=JSON_HEADERS
    )
    body = assert_problem(response, 422, "invalid-spec")
    assert "brand" in {problem["field"].split(".")[0] for problem in body["problems"]}


def test_brackets_inside_strings_do_not_count() -> None:
    text = b'{"product": {"name": "' + b"[{" * 5_000 + b'"}}'
    assert not json_too_deep(text)
    assert not json_too_deep(b'{"a": "\\"[[[[", "b": [1, [2]]}')
    assert json_too_deep(b"[" * (MAX_JSON_DEPTH + 1))


def test_a_normal_spec_still_renders(client: TestClient) -> None:
    response = client.post("/api/v1/check", json=spec_document())
    assert response.status_code == 200, response.text
