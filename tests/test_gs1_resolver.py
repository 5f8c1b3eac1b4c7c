"""The service as a GS1-Conformant resolver that answers in place: GS1's resolver test suite's checks.

Each test names the check of gs1/GS1DL-resolver-testsuite (GS1DigitalLinkResolverTestSuite.js,
see tests/gs1_reference/README.md) it stands for, and makes its request as that suite's
tester.php does (an `Origin` header, the Accept header it sets, no redirect followed). The
linkset is judged by GS1's own schema (gs1/linkset, gs1-linkset-schema.json) with jsonschema.
The client sends a forged Host header throughout: every link must name the configured base URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import jsonschema
import pytest
from fastapi.testclient import TestClient
from service_support import assert_problem, service_settings

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import Seed, seed_registry, signed_seed_url, temporary_database
from labelgen.service.app import create_app
from labelgen.service.verification import LINKSET_MEDIA_TYPE

REFERENCE = Path(__file__).parent / "gs1_reference"
BASE_URL = "https://truyxuat.example.vn"
HOSTILE_HOST = "evil.example"
ORIGIN = {"Origin": "https://ref.gs1.org/test-suites/resolver/"}
VOC = "https://gs1.org/voc/"
# A syntactically valid code the registry does not know: still a resolvable Digital Link.
UNKNOWN_CODE = "/01/08936012345674/10/L261120/21/NOSUCHSERIAL"
# The link types the linkset uses, all ratified in the GS1 Web Vocabulary (ref.gs1.org/voc).
RATIFIED_LINK_TYPES = {"defaultLink", "verificationService", "certificationInfo"}


@pytest.fixture(scope="module")
def resolver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Seed]]:
    directory = tmp_path_factory.mktemp("resolver")
    with temporary_database("sqlite", directory) as url:
        registry = Registry(RegistrySettings(url, directory / "keys", bytes(32)))
        seed = seed_registry(registry)
        settings = service_settings(render_workers=1, base_url=BASE_URL)
        app = create_app(settings, registry=registry)
        try:
            with TestClient(app, base_url="http://" + HOSTILE_HOST) as client:
                yield client, seed
        finally:
            registry.close()


@pytest.fixture
def client(resolver: tuple[TestClient, Seed]) -> TestClient:
    return resolver[0]


@pytest.fixture
def signed_path(resolver: tuple[TestClient, Seed]) -> str:
    client, seed = resolver
    registry: Registry = client.app.state.registry.registry  # type: ignore[attr-defined]
    url = signed_seed_url(registry, seed, BASE_URL)
    return url.removeprefix(BASE_URL)


def get(client: TestClient, path: str, **headers: str) -> httpx2.Response:
    return client.get(path, headers={**ORIGIN, **headers}, follow_redirects=False)


def gs1_linkset_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((REFERENCE / "gs1-linkset-schema.json").read_text("utf-8"))
    return schema


def vary(response: httpx2.Response) -> set[str]:
    """The Vary header's names (compression adds Accept-Encoding to large answers)."""
    return {name.strip() for name in response.headers["vary"].split(",")}


def links_in(header: str) -> list[str]:
    return [link.strip() for link in header.split(",")]


# --- rdFile --------------------------------------------------------------------------------


def test_rdfile_the_resolver_description_file_is_published(client: TestClient) -> None:
    response = get(client, "/.well-known/gs1resolver", Accept="application/json")
    assert response.status_code == 200
    description = response.json()
    jsonschema.validate(description, resolver_description_schema())
    assert description["resolverRoot"] == BASE_URL  # the base URL, not the Host sent
    assert description["supportedPrimaryKeys"] == ["01"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert HOSTILE_HOST not in response.text


def resolver_description_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (REFERENCE / "resolver-description-schema.json").read_text("utf-8")
    )
    return schema


# --- corsCheck, methodsCheck, linkOnRedirect, legacyLinkHeaders ------------------------------


