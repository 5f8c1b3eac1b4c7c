"""Out-of-range dates and numbers, over-long text, a base URL with a query: each a 422 naming the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings, spec_document

from labelgen.errors import SpecError
from labelgen.service.app import create_app
from labelgen.spec import MAX_LONG_TEXT_CHARS, MAX_TEXT_CHARS, parse_spec

JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(render_workers=1))) as client:
        yield client


def with_value(path: str, value: Any) -> dict[str, Any]:
    document = spec_document()
    *parents, last = path.split(".")
    holder = document
    for key in parents:
        holder = holder.setdefault(key, {})
    holder[last] = value
    return document


def problem_fields(client: TestClient, document: dict[str, Any] | bytes) -> dict[str, str]:
    if isinstance(document, bytes):
        response = client.post("/api/v1/check", content=document, headers=JSON_HEADERS)
    else:
        response = client.post("/api/v1/check", json=document)
    body = assert_problem(response, 422, "invalid-spec")
    return {problem["field"]: problem["reason"] for problem in body["problems"]}


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize("field", ["certification.issued_on", "product.manufactured_on"])
def test_a_date_out_of_range_is_422(client: TestClient, field: str, date: str) -> None:
    fields = problem_fields(client, with_value(field, date))
    assert "1900-01-01" in fields[field] and "2199-12-31" in fields[field]


def test_a_far_valid_until_is_422(client: TestClient) -> None:
    fields = problem_fields(client, with_value("certification.valid_until", "9999-12-31"))
    assert "certification.valid_until" in fields


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"1e300"])
def test_a_huge_net_quantity_is_422(client: TestClient, number: bytes) -> None:
    marker = "NUMBER-HERE"
    document = with_value("product.net_quantity.value", marker)
    raw = json.dumps(document).encode().replace(f'"{marker}"'.encode(), number)
    fields = problem_fields(client, raw)
    assert "product.net_quantity.value" in fields


def test_an_over_long_name_is_422_naming_the_limit(client: TestClient) -> None:
    fields = problem_fields(client, with_value("product.name", "Sen " * 750_000))
    assert str(MAX_TEXT_CHARS) in fields["product.name"]


def test_an_over_long_ingredient_list_is_422(client: TestClient) -> None:
    fields = problem_fields(
        client, with_value("product.ingredients", "x" * (MAX_LONG_TEXT_CHARS + 1))
    )
    assert str(MAX_LONG_TEXT_CHARS) in fields["product.ingredients"]


def test_text_at_the_limit_is_accepted() -> None:
    document = with_value("product.ingredients", "x" * MAX_LONG_TEXT_CHARS)
    assert parse_spec(document).product.ingredients == "x" * MAX_LONG_TEXT_CHARS


@pytest.mark.parametrize(
    "url", ["https://truyxuat.example.vn/p?x=1", "https://truyxuat.example.vn/p#top"]
)
def test_a_base_url_with_a_query_or_fragment_is_refused(url: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(with_value("traceability.base_url", url))
    fields = {problem.field: problem.reason for problem in caught.value.problems}
    assert "?" in fields["traceability.base_url"]
