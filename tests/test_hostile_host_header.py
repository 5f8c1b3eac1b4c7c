"""A forged Host header: links, the Link header, linksets and redirects name the base URL, not the Host sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_support import service_settings

from labelgen.service.app import create_app

BASE_URL = "https://truyxuat.example.vn"
HOSTILE = "evil.example"
CODE_PATH = "/01/08930000000019/10/L1/21/S1?s=4"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = service_settings(render_workers=1, base_url=BASE_URL)
    with TestClient(create_app(settings), base_url="http://" + HOSTILE) as test_client:
        yield test_client


def test_the_verdict_json_and_its_link_header_name_the_base_url(client: TestClient) -> None:
    response = client.get(CODE_PATH, headers={"accept": "application/json"})
    assert response.status_code == 200, response.text
    assert HOSTILE not in response.headers["link"]
    assert BASE_URL + "/01/08930000000019" in response.headers["link"]
    assert HOSTILE not in response.text


def test_the_verdict_page_names_the_base_url(client: TestClient) -> None:
    response = client.get(CODE_PATH)
    assert response.status_code == 200, response.text
    assert HOSTILE not in response.text
    assert HOSTILE not in response.headers["link"]


def test_the_linkset_anchors_are_under_the_base_url(client: TestClient) -> None:
    response = client.get(CODE_PATH + "&linkType=all")
    assert response.status_code == 200, response.text
    assert HOSTILE not in response.text
    anchors = [entry["anchor"] for entry in response.json()["linkset"]]
    assert anchors and all(anchor.startswith(BASE_URL + "/01/") for anchor in anchors)


def test_a_forwarded_host_is_not_believed_either(client: TestClient) -> None:
    response = client.get(
        CODE_PATH,
        headers={"accept": "application/json", "x-forwarded-host": HOSTILE, "host": HOSTILE},
    )
    assert HOSTILE not in response.headers["link"]


def test_a_trailing_slash_redirect_points_at_the_base_url(client: TestClient) -> None:
    response = client.get("/healthz/", follow_redirects=False)
    assert response.status_code in (307, 308), response.text
    location = response.headers["location"]
    assert HOSTILE not in location
    assert location == BASE_URL + "/healthz"


def test_the_language_switch_is_relative(client: TestClient) -> None:
    response = client.get(CODE_PATH)
    assert 'href="/01/08930000000019/10/L1/21/S1?s=4&amp;lang=en"' in response.text