def test_corscheck_and_methodscheck_options_declares_cors_and_the_three_methods(
    client: TestClient, signed_path: str
) -> None:
    # tester.php's getCorsHeaders: OPTIONS on the URI without its query.
    response = client.options(
        signed_path.split("?")[0],
        headers={**ORIGIN, "Access-Control-Request-Method": "GET,HEAD,OPTIONS"},
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "*"
    methods = response.headers["access-control-allow-methods"]
    assert all(method in methods for method in ("GET", "HEAD", "OPTIONS"))


def test_every_resolution_has_a_link_to_the_linkset_and_no_legacy_links(
    client: TestClient, signed_path: str
) -> None:
    answers = [
        get(client, signed_path),
        get(client, signed_path, Accept="application/json"),
        get(client, signed_path + "&linkType=linkset"),
        get(client, signed_path + "&linkType=gs1:certificationInfo"),
        client.head(signed_path, headers=ORIGIN),
    ]
    for response in answers:
        assert response.status_code in (200, 307), response.text
        header = response.headers["link"]
        (linkset,) = [link for link in links_in(header) if 'rel="linkset"' in link]
        target = linkset.split(">")[0].lstrip("<")
        assert target.startswith(BASE_URL + signed_path.split("?")[0])
        assert "linkType=linkset" in target
        assert 'rel="gs1:' not in header  # legacyLinkHeaders


# --- reportWith400, noErrorWith200 -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        UNKNOWN_CODE + "/foo",  # exactly what the suite sends
        "/01/08936012345675/10/L1",  # wrong check digit
        "/01/8936012345674/10/L1",  # GTIN-13 (Digital Link 1.4 wants 14 digits)
        "/01/08936012345674/21/S1/10/L1",  # qualifiers out of order
        "/01/08936012345674?10=FAKE123",  # a key qualifier in the query
        "/01/08936012345674/10/L1?17=271320",  # an impossible expiry
        "/01/08936012345674/10/L1?17=271231&17=271231",  # an AI twice
        "/01/08936012345674/10/L1?89=X",  # an AI GS1 does not define
        "/01/08936012345674/10/L1/21/S1?8030=",  # an empty signature
        "/01/08936012345674/10/L1?8030=" + "A" * 88,  # a signature without a serial
    ],
)
def test_reportwith400_invalid_syntax_is_a_400_problem(client: TestClient, path: str) -> None:
    response = get(client, path)
    body = assert_problem(response, 400, "invalid-code")
    assert {"Accept", "Accept-Language"} <= vary(response)
    assert "url:" in body["detail"]


