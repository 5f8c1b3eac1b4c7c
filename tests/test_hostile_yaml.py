"""Hostile YAML: sexagesimal and huge numbers answered at once, 200 or a 422 naming the line, never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings

from labelgen.errors import SpecError
from labelgen.service.app import create_app
from labelgen.spec import MAX_NUMBER_DIGITS, decode_document

PARSE = "/designer/parse"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(render_workers=1))) as client:
        yield client


def test_a_sexagesimal_number_is_text_not_a_quadratic_integer(client: TestClient) -> None:
    # In YAML 1.1 this is one integer in base 60, built digit pair by digit pair (quadratic).
    value = "1" + ":59" * 40_000
    response = client.post(PARSE, content=f"a: {value}\n".encode())
    assert response.status_code == 200, response.text
    assert response.json() == {"a": value}


def test_yaml_1_1_number_forms_stay_text() -> None:
    document = decode_document(b"a: 1:20\nb: 0b101\nc: 1_000\nd: 012\ne: 0x1F\n", "spec.yaml")
    assert document == {"a": "1:20", "b": "0b101", "c": "1_000", "d": 12, "e": 31}


def test_dates_and_plain_numbers_are_still_read() -> None:
    document = decode_document(b"on: 2026-01-31\nn: 500\nx: 1.5e3\nok: true\n", "spec.yaml")
    assert document == {"on": dt.date(2026, 1, 31), "n": 500, "x": 1500.0, "ok": True}


@pytest.mark.parametrize(
    "number", ["9" * 5_000, "-" + "9" * (MAX_NUMBER_DIGITS + 1), "1" + "0" * 400 + ".5", "1e400"]
)
def test_a_huge_number_is_422_naming_its_line(client: TestClient, number: str) -> None:
    response = client.post(PARSE, content=f"brand:\n  name: Sen\nn: {number}\n".encode())
    body = assert_problem(response, 422, "invalid-spec")
    assert "line 3" in body["detail"]
    assert "number" in body["detail"]


def test_a_huge_number_in_a_spec_file_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as caught:
        decode_document(b"n: " + b"9" * 5_000 + b"\n", "spec.yaml")
    assert "line 1" in caught.value.problems[0].reason


def test_a_huge_integer_in_a_json_spec_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as caught:
        decode_document(b'{"n": ' + b"9" * 5_000 + b"}", "spec.json")
    assert "number" in caught.value.problems[0].reason
