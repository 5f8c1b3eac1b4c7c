"""Print runs over HTTP on a seeded SQLite registry: order, progress, a PDF whose codes verify, who sees what, refusals.

One app for the module (one render worker, its runs under a temporary data dir); the registry is
seeded once: an issuer, two producers each with a certificate, a batch and a signing key.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pikepdf
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from imaging import open_png
from PIL import Image
from service_support import (
    NOT_COMPLIANT_EXAMPLE,
    assert_problem,
    service_settings,
    spec_document,
)

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import (
    Seed,
    seed_registry,
    temporary_database,
)
from labelgen.service.app import create_app
from labelgen.service.routers.runs import RunDocument

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
# The registry's day (the seed certificate runs to 27 December 2027).
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
RUN_UNITS = 12
A4_PT = (210 * 72 / 25.4, 297 * 72 / 25.4)
RASTER_DPI = 200
FINISH_TIMEOUT_S = 180.0
JSON = {"Accept": "application/json"}


@dataclass
class Service:
    client: TestClient
    registry: Registry
    seed: Seed
    runs_dir: Path


@dataclass
class FinishedRun:
    location: str
    accepted: dict[str, Any]
    statuses_seen: list[str]
    document: dict[str, Any]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("runs")
    with temporary_database("sqlite", directory) as url:
        registry = Registry(RegistrySettings(url, directory / "keys", SALT), clock=lambda: START)
        try:
            seed = seed_registry(registry)
            settings = service_settings(render_workers=1, data_dir=directory / "data")
            with TestClient(create_app(settings, registry=registry), base_url=BASE_URL) as client:
                yield Service(client, registry, seed, directory / "data" / "runs")
        finally:
            registry.close()


def bearer(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def producer(service: Service) -> dict[str, str]:
    return bearer(service.seed.producer_secret)


def run_order(**changes: Any) -> dict[str, Any]:
    """An order for the seed producer's certified product (examples/hat-sen-say.yaml)."""
    document: dict[str, Any] = {
        "spec": spec_document(),
        "count": RUN_UNITS,
        "sheet": "A4",
        "job_name": "Hạt sen L261120",
    }
    document.update(changes)
    return document