def test_a_browser_gets_a_page_for_an_invalid_code(client: TestClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = get(client, "/01/8936012345674/10/L1?lang=en", Accept=browser)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "not a valid product code" in response.text
    # The same code with a 14-digit GTIN, relative so that the Host header cannot redirect it.
    assert 'href="/01/08936012345674/10/L1?lang=en"' in response.text
    assert HOSTILE_HOST not in response.text
    vietnamese = get(client, "/01/08936012345674/10/L1?17=271320", Accept=browser)
    assert vietnamese.status_code == 400 and "không hợp lệ" in vietnamese.text
    assert "AI 17" in vietnamese.text


def test_the_400_problem_names_the_ai_and_the_fourteen_digit_gtin(client: TestClient) -> None:
    body = assert_problem(get(client, "/01/8936012345674/10/L1"), 400, "invalid-code")
    assert (body["ai"], body["gtin14"]) == ("01", "08936012345674")
    body = assert_problem(get(client, "/01/08936012345674/10/L1?17=271320"), 400, "invalid-code")
    assert body["ai"] == "17" and "month 13" in body["detail"]


# --- trailingSlash, basicWalkUp --------------------------------------------------------------


def test_trailingslash_is_tolerated(client: TestClient) -> None:
    plain, slashed = get(client, UNKNOWN_CODE), get(client, UNKNOWN_CODE + "/")
    assert plain.status_code == slashed.status_code == 200
    assert plain.headers.get("location") == slashed.headers.get("location") is None


def test_basicwalkup_an_unknown_qualifier_value_is_not_a_404(client: TestClient) -> None:
    response = get(client, UNKNOWN_CODE, Accept="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "unknown"


# --- ltLinksetNoRedirect, ltAllNoRedirect, ltAcceptHeader ----------------------------------


@pytest.mark.parametrize(
    ("query", "accept"),
    [("?linkType=linkset", None), ("?linkType=all", None), ("", LINKSET_MEDIA_TYPE)],
    ids=["ltLinksetNoRedirect", "ltAllNoRedirect", "ltAcceptHeader"],
)
def test_the_linkset_is_answered_without_redirect(
    client: TestClient, signed_path: str, query: str, accept: str | None
) -> None:
    path = signed_path.split("?")[0] + query
    response = get(client, path, **({"Accept": accept} if accept else {}))
    assert response.status_code == 200
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith(LINKSET_MEDIA_TYPE)  # declaredContentType
    jsonschema.validate(response.json(), gs1_linkset_schema())


# --- validLinkset, linksetJsonldCheck, declaredContentType, defaultLinkExists ---------------


def test_validlinkset_the_linkset_passes_gs1s_schema(client: TestClient, signed_path: str) -> None:
    response = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE)
    document = response.json()
    jsonschema.validate(document, gs1_linkset_schema())
    (context,) = document["linkset"]
    # Anchored on the identified item: the URI without its query, under the base URL.
    assert context["anchor"] == BASE_URL + signed_path.split("?")[0]
    assert context["itemDescription"].startswith("(01) 08936012345674 (10) ")
    assert HOSTILE_HOST not in response.text
    for links in (value for key, value in context.items() if key.startswith("https://")):
        for link in links:
            assert link["title"]
            assert link["href"].startswith((BASE_URL + "/", "https://ocopvietnam.gov.vn"))


def test_the_schema_itself_refuses_a_linkset_without_item_description() -> None:
    # The check can fail: GS1's schema refuses the shape the service answered before.
    invalid = json.loads((REFERENCE / "linkset-invalid-gs1-example.json").read_text("utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(invalid, gs1_linkset_schema())
    valid = json.loads((REFERENCE / "linkset-valid-gs1-example.json").read_text("utf-8"))
    jsonschema.validate(valid, gs1_linkset_schema())
    old_shape = {"linkset": [{"anchor": BASE_URL + "/01/08936012345674", VOC + "defaultLink": []}]}
    with pytest.raises(jsonschema.ValidationError, match="itemDescription"):
        jsonschema.validate(old_shape, gs1_linkset_schema())


def test_linksetjsonldcheck_the_linkset_links_its_json_ld_context(
    client: TestClient, signed_path: str
) -> None:
    response = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE)
    context_links = [
        link
        for link in links_in(response.headers["link"])
        if 'rel="http://www.w3.org/ns/json-ld#context"' in link
        and 'type="application/ld+json"' in link
    ]
    assert len(context_links) == 1


def test_singledefaultlink_one_default_link_with_a_title_and_nothing_else(
    client: TestClient, signed_path: str
) -> None:
    (context,) = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE).json()["linkset"]
    (default,) = context[VOC + "defaultLink"]
    assert set(default) == {"href", "title"}
    # The default link is this code's own page (so there is no redirect to make).
    assert default["href"] == BASE_URL + signed_path


def test_linktypesdefined_every_link_type_is_a_ratified_gs1_one(
    client: TestClient, signed_path: str
) -> None:
    (context,) = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE).json()["linkset"]
    link_types = {key for key in context if key not in ("anchor", "itemDescription")}
    assert {key.removeprefix(VOC) for key in link_types} == RATIFIED_LINK_TYPES


def test_the_linkset_varies_with_accept_and_accept_language(
    client: TestClient, signed_path: str
) -> None:
    english = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE, **{"Accept-Language": "en"})
    vietnamese = get(client, signed_path, Accept=LINKSET_MEDIA_TYPE)
    assert {"Accept", "Accept-Language"} <= vary(english) & vary(vietnamese)
    assert english.json() != vietnamese.json()  # the titles follow the language
    assert english.headers["access-control-allow-origin"] == "*"


# --- loFor…, specificLinkTypeNotFound ------------------------------------------------------


