"""HTTP API: every route of CONTRACT §4 and every error status, as problem+json, with the headers."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import jsonschema
import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from service_support import (
    NOT_COMPLIANT_EXAMPLE,
    assert_problem,
    service_settings,
    spec_document,
)
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from labelgen.compliance import report_schema
from labelgen.service.app import create_app
from labelgen.service.headers import HTML_CSP, SecurityHeadersMiddleware
from labelgen.service.problems import PROBLEM_KINDS
from labelgen.service.protocol import Outcome
from labelgen.templates import bundled_template_ids

MAGIC = {"svg": b"<svg", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(service_settings())) as client:
        yield client


def post_label(client: TestClient, document: Any, query: str = "format=svg") -> Any:
    return client.post(f"/api/v1/labels?{query}", json=document)


# POST /api/v1/labels


@pytest.mark.parametrize("output_format", ["svg", "png", "pdf"])
def test_a_compliant_spec_renders_as_an_attachment(client: TestClient, output_format: str) -> None:
    response = post_label(client, spec_document(), f"format={output_format}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPES[output_format])
    assert MAGIC[output_format] in response.content[:400]
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="hat-sen-say-gion.{output_format}"'
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_label_set_renders_as_one_pdf_page_per_panel(client: TestClient) -> None:
    response = post_label(client, spec_document(as_set=True), "format=pdf")
    assert response.status_code == 200, response.text
    assert len(pikepdf.open(io.BytesIO(response.content)).pages) == 2


def test_a_label_set_as_svg_is_a_zip_of_its_panels(client: TestClient) -> None:
    response = post_label(client, spec_document(as_set=True), "format=svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="hat-sen-say-gion.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        names = bundle.namelist()
        assert names == ["hat-sen-say-gion-ocop-classic.svg", "hat-sen-say-gion-back-panel.svg"]
        assert all(bundle.read(name).startswith(b"<svg") for name in names)


def test_one_panel_of_a_set_is_asked_for_by_its_id(client: TestClient) -> None:
    response = post_label(client, spec_document(as_set=True), "format=png&panel=back-panel")
    assert response.status_code == 200, response.text
    assert response.content.startswith(MAGIC["png"])
    width_px, height_px = Image.open(io.BytesIO(response.content)).size
    assert (round(width_px / 300 * 25.4), round(height_px / 300 * 25.4)) == (80, 120)
    unknown = post_label(client, spec_document(as_set=True), "format=svg&panel=lid")
    assert unknown.status_code == 422
    problem = unknown.json()
    assert any(error["field"] == "panel" for error in problem["problems"]), problem


def test_the_check_suggests_what_fits(client: TestClient) -> None:
    document = spec_document()
    document["template"] = "round-jar"
    report = client.post("/api/v1/check", json=document).json()
    assert not report["compliant"]
    assert ["round-jar", "back-panel"] in report["suggestions"]


def test_an_svg_download_may_run_nothing_if_opened(client: TestClient) -> None:
    response = post_label(client, spec_document())
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert response.headers["content-disposition"].startswith("attachment;")


def test_png_resolution_follows_dpi(client: TestClient) -> None:
    response = post_label(client, spec_document(), "format=png&dpi=72")
    assert response.status_code == 200
    width_px, _ = Image.open(io.BytesIO(response.content)).size
    assert width_px == round(100 / 25.4 * 72)  # ocop-classic is 100 mm wide


def test_a_serial_goes_into_the_render(client: TestClient) -> None:
    plain = post_label(client, spec_document(), "format=svg")
    serialised = post_label(client, spec_document(), "format=svg&serial=SN0001")
    assert serialised.status_code == 200
    assert serialised.content != plain.content


def test_a_not_compliant_spec_is_answered_422_with_findings(client: TestClient) -> None:
    response = post_label(client, spec_document(NOT_COMPLIANT_EXAMPLE), "format=pdf")
    body = assert_problem(response, 422, "not-compliant")
    assert body["compliant"] is False
    errors = [finding for finding in body["findings"] if finding["severity"] == "error"]
    assert errors and all(finding["rule"] in body["detail"] for finding in errors)
    assert set(body["findings"][0]) >= {"rule", "severity", "field", "message_vi", "message_en"}


def test_draft_renders_a_not_compliant_spec(client: TestClient) -> None:
    response = post_label(client, spec_document(NOT_COMPLIANT_EXAMPLE), "format=svg&draft=true")
    assert response.status_code == 200


def test_as_of_moves_the_check_date(client: TestClient) -> None:
    """The expired certificate was still valid before its expiry."""
    document = spec_document(NOT_COMPLIANT_EXAMPLE)
    early = post_label(client, document, "format=svg&as_of=2023-01-01")
    late = post_label(client, document, "format=svg&as_of=2030-01-01")
    assert early.status_code == 200
    body = assert_problem(late, 422, "not-compliant")
    assert body["as_of"] == "2030-01-01"
    assert "OCOP-CERT-EXPIRED" in body["detail"]


def test_an_invalid_spec_names_each_field(client: TestClient) -> None:
    document = spec_document()
    document["product"]["category"] = "spaceship"
    document["product"]["gtin"] = "12ab"
    del document["producer"]["address"]
    body = assert_problem(post_label(client, document), 422, "invalid-spec")
    fields = {problem["field"]: problem["reason"] for problem in body["problems"]}
    assert set(fields) == {"product.category", "product.gtin", "producer.address"}
    assert fields["producer.address"] == "is required"


def test_a_wrong_gtin_check_digit_is_a_finding_on_the_gtin(client: TestClient) -> None:
    document = spec_document()
    document["product"]["gtin"] = "8936012345675"
    body = assert_problem(post_label(client, document), 422, "not-compliant")
    errors = [finding for finding in body["findings"] if finding["severity"] == "error"]
    assert [finding["field"] for finding in errors] == ["product.gtin"]


def test_a_serial_the_qr_cannot_hold_is_named(client: TestClient) -> None:
    document = spec_document()
    document["traceability"] = {"serial": "S/N 1"}
    body = assert_problem(post_label(client, document), 422, "not-compliant")
    errors = [finding for finding in body["findings"] if finding["severity"] == "error"]
    assert [finding["field"] for finding in errors] == ["traceability.serial"]


@pytest.mark.parametrize("template", ["/etc", "../templates/ocop-classic", "tests/golden", "."])
def test_a_template_folder_is_refused_over_http(client: TestClient, template: str) -> None:
    document = spec_document()
    document["template"] = template
    body = assert_problem(post_label(client, document), 422, "invalid-spec")
    (problem,) = body["problems"]
    assert problem["field"] == "template"
    assert "command line" in problem["reason"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"brand": NaN}', "NaN"),
        (b"   ", "empty"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    client: TestClient, body: bytes, needle: str
) -> None:
    response = client.post(
        "/api/v1/labels?format=svg", content=body, headers={"content-type": "application/json"}
    )
    assert needle in assert_problem(response, 400, "malformed-body")["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_media_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(
        "/api/v1/labels?format=svg", content=json.dumps(spec_document()), headers=headers
    )
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "format"),
        ("format=gif", "format"),
        ("format=png&dpi=5", "dpi"),
        ("format=png&dpi=abc", "dpi"),
        ("format=svg&as_of=28-11-2026", "as_of"),
        ("format=svg&serial=has%20space", "serial"),
        ("format=svg&serial=" + "9" * 21, "serial"),
        ("format=svg&draft=maybe", "draft"),
        ("format=pdf&print_process=inkjet", "print_process"),
    ],
)
def test_a_bad_query_parameter_is_400_naming_it(client: TestClient, query: str, field: str) -> None:
    body = assert_problem(post_label(client, spec_document(), query), 400, "invalid-parameter")
    assert [problem["field"] for problem in body["problems"]] == [field]


def test_a_resolution_too_high_for_the_size_cannot_be_rendered(client: TestClient) -> None:
    document = spec_document()
    document["size"] = {"width_mm": 400, "height_mm": 300}
    body = assert_problem(post_label(client, document, "format=png&dpi=2400"), 422, "cannot-render")
    assert "dpi" in body["detail"]


def test_a_failed_render_is_500_without_details(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_run(job: object) -> Outcome:
        return Outcome("failed", retire_worker=False)

    monkeypatch.setattr(client.app.state.pool, "run", failing_run)  # type: ignore[attr-defined]
    body = assert_problem(post_label(client, spec_document()), 500, "internal")
    assert body["detail"] == "the render failed; the failure has been logged"


def test_an_unexpected_error_is_500_and_tells_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from labelgen.service.routers import templates

    def explode() -> object:
        raise RuntimeError("secret at /etc/labelgen/config.py line 3 in weasyprint")

    monkeypatch.setattr(templates, "bundled_templates", explode)
    # No lifespan: this route needs no worker, and no pool is started for one request.
    bare = TestClient(create_app(service_settings()), raise_server_exceptions=False)
    response = bare.get("/api/v1/templates")
    body = assert_problem(response, 500, "internal")
    for leak in ("secret", "/etc", "weasyprint", "RuntimeError", ".py"):
        assert leak not in response.text
    assert body["detail"] == "the service could not complete the request"


# POST /api/v1/check


def test_check_answers_the_report(client: TestClient) -> None:
    response = client.post("/api/v1/check", json=spec_document())
    assert response.status_code == 200
    report = response.json()
    jsonschema.validate(report, report_schema())
    assert report["compliant"] is True
    assert report["as_of"] == dt.date.today().isoformat()


def test_check_of_a_not_compliant_spec_is_200_with_the_errors(client: TestClient) -> None:
    response = client.post(
        "/api/v1/check?as_of=2026-11-28", json=spec_document(NOT_COMPLIANT_EXAMPLE)
    )
    assert response.status_code == 200
    report = response.json()
    jsonschema.validate(report, report_schema())
    assert report["compliant"] is False
    assert report["as_of"] == "2026-11-28"
    assert any(finding["severity"] == "error" for finding in report["findings"])


def test_check_of_an_invalid_spec_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/check", json={"brand": {}})
    body = assert_problem(response, 422, "invalid-spec")
    assert "brand.name" in {problem["field"] for problem in body["problems"]}


def test_print_process_in_the_query_prints_as_the_spec_naming_it_would(
    client: TestClient,
) -> None:
    document = spec_document()
    by_query = post_label(client, document, "format=pdf&print_process=thermal-300dpi")
    in_spec = post_label(client, {**document, "print_process": "thermal-300dpi"}, "format=pdf")
    offset = post_label(client, document, "format=pdf")
    assert by_query.status_code == in_spec.status_code == offset.status_code == 200
    # The same press gives the same file; another press narrows the bars by another amount.
    assert by_query.content == in_spec.content
    assert by_query.content != offset.content
    checked = client.post("/api/v1/check?print_process=flexo", json=spec_document())
    assert checked.status_code == 200
    refused = client.post("/api/v1/check?print_process=inkjet", json=spec_document())
    body = assert_problem(refused, 400, "invalid-parameter")
    assert [problem["field"] for problem in body["problems"]] == ["print_process"]


def test_check_with_a_bad_date_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/check?as_of=yesterday", json=spec_document())
    assert_problem(response, 400, "invalid-parameter")


# GET /api/v1/templates


def test_templates_lists_every_bundled_template(client: TestClient) -> None:
    response = client.get("/api/v1/templates")
    assert response.status_code == 200
    templates = response.json()
    assert [template["id"] for template in templates] == bundled_template_ids()
    classic = next(template for template in templates if template["id"] == "ocop-classic")
    assert classic["size"]["width_mm"] == 100
    assert classic["shape"]["kind"] == "rect"
    assert classic["description"]["vi"] and classic["description"]["en"]
    assert "qr" in classic["slots"]["graphic"] and classic["slots"]["text"]


# Health, problems, documentation


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["workers"] == 2


def test_unknown_address_is_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")


def test_wrong_method_is_405_problem_with_allow(client: TestClient) -> None:
    response = client.get("/api/v1/labels")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


def test_every_problem_type_is_described_at_its_uri(client: TestClient) -> None:
    listed = client.get("/problems").json()
    assert {item["type"] for item in listed} == {kind.type_uri for kind in PROBLEM_KINDS}
    for kind in PROBLEM_KINDS:
        described = client.get(kind.type_uri).json()
        assert described["status"] == kind.status and described["title"] == kind.title
    assert_problem(client.get("/problems/no-such-problem"), 404, "not-found")


def test_openapi_documents_every_status_as_problem_json(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    label_responses = paths["/api/v1/labels"]["post"]["responses"]
    # 401, 403 and 404 come of the registry's checks of a serialised, signed label.
    assert set(label_responses) == {
        "200", "400", "401", "403", "404", "413", "415", "422", "429", "500", "503", "504"
    }  # fmt: skip
    # A label set's SVG or PNG, without a panel named, is a ZIP of its panels.
    assert set(label_responses["200"]["content"]) == {*MEDIA_TYPES.values(), "application/zip"}
    check_responses = paths["/api/v1/check"]["post"]["responses"]
    assert set(check_responses) == {"200", "400", "413", "415", "422", "429", "500", "503", "504"}
    for path_item in paths.values():
        for operation in path_item.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"]
    schemas = document["components"]["schemas"]
    assert "/problems/not-compliant" in schemas["ProblemDetails"]["description"]
    one, several = schemas["LabelSpec"]["properties"]["template"]["anyOf"]
    assert one["enum"] == bundled_template_ids()  # a template, or a set of them
    assert several["items"]["enum"] == bundled_template_ids()
    request_body = paths["/api/v1/labels"]["post"]["requestBody"]
    assert request_body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LabelSpec"
    }


def test_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", response.text)
    assert urls and all(url.startswith("/") for url in urls), urls
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'") and "http" not in policy
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert_problem(client.get("/docs/assets/..%2F..%2Fetc%2Fpasswd"), 404, "not-found")


def test_json_answers_carry_the_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/templates")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_the_designer_page_is_served_under_a_self_only_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'") and "http" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_html_answer_without_a_policy_gets_the_self_only_one() -> None:
    async def page(request: object) -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/", page)]))
    response = TestClient(app).get("/")  # type: ignore[arg-type]
    assert response.headers["content-security-policy"] == HTML_CSP
    assert HTML_CSP.startswith("default-src 'self';")
    assert response.headers["x-content-type-options"] == "nosniff"


# The job side, without HTTP


def test_a_code_error_message_names_its_field() -> None:
    from labelgen.service.jobs import problem_from_message

    problem = problem_from_message("traceability.base_url: 'x' must be an ASCII https:// URL")
    assert (problem.field, problem.reason) == (
        "traceability.base_url",
        "'x' must be an ASCII https:// URL",
    )
    assert problem_from_message("the QR code content is empty").field == ""


def test_download_names_are_ascii_slugs() -> None:
    from labelgen.service.jobs import download_name
    from labelgen.spec import parse_spec

    document = spec_document()
    document["product"]["name"] = "Đường phèn / Rock sugar №1 — loại đặc biệt"
    name = download_name(parse_spec(document), "pdf")
    assert name == "duong-phen-rock-sugar-no1-loai-dac-biet.pdf"
    assert name.isascii()