def wait_until_finished(
    client: TestClient, location: str, headers: dict[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """The run's document once done or failed, and every status seen on the way."""
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    statuses: list[str] = []
    while True:
        response = client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        statuses.append(document["status"])
        if document["status"] in ("done", "failed"):
            return document, statuses
        assert time.monotonic() < deadline, f"still {document['status']} after the timeout"
        time.sleep(0.2)


def start_and_finish(service: Service, order: dict[str, Any]) -> FinishedRun:
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    document, statuses = wait_until_finished(service.client, location, producer(service))
    return FinishedRun(location, response.json(), statuses, document)


@pytest.fixture(scope="module")
def finished_run(service: Service) -> FinishedRun:
    return start_and_finish(service, run_order())


def rasterise_page(pdf: bytes, page_number: int) -> Image.Image:
    completed = subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(RASTER_DPI),
            "-f",
            str(page_number),
            "-l",
            str(page_number),
            "-png",
            "-singlefile",
            "-",
        ],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return open_png(completed.stdout).convert("RGB")


def codes_in_reading_order(image: Image.Image) -> list[str]:
    """The QR codes a real decoder finds on a page, row by row from the top, left to right."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    row_tolerance_px = image.height / 40
    rows: list[list[Any]] = []
    for result in sorted(results, key=lambda found: found.position.top_left.y):
        if rows and abs(result.position.top_left.y - rows[-1][0].position.top_left.y) < (
            row_tolerance_px
        ):
            rows[-1].append(result)
        else:
            rows.append([result])
    return [
        result.text
        for row in rows
        for result in sorted(row, key=lambda found: found.position.top_left.x)
    ]


def manifest_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the whole story ---------------------------------------------------------------------------


def test_a_run_is_accepted_then_drawn_with_progress(
    service: Service, finished_run: FinishedRun
) -> None:
    accepted = finished_run.accepted
    run_id = accepted["id"]
    RunDocument.model_validate(accepted)
    RunDocument.model_validate(finished_run.document)
    assert finished_run.location == f"/api/v1/runs/{run_id}"
    assert accepted["status"] in ("queued", "running")
    assert accepted["links"] is None and accepted["size_bytes"] is None
    assert accepted["progress"]["labels_total"] == RUN_UNITS
    assert accepted["progress"]["labels_done"] < RUN_UNITS

    document = finished_run.document
    assert document["status"] == "done", document["error"]
    assert document["error"] is None
    assert set(finished_run.statuses_seen) <= {"queued", "running", "done"}
    assert document["labels"] == RUN_UNITS
    assert document["sheets"] == accepted["sheets"] >= 2  # as announced when it was accepted
    assert document["progress"] == {
        "labels_done": RUN_UNITS,
        "labels_total": RUN_UNITS,
        "sheets_done": document["sheets"],
        "sheets_total": document["sheets"],
    }
    assert document["preflight"]["passed"] is True
    assert document["preflight"]["checks"]
    assert all(check["passed"] for check in document["preflight"]["checks"])
    assert document["links"] == {
        "pdf": f"/api/v1/runs/{run_id}/pdf",
        "serials": f"/api/v1/runs/{run_id}/serials.csv",
    }
    created = dt.datetime.fromisoformat(document["created_at"])
    finished = dt.datetime.fromisoformat(document["finished_at"])
    assert created <= finished
    assert document["elapsed_s"] > 0


def test_every_code_in_the_pdf_is_a_manifest_serial_that_verifies(
    service: Service, finished_run: FinishedRun
) -> None:
    client = service.client
    links = finished_run.document["links"]
    pdf = client.get(links["pdf"], headers=producer(service))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="hat-sen-say-gion-')
    assert disposition.endswith('.pdf"')
    assert len(pdf.content) == finished_run.document["size_bytes"]

    serials = client.get(links["serials"], headers=producer(service))
    assert serials.status_code == 200, serials.text
    assert serials.headers["content-type"] == "text/csv; charset=utf-8"
    assert serials.headers["content-disposition"].endswith('.serials.csv"')
    rows = manifest_rows(serials.text)
    assert [row["position"] for row in rows] == [str(n) for n in range(1, RUN_UNITS + 1)]
    assert len({row["serial"] for row in rows}) == RUN_UNITS
    assert not {row["serial"] for row in rows} & set(service.seed.serials)
    seed = service.seed
    for row in rows:
        assert row["url"].startswith(
            f"{BASE_URL}/01/0{seed.gtin}/10/{seed.batch_code}/21/{row['serial']}?s=4&8030="
        )

    with pikepdf.open(io.BytesIO(pdf.content)) as document:
        page_count = len(document.pages)
        media_boxes = [[float(value) for value in page.mediabox] for page in document.pages]
    assert page_count == finished_run.document["sheets"]
    assert all(box == pytest.approx([0, 0, *A4_PT], abs=0.01) for box in media_boxes)
    decoded = []
    for page_number in range(1, page_count + 1):
        decoded += codes_in_reading_order(rasterise_page(pdf.content, page_number))
    assert decoded == [row["url"] for row in rows]

    for url in decoded:
        parts = urlsplit(url)
        answer = client.get(f"{parts.path}?{parts.query}", headers=JSON)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "valid", url


def test_a_run_of_given_serials_prints_them_in_order(service: Service) -> None:
    given = ["HTX-0001", "HTX-0002", "HTX-0003"]
    run = start_and_finish(service, run_order(count=3, serials=given, job_name=None))
    assert run.document["status"] == "done", run.document["error"]
    serials = service.client.get(run.document["links"]["serials"], headers=producer(service))
    rows = manifest_rows(serials.text)
    assert [row["serial"] for row in rows] == given
    assert all(row["url"].endswith(f"/21/{row['serial']}?17=271120") for row in rows)
    pdf = service.client.get(run.document["links"]["pdf"], headers=producer(service))
    assert codes_in_reading_order(rasterise_page(pdf.content, 1)) == [row["url"] for row in rows]


# --- who may see what --------------------------------------------------------------------------


def test_only_producers_start_runs(service: Service) -> None:
    client = service.client
    anonymous = client.post("/api/v1/runs", json=run_order())
    assert_problem(anonymous, 401, "unauthorized")
    assert anonymous.headers["www-authenticate"] == "Bearer"
    issuer = client.post(
        "/api/v1/runs", json=run_order(), headers=bearer(service.seed.issuer_secret)
    )
    assert_problem(issuer, 403, "forbidden")


@pytest.mark.parametrize("address", ["", "/pdf", "/serials.csv"])
def test_a_run_is_seen_by_its_producer_only(
    service: Service, finished_run: FinishedRun, address: str
) -> None:
    client = service.client
    url = finished_run.location + address
    assert client.get(url, headers=producer(service)).status_code == 200
    assert_problem(client.get(url), 401, "unauthorized")
    assert_problem(client.get(url, headers=bearer(service.seed.issuer_secret)), 403, "forbidden")
    other = client.get(url, headers=bearer(service.seed.other_producer_secret))
    assert_problem(other, 404, "not-registered")
    unknown = client.get(f"/api/v1/runs/{'0' * 32}{address}", headers=producer(service))
    assert_problem(unknown, 404, "not-registered")
    # Told apart by nothing: the other producer learns no more than from a run that never was.
    assert (
        other.json()["detail"].replace(finished_run.accepted["id"], "0" * 32)
        == (unknown.json()["detail"])
    )


# --- refusals, before anything is drawn --------------------------------------------------------


def problem_fields(body: dict[str, Any]) -> dict[str, str]:
    return {problem["field"]: problem["reason"] for problem in body["problems"]}


@pytest.mark.parametrize(
    ("sheet", "reason"),
    [
        ("B5", "is not A4, A3, SRA3, WIDTHxHEIGHTmm or a preset name"),
        ("20x30mm", "has a side of 20 mm"),
    ],
)
def test_a_bad_sheet_is_refused_naming_it(service: Service, sheet: str, reason: str) -> None:
    response = service.client.post(
        "/api/v1/runs", json=run_order(sheet=sheet), headers=producer(service)
    )
    body = assert_problem(response, 422, "invalid-request")
    assert reason in problem_fields(body)["sheet"]


def test_a_grid_that_does_not_fit_the_sheet_is_refused_naming_the_option(
    service: Service,
) -> None:
    response = service.client.post(
        "/api/v1/runs", json=run_order(columns=3), headers=producer(service)
    )
    body = assert_problem(response, 422, "invalid-request")
    assert "do not fit across 210 mm" in problem_fields(body)["columns"]


@pytest.mark.parametrize("count", [0, 100_001])
def test_a_count_outside_the_limits_is_refused(service: Service, count: int) -> None:
    response = service.client.post(
        "/api/v1/runs", json=run_order(count=count), headers=producer(service)
    )
    body = assert_problem(response, 422, "invalid-request")
    assert set(problem_fields(body)) == {"count"}


def test_bad_given_serials_and_unknown_fields_are_each_named(service: Service) -> None:
    order = run_order(count=4, serials=["A1", "A1", "hũ3"], colour="cmyk")
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    assert_problem(response, 422, "invalid-request")
    # Unknown fields are refused by the model first: fix those, then the serials are read.
    assert problem_fields(response.json()) == {
        "colour": "is not a known field (check the spelling)"
    }
    del order["colour"]
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    fields = problem_fields(assert_problem(response, 422, "invalid-request"))
    assert set(fields) == {"serials[1]", "serials[2]", "count"}
    assert fields["serials[1]"] == "is serials[0] again"
    assert "'ũ'" in fields["serials[2]"]
    assert fields["count"] == "is more than the 3 serials given"


def test_a_spec_that_is_not_valid_names_its_field_under_spec(service: Service) -> None:
    order = run_order()
    order["spec"]["product"]["category"] = "furniture"
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    body = assert_problem(response, 422, "invalid-spec")
    assert "spec.product.category" in problem_fields(body)


def test_a_carton_is_refused_naming_its_package(service: Service) -> None:
    order = run_order()
    order["spec"]["template"] = "carton-classic"
    order["spec"]["package"] = {
        "style": "reverse-tuck-end", "length_mm": 90, "width_mm": 50, "depth_mm": 140,
    }  # fmt: skip
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    body = assert_problem(response, 422, "invalid-spec")
    assert "labelgen render" in problem_fields(body)["spec.package"]


def test_a_label_that_is_not_compliant_is_refused_with_its_findings(service: Service) -> None:
    order = run_order(spec=spec_document(NOT_COMPLIANT_EXAMPLE))
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    body = assert_problem(response, 422, "not-compliant")
    assert body["compliant"] is False
    assert "OCOP-CERT-EXPIRED" in {
        finding["rule"] for finding in body["findings"] if finding["severity"] == "error"
    }


def test_a_certificate_the_registry_does_not_hold_is_refused(service: Service) -> None:
    order = run_order()
    order["spec"]["certification"]["certificate_no"] = "OCOP-DT-2024-0999"
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    body = assert_problem(response, 422, "certificate-not-registered")
    assert set(problem_fields(body)) == {"certification.certificate_no"}


def test_another_producers_product_is_answered_as_unknown(service: Service) -> None:
    order = run_order()
    order["spec"]["product"]["gtin"] = service.seed.other_gtin
    # Without a certification there is no certificate to refuse: the GTIN is what is checked.
    del order["spec"]["certification"]
    response = service.client.post("/api/v1/runs", json=order, headers=producer(service))
    assert_problem(response, 404, "not-registered")


def test_the_api_description_holds_the_runs(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    start = document["paths"]["/api/v1/runs"]["post"]
    schema = start["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["spec"]["$ref"] == "#/components/schemas/LabelSpec"
    assert schema["properties"]["count"]["maximum"] == 100_000
    assert set(schema["required"]) == {"spec", "count", "sheet"}
    assert start["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunDocument"
    }
    statuses = document["components"]["schemas"]["RunDocument"]["properties"]["status"]
    assert statuses["enum"] == ["queued", "running", "done", "failed"]
    pdf = document["paths"]["/api/v1/runs/{run_id}/pdf"]["get"]["responses"]
    assert list(pdf["200"]["content"]) == ["application/pdf"]
