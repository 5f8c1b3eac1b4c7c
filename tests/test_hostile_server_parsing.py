"""A producer's spec (its SVG logo above all) is parsed only in the render workers, never the server process."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings, spec_document

import labelgen.spec
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import Seed, seed_registry, temporary_database
from labelgen.service.app import create_app

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
    b'<rect width="200" height="100" fill="#2a6"/></svg>'
)


@dataclass
class Service:
    client: TestClient
    seed: Seed


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("server-parsing")
    with temporary_database("sqlite", directory) as url:
        registry = Registry(RegistrySettings(url, directory / "keys", SALT), clock=lambda: START)
        try:
            seed = seed_registry(registry)
            settings = service_settings(render_workers=1, data_dir=directory / "data")
            with TestClient(create_app(settings, registry=registry), base_url=BASE_URL) as client:
                yield Service(client, seed)
        finally:
            registry.close()


@pytest.fixture
def server_logo_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every logo the server process itself sanitises (render workers are processes of their
    own, started from a fork server, so their calls are not seen here)."""
    calls: list[str] = []
    original = labelgen.spec.sanitize_logo

    def recording(data_uri: str) -> str:
        calls.append(data_uri[:40])
        return original(data_uri)

    monkeypatch.setattr(labelgen.spec, "sanitize_logo", recording)
    return calls


def logo_spec() -> dict[str, Any]:
    document = spec_document()
    encoded = base64.b64encode(SVG_LOGO).decode("ascii")
    document["brand"]["logo"] = f"data:image/svg+xml;base64,{encoded}"
    return document


def producer(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.seed.producer_secret}"}


def test_a_signed_label_parses_its_logo_only_in_a_worker(
    service: Service, server_logo_calls: list[str]
) -> None:
    query = f"/api/v1/labels?format=svg&serial={service.seed.serials[0]}"
    response = service.client.post(query, json=logo_spec(), headers=producer(service))
    assert response.status_code == 200, response.text
    assert server_logo_calls == []


def test_a_print_run_parses_its_logo_only_in_a_worker(
    service: Service, server_logo_calls: list[str]
) -> None:
    order = {"spec": logo_spec(), "count": 2, "sheet": "A4", "job_name": "logo"}
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    assert response.status_code == 202, response.text
    assert server_logo_calls == []


def test_a_signed_label_with_a_bad_spec_names_the_field(service: Service) -> None:
    document = logo_spec()
    document["product"]["gtin"] = "123"
    query = f"/api/v1/labels?format=svg&serial={service.seed.serials[0]}"
    response = service.client.post(query, json=document, headers=producer(service))
    body = assert_problem(response, 422, "invalid-spec")
    assert "product.gtin" in [problem["field"] for problem in body["problems"]]
