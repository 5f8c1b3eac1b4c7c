"""Certificates the OCOP rules of `check` refuse (5 stars from a province, …) are refused by the registry too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings

from labelgen.errors import RegistryInputError
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.inputs import CertificateInput, RenewalInput, parse_input
from labelgen.registry.testing import SEED_CERTIFICATE, Seed, seed_registry, temporary_database
from labelgen.service.app import create_app

SALT = bytes(range(32))
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
MINISTRY = "Bộ Nông nghiệp và Môi trường"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    directory = tmp_path_factory.mktemp("certificate-rules")
    with temporary_database("sqlite", directory) as url:
        opened = Registry(RegistrySettings(url, directory / "keys", SALT), clock=lambda: NOW)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture(scope="module")
def seed(registry: Registry) -> Seed:
    return seed_registry(registry)


def certificate(number: str, **changes: Any) -> CertificateInput:
    document = {**SEED_CERTIFICATE, "certificate_no": number, **changes}
    return parse_input(CertificateInput, document)


def refused_fields(registry: Registry, seed: Seed, request: CertificateInput) -> list[str]:
    with pytest.raises(RegistryInputError) as refused:
        registry.register_certificate(seed.issuer, request)
    return [problem.field for problem in refused.value.problems]


def test_five_stars_from_a_province_are_refused(registry: Registry, seed: Seed) -> None:
    request = certificate("OCOP-R-1", stars=5)
    assert refused_fields(registry, seed, request) == ["issued_by"]


def test_five_stars_from_the_ministry_are_registered(registry: Registry, seed: Seed) -> None:
    record = registry.register_certificate(
        seed.issuer, certificate("OCOP-R-2", stars=5, issued_by=MINISTRY)
    )
    assert record.stars == 5


def test_a_validity_past_36_months_is_refused(registry: Registry, seed: Seed) -> None:
    request = certificate("OCOP-R-3", valid_until="2028-12-28")
    assert refused_fields(registry, seed, request) == ["valid_until"]


def test_a_decision_in_the_future_is_refused(registry: Registry, seed: Seed) -> None:
    request = certificate("OCOP-R-4", issued_on="2026-12-01")
    assert refused_fields(registry, seed, request) == ["issued_on"]


def test_a_renewal_to_five_stars_by_a_province_is_refused(registry: Registry, seed: Seed) -> None:
    renewal = RenewalInput(decision_no="9/QĐ", issued_on=dt.date(2026, 11, 1), stars=5)
    with pytest.raises(RegistryInputError) as refused:
        registry.renew_certificate(seed.issuer, seed.certificate_no, renewal)
    assert [problem.field for problem in refused.value.problems] == ["issued_by"]
    assert registry.get_certificate(seed.certificate_no).stars == 4


def test_a_refused_certificate_is_a_422_naming_the_field_over_http(
    registry: Registry, seed: Seed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    document = {**SEED_CERTIFICATE, "certificate_no": "OCOP-R-5", "stars": 5}
    settings = service_settings(render_workers=1, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings, registry=registry)) as client:
        response = client.post(
            "/api/v1/certificates",
            json=document,
            headers={"Authorization": f"Bearer {seed.issuer_secret}"},
        )
    body = assert_problem(response, 422, "invalid-request")
    assert [problem["field"] for problem in body["problems"]] == ["issued_by"]
    assert "ministry" in body["problems"][0]["reason"].lower()
