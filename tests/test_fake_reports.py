"""Counterfeit reports: the form on the verification page, storing a report without personal data, the issuer's list."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_support import FixedClock, assert_problem, service_settings
from sqlalchemy import create_engine, inspect, text

from labelgen.cli import main
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.database import HEAD_REVISION, upgrade_database
from labelgen.registry.testing import Seed, clear_database, seed_registry, temporary_database
from labelgen.service.app import create_app
from labelgen.service.verification import VERIFY_CSP

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
UNKNOWN_PATH = "/01/08936099999999/21/FAKE1"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/120.0",
    "X-Forwarded-For": "203.0.113.7",
}


@dataclass
class Service:
    client: TestClient
    registry: Registry
    clock: FixedClock


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("reports")
    with temporary_database("sqlite", directory) as url:
        clock = FixedClock(START)
        registry = Registry(RegistrySettings(url, directory / "keys", SALT), clock=clock)
        try:
            app = create_app(service_settings(render_workers=1), registry=registry)
            with TestClient(app, base_url=BASE_URL) as client:
                yield Service(client, registry, clock)
        finally:
            registry.close()


@pytest.fixture
def seed(service: Service) -> Seed:
    service.clock.now = START
    service.client.app.state.registry.verifier.flush()  # type: ignore[attr-defined]
    clear_database(service.registry.engine)
    return seed_registry(service.registry)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def report_form(service: Service, **fields: str) -> tuple[int, str]:
    response = service.client.post("/report", data=fields, headers=BROWSER_HEADERS)
    return response.status_code, response.text


def listed(service: Service, seed: Seed, query: str = "") -> list[dict[str, object]]:
    response = service.client.get(f"/api/v1/reports{query}", headers=bearer(seed.issuer_secret))
    assert response.status_code == 200, response.text
    reports: list[dict[str, object]] = response.json()
    return reports


def test_every_verdict_page_has_the_report_form_posting_to_this_origin(
    service: Service, seed: Seed
) -> None:
    response = service.client.get(UNKNOWN_PATH + "?lang=vi")
    assert response.headers["content-security-policy"] == VERIFY_CSP
    assert "form-action 'self'" in VERIFY_CSP
    page = response.text
    assert "Báo cáo nghi ngờ hàng giả" in page
    assert '<form class="report-form" method="post" action="/report">' in page
    assert f'name="code" value="{UNKNOWN_PATH}"' in page
    for reason in ("code-mismatch", "unusual-packaging", "suspicious-seller", "other"):
        assert f'value="{reason}"' in page
    assert "<details open>" in page  # unknown: the form is shown open
    english = service.client.get(UNKNOWN_PATH + "?lang=en").text
    assert "Report a suspected fake" in english
    assert 'name="lang" value="en"' in english


def test_a_report_from_the_page_is_stored_without_personal_data(
    service: Service, seed: Seed
) -> None:
    status, page = report_form(
        service,
        code=UNKNOWN_PATH + "?lang=vi",
        reason="unusual-packaging",
        text="Bao bì  mỏng,\r\nin mờ",
        lang="vi",
    )
    assert status == 200
    assert "Cảm ơn bạn đã báo cáo" in page
    assert f'href="{UNKNOWN_PATH}"' in page
    [report] = listed(service, seed)
    assert report["url"] == BASE_URL + UNKNOWN_PATH
    assert report["gtin"] == "08936099999999"
    assert report["serial"] == "FAKE1"
    assert report["reason"] == "unusual-packaging"
    assert report["text"] == "Bao bì mỏng, in mờ"
    assert report["status"] == "unknown"
    with service.registry.engine.connect() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("fake_reports")}
        rows = connection.execute(text("SELECT * FROM fake_reports")).all()
    assert columns == {
        "id", "code_url", "gtin", "batch", "serial", "reason", "text", "status", "created_at"
    }  # fmt: skip
    stored = " ".join(str(value) for value in rows[0])
    for personal in ("203.0.113", "Mozilla", "Chrome"):
        assert personal not in stored


def test_a_report_on_a_genuine_code_keeps_its_verdict_and_batch(
    service: Service, seed: Seed
) -> None:
    signed = service.client.post(
        f"/api/v1/products/{seed.gtin}/batches/{seed.batch_code}/codes",
        json={"serials": [seed.serials[0]]},
        headers=bearer(seed.producer_secret),
    ).json()["codes"][0]["url"]
    page = service.client.get(signed).text
    assert "<details>" in page  # valid: folded away, still there
    response = service.client.post(
        "/api/v1/reports", json={"url": signed, "reason": "suspicious-seller"}
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "valid"
    assert report["batch"] == seed.batch_code
    assert report["serial"] == seed.serials[0]
    assert report["text"] is None


def test_the_issuer_lists_reports_by_gtin(service: Service, seed: Seed) -> None:
    for path in (UNKNOWN_PATH, "/01/08936012345674"):
        report_form(service, code=path, reason="other")
    assert len(listed(service, seed)) == 2
    [only] = listed(service, seed, "?gtin=8936012345674")
    assert only["gtin"] == "08936012345674"


def test_a_producer_key_or_no_key_is_refused(service: Service, seed: Seed) -> None:
    assert_problem(service.client.get("/api/v1/reports"), 401, "unauthorized")
    refused = service.client.get("/api/v1/reports", headers=bearer(seed.producer_secret))
    assert_problem(refused, 403, "forbidden")


def test_a_reason_off_the_list_is_refused_naming_reason(service: Service, seed: Seed) -> None:
    response = service.client.post(
        "/report", data={"code": UNKNOWN_PATH, "reason": "spam"}, headers=FORM
    )
    body = assert_problem(response, 422, "invalid-request")
    assert [problem["field"] for problem in body["problems"]] == ["reason"]
    response = service.client.post("/api/v1/reports", json={"url": UNKNOWN_PATH})
    body = assert_problem(response, 422, "invalid-request")
    assert [problem["field"] for problem in body["problems"]] == ["reason"]
    assert listed(service, seed) == []


def test_an_over_long_text_or_body_is_refused(service: Service, seed: Seed) -> None:
    response = service.client.post(
        "/api/v1/reports", json={"url": UNKNOWN_PATH, "reason": "other", "text": "x" * 501}
    )
    body = assert_problem(response, 422, "invalid-request")
    assert [problem["field"] for problem in body["problems"]] == ["text"]
    huge = {"code": UNKNOWN_PATH, "reason": "other", "text": "x" * 5000}
    assert_problem(service.client.post("/report", data=huge), 413, "request-too-large")
    assert listed(service, seed) == []


def test_a_code_of_another_site_is_refused(service: Service, seed: Seed) -> None:
    for url in ("https://evil.example/01/08936012345674", "/api/v1/products", ""):
        response = service.client.post("/api/v1/reports", json={"url": url, "reason": "other"})
        body = assert_problem(response, 422, "invalid-request")
        assert [problem["field"] for problem in body["problems"]] == ["url"]


def test_one_code_reported_again_and_again_is_slowed_down(service: Service, seed: Seed) -> None:
    statuses = [report_form(service, code=UNKNOWN_PATH, reason="other")[0] for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    service.clock.now = START + dt.timedelta(minutes=2)
    assert report_form(service, code=UNKNOWN_PATH, reason="other")[0] == 200


def test_the_migration_upgrades_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade_database(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert "fake_reports" in inspect(connection).get_table_names()
            revision = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert revision.scalar() == HEAD_REVISION
    finally:
        engine.dispose()


def test_the_cli_lists_reports_for_an_issuer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LABELGEN_DATABASE_URL", url)
    monkeypatch.setenv("LABELGEN_DATA_DIR", str(tmp_path / "data"))
    registry = Registry(RegistrySettings(url, tmp_path / "keys", SALT))
    try:
        registry.migrate()
        seeded = seed_registry(registry)
        registry.record_fake_report(BASE_URL + UNKNOWN_PATH, "code-mismatch", "lạ", "unknown")
    finally:
        registry.close()
    monkeypatch.setenv("LABELGEN_API_KEY", seeded.issuer_secret)
    assert main(["registry", "reports", "list", "--gtin", "8936099999999"]) == 0
    output = capsys.readouterr().out
    assert re.search(r"unknown\s+code-mismatch\s+https://truyxuat\.example\.vn/01/", output)
    monkeypatch.setenv("LABELGEN_API_KEY", seeded.producer_secret)
    assert main(["registry", "reports", "list"]) != 0
