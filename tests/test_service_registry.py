"""The certificate registry over HTTP, on SQLite and PostgreSQL: the whole story, expiry, tampering, who may do what.

Each backend gets one app (with its render worker) whose registry runs on a clock the tests move;
every test starts from a freshly seeded registry: an issuer, two producers with a certificate, a
batch and serials each, and a signing key.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from imaging import decode_codes, open_png
from service_support import FixedClock, assert_problem, service_settings, spec_document
from sqlalchemy import text

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.lookup import VERIFICATION_STATUSES
from labelgen.registry.scans import network_hash
from labelgen.registry.signing import PUBLIC_KEYS_PATH
from labelgen.registry.testing import (
    BACKENDS,
    SEED_CERTIFICATE,
    SEED_PRODUCER,
    Seed,
    clear_database,
    seed_registry,
    temporary_database,
)
from labelgen.service.app import create_app
from labelgen.service.verification import LINKSET_MEDIA_TYPE, VERIFY_CSP

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
# 17:00 in Vietnam on 28 November 2026; the seed certificate runs to 27 December 2027.
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
NEW_GTIN = "8936012345681"
NEW_CERTIFICATE = "OCOP-DT-2026-0301"
ROLES = ("issuer", "producer", "other-producer", "anonymous")
JSON = {"Accept": "application/json"}


@dataclass
class Service:
    client: TestClient
    registry: Registry
    clock: FixedClock


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("registry")
    with temporary_database(request.param, directory) as url:
        clock = FixedClock(START)
        registry = Registry(RegistrySettings(url, directory / "keys", SALT), clock=clock)
        settings = service_settings(render_workers=1, require_registered_certificates=True)
        try:
            with TestClient(create_app(settings, registry=registry), base_url=BASE_URL) as client:
                yield Service(client, registry, clock)
        finally:
            registry.close()


@pytest.fixture
def seed(service: Service) -> Seed:
    service.clock.now = START
    # The scans the last test left buffered are written first, or they could land in this one.
    service.client.app.state.registry.verifier.flush()  # type: ignore[attr-defined]
    clear_database(service.registry.engine)
    return seed_registry(service.registry)


def bearer(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def secret_of(seed: Seed, role: str) -> str | None:
    return {
        "issuer": seed.issuer_secret,
        "producer": seed.producer_secret,
        "other-producer": seed.other_producer_secret,
        "anonymous": None,
    }[role]


def signed_code(service: Service, seed: Seed, position: int = 0) -> str:
    response = service.client.post(
        f"/api/v1/products/{seed.gtin}/batches/{seed.batch_code}/codes",
        json={"serials": [seed.serials[position]]},
        headers=bearer(seed.producer_secret),
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["codes"][0]["url"]
    return url


def verdict(service: Service, url: str, **headers: str) -> dict[str, Any]:
    response = service.client.get(url, headers={**JSON, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    document: dict[str, Any] = response.json()
    assert document["status"] in VERIFICATION_STATUSES
    return document


def with_query(url: str, name: str, value: str | None) -> str:
    """`url` with query parameter `name` replaced (or dropped when `value` is None)."""
    parts = urlsplit(url)
    query = [(key, item) for key, item in parse_qsl(parts.query) if key != name]
    if value is not None:
        query.insert(0, (name, value))
    return parts._replace(query="&".join(f"{key}={item}" for key, item in query)).geturl()


# --- the whole story ---------------------------------------------------------------------------


def new_label_document() -> dict[str, Any]:
    """The example spec, moved to the product and certificate the lifecycle test registers."""
    document = spec_document()
    document["product"]["gtin"] = NEW_GTIN
    document["certification"].update(
        certificate_no=NEW_CERTIFICATE, decision_no="301/QĐ-UBND", issued_on="2026-11-02"
    )
    return document


def test_issue_label_scan_revoke_over_http(service: Service, seed: Seed) -> None:
    client = service.client
    certificate = {
        **SEED_CERTIFICATE,
        "certificate_no": NEW_CERTIFICATE,
        "decision_no": "301/QĐ-UBND",
        "issued_on": "2026-11-02",
        "product": {"name": "Hạt sen sấy giòn vị muối", "gtin": NEW_GTIN},
    }
    issued = client.post(
        "/api/v1/certificates", json=certificate, headers=bearer(seed.issuer_secret)
    )
    assert issued.status_code == 201, issued.text
    assert issued.headers["location"] == f"/api/v1/certificates/{NEW_CERTIFICATE}"
    assert issued.json()["in_force"] is True
    assert (
        client.get(issued.headers["location"]).json()["producer"]["name"] == SEED_PRODUCER["name"]
    )

    producer = bearer(seed.producer_secret)
    batch = {"code": "L261120", "manufactured_on": "2026-11-20", "expires_on": "2027-11-20"}
    assert (
        client.post(
            f"/api/v1/products/{NEW_GTIN}/batches", json=batch, headers=producer
        ).status_code
        == 201
    )
    allocated = client.post(
        f"/api/v1/products/{NEW_GTIN}/batches/L261120/serials",
        json={"count": 2, "request_id": "lot-1"},
        headers=producer,
    )
    assert allocated.status_code == 201, allocated.text
    serial = allocated.json()["serials"][0]

    label = client.post(
        f"/api/v1/labels?format=png&dpi=300&serial={serial}",
        json=new_label_document(),
        headers=producer,
    )
    assert label.status_code == 200, label.text
    (url,) = decode_codes(open_png(label.content))["QRCode"]
    assert url.startswith(f"{BASE_URL}/01/0{NEW_GTIN}/10/L261120/21/{serial}?s=4&8030=")

    first = verdict(service, url)
    assert (first["status"], first["signature"], first["scan_count"]) == ("valid", "valid", 1)
    assert first["certificate"]["certificate_no"] == NEW_CERTIFICATE
    assert first["batch"]["expires_on"] == "2027-11-20"
    assert verdict(service, url)["scan_count"] == 2

    revoked = client.post(
        f"/api/v1/certificates/{NEW_CERTIFICATE}/revoke",
        json={"reason": "falsified records"},
        headers=bearer(seed.issuer_secret),
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    started = time.monotonic()
    assert verdict(service, url)["status"] == "revoked"
    assert time.monotonic() - started < 1.0


def test_a_certificate_expires_by_the_registry_clock(service: Service, seed: Seed) -> None:
    url = signed_code(service, seed)
    # The last day of validity, 27 December 2027, runs to midnight in Vietnam (17:00 UTC).
    service.clock.now = dt.datetime(2027, 12, 27, 16, 59, tzinfo=dt.UTC)
    assert verdict(service, url)["status"] == "valid"
    service.clock.now = dt.datetime(2027, 12, 27, 17, 0, tzinfo=dt.UTC)
    assert verdict(service, url)["status"] == "expired"
    page = service.client.get(url)
    assert "Chứng nhận OCOP đã hết hạn" in page.text
    summary = service.client.get(f"/api/v1/certificates/{seed.certificate_no}").json()
    assert (summary["status"], summary["in_force"]) == ("active", False)


def test_suspension_reinstatement_and_renewal_show_at_the_next_scan(
    service: Service, seed: Seed
) -> None:
    url = signed_code(service, seed)
    issuer = bearer(seed.issuer_secret)
    path = f"/api/v1/certificates/{seed.certificate_no}"
    assert service.client.post(f"{path}/suspend", headers=issuer).status_code == 200
    assert verdict(service, url)["status"] == "suspended"
    assert service.client.post(f"{path}/reinstate", json={}, headers=issuer).status_code == 200
    assert verdict(service, url)["status"] == "valid"
    service.clock.now = dt.datetime(2028, 1, 5, tzinfo=dt.UTC)
    assert verdict(service, url)["status"] == "expired"
    renewal = {"decision_no": "12/QĐ-UBND", "issued_on": "2028-01-04", "reason": "re-assessed"}
    renewed = service.client.post(f"{path}/renew", json=renewal, headers=issuer)
    assert renewed.status_code == 200 and renewed.json()["valid_until"] == "2031-01-04"
    assert verdict(service, url)["status"] == "valid"
    history = service.client.get(f"{path}/history", headers=issuer).json()
    assert [entry["action"] for entry in history] == [
        "registered",
        "suspended",
        "reinstated",
        "renewed",
    ]
    assert history[-1]["reason"] == "re-assessed"


def test_a_certificate_number_with_a_slash_is_one_encoded_segment(
    service: Service, seed: Seed
) -> None:
    number = "15/QĐ-OCOP-ĐT"
    document = {**SEED_CERTIFICATE, "certificate_no": number, "issued_on": "2026-11-02"}
    issuer = bearer(seed.issuer_secret)
    issued = service.client.post("/api/v1/certificates", json=document, headers=issuer)
    assert issued.status_code == 201, issued.text
    location = issued.headers["location"]
    assert location == "/api/v1/certificates/" + quote(number, safe="")
    assert service.client.get(location).json()["certificate_no"] == number
    assert service.client.get(f"{location}/history", headers=issuer).status_code == 200
    assert service.client.post(f"{location}/revoke", headers=issuer).json()["status"] == "revoked"
    assert service.client.get(location).json()["status"] == "revoked"


# --- tampering ---------------------------------------------------------------------------------


def tampered_urls(url: str, seed: Seed) -> dict[str, str]:
    parts = dict(parse_qsl(urlsplit(url).query))
    signature, serial = parts["8030"], seed.serials[0]
    flipped = signature[:40] + ("A" if signature[40] != "A" else "B") + signature[41:]
    return {
        "another real serial": url.replace(serial, seed.serials[1]),
        "an invented serial": url.replace(serial, "ZZZZZZZZZZZZZZZZ"),
        "another GTIN": url.replace("/01/08936012345674/", "/01/08936055501235/"),
        "more stars": with_query(url, "s", "5"),
        "no stars": with_query(url, "s", None),
        "another certificate": with_query(url, "c", seed.other_certificate_no),
        "a later expiry": with_query(url, "17", "291231"),
        "another batch": url.replace("/10/L261120/", "/10/L261121/"),
        "a changed signature": with_query(url, "8030", flipped),
        "a truncated signature": with_query(url, "8030", signature[:60]),
    }


def test_tampered_codes_answer_invalid_signature(service: Service, seed: Seed) -> None:
    url = signed_code(service, seed)
    assert verdict(service, url)["status"] == "valid"
    for change, tampered in tampered_urls(url, seed).items():
        answer = verdict(service, tampered)
        assert answer["status"] == "invalid-signature", change
        assert answer["product"] is None and answer["certificate"] is None, change
    page = service.client.get(tampered_urls(url, seed)["more stars"])
    assert "Mã giả mạo" in page.text and "Hạt sen" not in page.text


def test_unknown_codes_answer_unknown_about_as_fast_as_real_ones(
    service: Service, seed: Seed
) -> None:
    real = signed_code(service, seed)
    invented = real.split("?")[0].replace(seed.serials[0], "ZZZZZZZZZZZZZZZZ")
    assert verdict(service, invented)["status"] == "unknown"
    assert verdict(service, f"{BASE_URL}/01/08936099999999/21/X1")["status"] == "unknown"

    def median_s(url: str) -> float:
        samples = []
        for _ in range(25):
            started = time.perf_counter()
            service.client.get(url, headers=JSON)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    known_s, unknown_s = median_s(real), median_s(invented)
    # Loose on purpose (a shared machine): the lookups do the same work, so neither is a
    # multiple of the other.
    assert 1 / 3 < unknown_s / known_s < 3, (known_s, unknown_s)


# --- who may do what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[Seed], str]
    expected: dict[str, int]
    body: Callable[[Seed], Any] | None = None


def _new_certificate(seed: Seed) -> dict[str, Any]:
    return {**SEED_CERTIFICATE, "certificate_no": "OCOP-DT-2026-0999", "issued_on": "2026-11-02"}


def _batches(seed: Seed) -> str:
    return f"/api/v1/products/{seed.gtin}/batches"


def _batch(seed: Seed) -> str:
    return f"{_batches(seed)}/{seed.batch_code}"


def _certificate(seed: Seed) -> str:
    return f"/api/v1/certificates/{seed.certificate_no}"


ISSUER_ONLY = {"issuer": 200, "producer": 403, "other-producer": 403, "anonymous": 401}
PRODUCER_ONLY = {"issuer": 403, "producer": 200, "other-producer": 404, "anonymous": 401}
PUBLIC = dict.fromkeys(ROLES, 200)
# Every registry route, acting on the first producer's objects; revocation last, since it
# changes what the routes before it find.
ROUTES: dict[str, Route] = {
    "register certificate": Route(
        "POST",
        lambda seed: "/api/v1/certificates",
        {**ISSUER_ONLY, "issuer": 201},
        _new_certificate,
    ),
    "get certificate": Route("GET", _certificate, PUBLIC),
    "certificate history": Route(
        "GET",
        lambda seed: f"{_certificate(seed)}/history",
        {"issuer": 200, "producer": 200, "other-producer": 404, "anonymous": 401},
    ),
    "renew": Route(
        "POST",
        lambda seed: f"{_certificate(seed)}/renew",
        ISSUER_ONLY,
        lambda seed: {"decision_no": "9/QĐ", "issued_on": "2026-11-20"},
    ),
    "suspend": Route("POST", lambda seed: f"{_certificate(seed)}/suspend", ISSUER_ONLY),
    "reinstate": Route("POST", lambda seed: f"{_certificate(seed)}/reinstate", ISSUER_ONLY),
    "list products": Route("GET", lambda seed: "/api/v1/products", {**PUBLIC, "anonymous": 401}),
    "register product": Route(
        "POST",
        lambda seed: "/api/v1/products",
        {"issuer": 403, "producer": 201, "other-producer": 409, "anonymous": 401},
        lambda seed: {"name": "Hạt sen sấy giòn", "gtin": seed.gtin},
    ),
    "list batches": Route("GET", _batches, PRODUCER_ONLY),
    "register batch": Route(
        "POST",
        _batches,
        {**PRODUCER_ONLY, "producer": 201},
        lambda seed: {"code": "L261201", "expires_on": "2027-12-01"},
    ),
    "allocate serials": Route(
        "POST",
        lambda seed: f"{_batch(seed)}/serials",
        {**PRODUCER_ONLY, "producer": 201},
        lambda seed: {"count": 2},
    ),
    "sign codes": Route(
        "POST",
        lambda seed: f"{_batch(seed)}/codes",
        PRODUCER_ONLY,
        lambda seed: {"serials": list(seed.serials)},
    ),
    "render a signed label": Route(
        "POST",
        lambda seed: f"/api/v1/labels?format=svg&serial={seed.serials[2]}",
        PRODUCER_ONLY,
        lambda seed: spec_document(),
    ),
    "public keys": Route("GET", lambda seed: PUBLIC_KEYS_PATH, PUBLIC),
    "verify a code": Route(
        "GET", lambda seed: f"/01/08936012345674/10/{seed.batch_code}/21/{seed.serials[0]}", PUBLIC
    ),
    "revoke": Route("POST", lambda seed: f"{_certificate(seed)}/revoke", ISSUER_ONLY),
}


def test_every_route_answers_each_role_as_documented(service: Service, seed: Seed) -> None:
    wrong = []
    for name, route in ROUTES.items():
        # Refusals first: a refused call changes nothing, so the allowed one still finds the
        # seeded objects as they were.
        for role in sorted(ROLES, key=lambda role: route.expected[role] < 400):
            response = service.client.request(
                route.method,
                route.path(seed),
                json=route.body(seed) if route.body else None,
                headers=bearer(secret_of(seed, role)),
            )
            if response.status_code != route.expected[role]:
                wrong.append(f"{name} as {role}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "Bearer"
    assert wrong == []


def test_another_producers_objects_read_as_missing(service: Service, seed: Seed) -> None:
    other = bearer(seed.other_producer_secret)
    theirs = service.client.get(_batches(seed), headers=other)
    missing = service.client.get("/api/v1/products/8936099999997/batches", headers=other)
    assert_problem(theirs, 404, "not-registered")
    assert_problem(missing, 404, "not-registered")
    assert theirs.json()["detail"].replace("08936012345674", "X").replace(seed.gtin, "X") == (
        missing.json()["detail"].replace("8936099999997", "X")
    )
    own = {
        product["gtin"] for product in service.client.get("/api/v1/products", headers=other).json()
    }
    assert own == {"08936055501235"}


def test_a_bad_key_is_answered_401_with_a_bearer_challenge(service: Service, seed: Seed) -> None:
    for header in ("Bearer lgk_AAAAAAAAAAAA_not-a-secret", f"Bearer {seed.issuer_secret}x"):
        response = service.client.post(
            f"{_certificate(seed)}/revoke", headers={"Authorization": header}
        )
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert service.client.get(_certificate(seed)).json()["status"] == "active"


def test_a_producer_key_cannot_be_used_to_issue_and_says_so(service: Service, seed: Seed) -> None:
    response = service.client.post(
        "/api/v1/certificates", json={"not": "read"}, headers=bearer(seed.producer_secret)
    )
    body = assert_problem(response, 403, "forbidden")
    assert "issuer" in body["detail"]


def test_bad_bodies_name_their_fields(service: Service, seed: Seed) -> None:
    issuer = bearer(seed.issuer_secret)
    nul = {**SEED_CERTIFICATE, "certificate_no": "OCOP\x00X", "decision_no": "9" * 101}
    body = assert_problem(
        service.client.post("/api/v1/certificates", json=nul, headers=issuer),
        422,
        "invalid-request",
    )
    assert {problem["field"] for problem in body["problems"]} == {"certificate_no", "decision_no"}
    again = service.client.post("/api/v1/certificates", json=SEED_CERTIFICATE, headers=issuer)
    assert_problem(again, 409, "conflict")
    text = service.client.post(
        "/api/v1/certificates", content=b"stars: 4", headers={**issuer, "Content-Type": "text/yaml"}
    )
    assert_problem(text, 415, "unsupported-media-type")


# --- labels that cite certificates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"certificate_no": "OCOP-DT-2024-9999"}, "certification.certificate_no"),
        ({"stars": 5}, "certification.stars"),
    ],
)
def test_a_label_must_cite_a_registered_certificate(
    service: Service, seed: Seed, change: dict[str, Any], field: str
) -> None:
    document = spec_document()
    document["certification"].update(change)
    response = service.client.post("/api/v1/labels?format=svg", json=document)
    body = assert_problem(response, 422, "certificate-not-registered")
    assert [problem["field"] for problem in body["problems"]] == [field]
    assert service.client.post("/api/v1/labels?format=svg", json=spec_document()).status_code == 200


def test_a_serialised_label_needs_a_key_when_certificates_must_be_registered(
    service: Service, seed: Seed
) -> None:
    query = f"/api/v1/labels?format=svg&serial={seed.serials[0]}"
    assert_problem(service.client.post(query, json=spec_document()), 401, "unauthorized")
    unallocated = "/api/v1/labels?format=svg&serial=ZZZZZZZZZZZZZZZZ"
    response = service.client.post(
        unallocated, json=spec_document(), headers=bearer(seed.producer_secret)
    )
    assert_problem(response, 404, "not-registered")


# --- the page, the JSON and the linkset --------------------------------------------------------


def test_the_page_is_vietnamese_self_contained_and_shows_the_registry(
    service: Service, seed: Seed
) -> None:
    url = signed_code(service, seed)
    page = service.client.get(url)
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == VERIFY_CSP
    assert page.headers["content-language"] == "vi"
    html = page.text
    for shown in (
        "Chứng nhận OCOP còn hiệu lực",
        "Hạt sen sấy giòn",
        SEED_PRODUCER["name"],
        SEED_PRODUCER["address"],
        seed.certificate_no,
        "2150/QĐ-UBND",
        "UBND tỉnh Đồng Tháp",
        "27/12/2027",
        "20/11/2026",
        "20/11/2027",
        "Xác thực lần đầu",
        "https://ocopvietnam.gov.vn",
        'class="ocop-badge"',
        "/static/verify.css",
    ):
        assert shown in html, shown
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    css = service.client.get("/static/verify.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    ("query", "headers"),
    [("&lang=en", {}), ("", {"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})],
)
def test_the_page_speaks_english_when_asked(
    service: Service, seed: Seed, query: str, headers: dict[str, str]
) -> None:
    page = service.client.get(signed_code(service, seed) + query, headers=headers)
    assert page.headers["content-language"] == "en"
    assert "Valid OCOP certification" in page.text and "27 Dec 2027" in page.text


def test_many_networks_show_the_copy_warning(service: Service, seed: Seed) -> None:
    url = signed_code(service, seed)
    for network in range(5):
        service.registry.look_up(url, client_address=f"192.0.{network}.9")
    page = service.client.get(url)
    assert "Mã này có thể là bản sao" in page.text
    assert verdict(service, url)["may_be_copy"] is True


def recorded_scans(registry: Registry) -> list[tuple[Any, ...]]:
    with registry.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT serial_id, scanned_key, network_hash, user_agent_family, status "
                "FROM scan_events ORDER BY id"
            )
        )
        return [tuple(row) for row in rows]


def test_scans_are_counted_while_buffered_and_written_without_the_address(
    service: Service, seed: Seed
) -> None:
    url = signed_code(service, seed)
    verifier = service.client.app.state.registry.verifier  # type: ignore[attr-defined]
    verifier.flush()
    counts = []
    for flush_between in (False, True, False):
        counts.append(verdict(service, url, **{"User-Agent": "Zalo/1.0"})["scan_count"])
        if flush_between:
            verifier.flush()
    assert counts == [1, 2, 3]
    verifier.flush()
    rows = recorded_scans(service.registry)
    assert len(rows) == 3
    assert {(row[3], row[4]) for row in rows} == {("zalo", "valid")}
    assert all(seed.serials[0] in row[1] for row in rows)


@pytest.mark.parametrize(
    ("peer", "recorded"),
    [
        ("10.1.2.3", "198.51.100.23"),  # a trusted proxy: the client it names
        ("203.0.113.9", "203.0.113.9"),  # anyone else: the header is ignored
    ],
)
def test_only_a_trusted_proxy_names_the_scanning_client(
    service: Service, seed: Seed, peer: str, recorded: str
) -> None:
    url = signed_code(service, seed)
    settings = service_settings(render_workers=1, trusted_proxies="10.0.0.0/8")
    app = create_app(settings, registry=service.registry)
    with TestClient(app, base_url=BASE_URL, client=(peer, 40000)) as client:
        forwarded = {**JSON, "X-Forwarded-For": "198.51.100.23"}
        assert client.get(url, headers=forwarded).json()["status"] == "valid"
    # The app wrote its buffered scans when it stopped.
    rows = recorded_scans(service.registry)
    assert [row[2] for row in rows] == [network_hash(recorded, SALT)]
    stored = repr(rows)
    assert peer not in stored and "198.51.100" not in stored


def test_the_linkset_has_the_rfc_9264_shape(service: Service, seed: Seed) -> None:
    url = signed_code(service, seed)
    before = verdict(service, url)["scan_count"]
    for response in (
        service.client.get(url + "&linkType=all"),
        service.client.get(url, headers={"Accept": LINKSET_MEDIA_TYPE}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == LINKSET_MEDIA_TYPE
        (context,) = response.json()["linkset"]
        assert context["anchor"] == url.split("?")[0]  # the item: the URI without its query
        for link_type in ("defaultLink", "verificationService", "certificationInfo"):
            links = context[f"https://gs1.org/voc/{link_type}"]
            assert links and all(isinstance(link["href"], str) for link in links)
        hrefs = {link["href"] for link in context["https://gs1.org/voc/certificationInfo"]}
        assert "https://ocopvietnam.gov.vn" in hrefs
    # A linkset reads no registry data, so it is not a scan.
    assert verdict(service, url)["scan_count"] == before + 1
    assert 'rel="linkset"' in service.client.get(url, headers=JSON).headers["link"]
    assert_problem(service.client.get("/01/12345/10/L1?linkType=all"), 400, "invalid-code")


def test_the_public_keys_are_published_and_cacheable(service: Service, seed: Seed) -> None:
    response = service.client.get(PUBLIC_KEYS_PATH)
    assert response.headers["cache-control"].startswith("public, max-age=")
    (key,) = response.json()["keys"]
    kid = dict(parse_qsl(urlsplit(signed_code(service, seed)).query))["8030"][:2]
    assert (key["kid"], key["crv"], key["status"]) == (kid, "Ed25519", "active")


def test_openapi_documents_the_registry_statuses(service: Service, seed: Seed) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    revoke = paths["/api/v1/certificates/{certificate_no}/revoke"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(revoke)
    assert "WWW-Authenticate" in revoke["401"]["headers"]
    register = paths["/api/v1/certificates"]["post"]["responses"]
    assert {"201", "401", "403", "409", "422"} <= set(register)
    codes = paths["/api/v1/products/{product}/batches/{batch}/codes"]["post"]["responses"]
    assert {"200", "401", "403", "404", "503"} <= set(codes)
    scan = paths["/01/{code_path}"]["get"]["responses"]["200"]["content"]
    assert {"text/html", "application/json", LINKSET_MEDIA_TYPE} <= set(scan)