def test_lofor_a_link_type_held_elsewhere_redirects_to_it(
    client: TestClient, signed_path: str
) -> None:
    for link_type in ("gs1:certificationInfo", VOC + "certificationInfo"):
        response = get(client, f"{signed_path}&linkType={link_type}")
        assert response.status_code == 307
        assert response.headers["location"] == "https://ocopvietnam.gov.vn"


def test_lofor_a_link_type_that_is_this_page_answers_it_in_place(
    client: TestClient, signed_path: str
) -> None:
    for link_type in ("gs1:verificationService", "gs1:defaultLink"):
        response = get(client, f"{signed_path}&linkType={link_type}", Accept="application/json")
        assert response.status_code == 200
        assert response.json()["status"] == "valid"


@pytest.mark.parametrize("link_type", ["gs1:nosuchlt", "gs1:pip", "gs1:", "schema:foo", "pip"])
def test_specificlinktypenotfound_is_a_404(
    client: TestClient, signed_path: str, link_type: str
) -> None:
    response = get(client, f"{signed_path.split('?')[0]}?linkType={link_type}")
    assert_problem(response, 404, "no-such-link")
    assert 'rel="linkset"' in response.headers["link"]


# --- HEAD and the JSON form's CORS -----------------------------------------------------------


def test_head_answers_the_headers_of_get_and_records_no_scan(
    client: TestClient, signed_path: str
) -> None:
    before = get(client, signed_path, Accept="application/json").json()["scan_count"]
    for accept in ("text/html", "application/json", LINKSET_MEDIA_TYPE):
        head = client.head(signed_path, headers={**ORIGIN, "Accept": accept})
        got = get(client, signed_path, Accept=accept)
        assert head.status_code == got.status_code == 200
        assert head.content == b""
        for name in ("content-type", "link", "cache-control"):
            assert head.headers[name] == got.headers[name], name
        assert vary(head) - {"Accept-Encoding"} == vary(got) - {"Accept-Encoding"}
    # Three GETs above with a scan each (the linkset records none), no HEAD.
    after = get(client, signed_path, Accept="application/json").json()["scan_count"]
    assert after == before + 3
    assert client.head(UNKNOWN_CODE + "/foo").status_code == 400


def test_the_json_verdict_allows_any_origin_and_the_page_does_not(
    client: TestClient, signed_path: str
) -> None:
    json_answer = get(client, signed_path, Accept="application/json")
    assert json_answer.headers["access-control-allow-origin"] == "*"
    assert "link" in json_answer.headers["access-control-expose-headers"].lower()
    page = get(client, signed_path, Accept="text/html")
    assert "access-control-allow-origin" not in page.headers
    assert {"Accept", "Accept-Language"} <= vary(page)


def test_links_never_name_the_host_header(client: TestClient, signed_path: str) -> None:
    for response in (
        get(client, signed_path),
        get(client, signed_path, Accept="application/json"),
        get(client, signed_path, Accept=LINKSET_MEDIA_TYPE),
        get(client, "/.well-known/gs1resolver"),
    ):
        assert HOSTILE_HOST not in response.text
        assert HOSTILE_HOST not in response.headers.get("link", "")
        assert urlsplit(BASE_URL).netloc in response.headers.get("link", BASE_URL)


# --- labelgen's own claims, read strictly -----------------------------------------------------


@pytest.mark.parametrize("stars", ["9", "four", ""])
def test_a_star_count_that_is_not_one_fails_the_signature(
    client: TestClient, signed_path: str, stars: str
) -> None:
    # Syntactically the URI is valid (`s` is not a GS1 AI); the claim it makes is not signed.
    path = signed_path.replace("s=4", f"s={stars}")
    response = get(client, path, Accept="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "invalid-signature"
    assert_problem(get(client, signed_path + "&s=5"), 400, "invalid-code")  # `s` twice


def test_ai_235_is_resolved_not_refused(client: TestClient) -> None:
    response = get(client, "/01/08936012345674/235/TPX-1", Accept="application/json")
    assert response.status_code == 200
    # A code no registry key signed can never read as a proven genuine unit.
    assert response.json()["status"] != "valid"
