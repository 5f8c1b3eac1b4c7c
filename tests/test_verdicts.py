"""Honest verdicts: only a signed unit the registry issued reads `valid`, and the service and `labelgen verify` agree.

One seeded registry (tests' SQLite), the service in front of it, and the command line on the
same database: every case of the table is asked of both, and of the signature-only mode
(`--keys`) where the signature alone settles it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from service_support import FixedClock, service_settings

from labelgen.cli import main
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.lookup import (
    VERDICT_REASONS,
    VERIFICATION_STATUSES,
    Verification,
    verification_document,
)
from labelgen.registry.testing import Seed, seed_registry, signed_seed_url, temporary_database
from labelgen.service.app import create_app
from labelgen.service.models import VerificationAnswer
from labelgen.service.verification import render_page

BASE_URL = "https://truyxuat.example.vn"
SALT = b"verdict-test-salt"
GTIN14 = "08936012345674"


@dataclass
class World:
    registry: Registry
    seed: Seed
    client: TestClient
    environment: dict[str, str]
    keys_file: Path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A seeded registry, the service in front of it, and the environment that points
    `labelgen verify` at the same database and keys (each test may revoke or retire freely)."""
    with temporary_database("sqlite", tmp_path) as database_url:
        settings = RegistrySettings(database_url, tmp_path / "keys", SALT)
        registry = Registry(settings)
        seed = seed_registry(registry)
        environment = {
            "LABELGEN_DATABASE_URL": database_url,
            "LABELGEN_SIGNING_KEY_DIR": str(tmp_path / "keys"),
            "LABELGEN_SCAN_SALT": SALT.hex(),
            "LABELGEN_DATA_DIR": str(tmp_path / "data"),
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        keys_file = tmp_path / "labelgen-keys.json"
        app = create_app(service_settings(render_workers=1), registry=registry)
        try:
            with TestClient(app) as client:
                yield World(registry, seed, client, environment, keys_file)
        finally:
            registry.close()


def with_query(url: str, name: str, value: str | None) -> str:
    """`url` with the query parameter `name` set to `value` (dropped when None)."""
    parts = urlsplit(url)
    query = [(key, old) for key, old in parse_qsl(parts.query) if key != name]
    if value is not None:
        query.append((name, value))
    return parts._replace(query=urlencode(query, safe="")).geturl()


def cases(world: World) -> dict[str, tuple[str, str, str]]:
    """Name → (URL, status, reason) for every kind of code a shopper may scan."""
    seed = world.seed
    signed = signed_seed_url(world.registry, seed, BASE_URL)
    stripped = with_query(signed, "8030", None)
    unit = f"{BASE_URL}/01/{GTIN14}/10/{seed.batch_code}/21"
    return {
        "a signed unit": (signed, "valid", "signed-unit"),
        "a registered batch, no serial": (
            f"{BASE_URL}/01/{GTIN14}/10/{seed.batch_code}",
            "certified",
            "no-serial",
        ),
        "a made-up batch": (f"{BASE_URL}/01/{GTIN14}/10/FAKE123", "unknown", "unknown-batch"),
        "a GTIN alone": (f"{BASE_URL}/01/{GTIN14}", "unknown", "no-batch"),
        "an unregistered GTIN": (
            f"{BASE_URL}/01/08936099999999/10/{seed.batch_code}",
            "unknown",
            "unknown-product",
        ),
        "a made-up serial": (f"{unit}/ZZZZZZZZZZZZZZZZ", "unknown", "unknown-serial"),
        "another producer's serial": (
            f"{unit}/{seed.other_serials[0]}",
            "unknown",
            "unknown-serial",
        ),
        "the signature stripped": (stripped, "invalid-signature", "signature-missing"),
        "stripped, stars raised": (
            with_query(stripped, "s", "5"),
            "invalid-signature",
            "signature-missing",
        ),
        "stars raised, signature kept": (
            with_query(signed, "s", "5"),
            "invalid-signature",
            "signature-wrong",
        ),
        "a unit without GTIN (cannot be signed)": (
            f"{BASE_URL}/ocop/{seed.certificate_no}?10={seed.batch_code}&21={seed.serials[1]}",
            "certified",
            "unsigned-unit",
        ),
    }


def online(world: World, url: str) -> dict[str, object]:
    """The service's JSON verdict on `url` (a scan, as a phone asking for JSON makes it)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    response = world.client.get(target, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    VerificationAnswer.model_validate(answer)
    return answer


def offline(
    capsys: pytest.CaptureFixture[str], url: str, keys: Path | None = None
) -> tuple[int, dict[str, object]]:
    """`labelgen verify URL --json` (with `--keys FILE` when given): exit code and answer."""
    capsys.readouterr()
    arguments = ["verify", url, "--json", *(["--keys", str(keys)] if keys else [])]
    code = main(arguments)
    answer: dict[str, object] = json.loads(capsys.readouterr().out)
    return code, answer


def publish_keys(world: World, capsys: pytest.CaptureFixture[str]) -> Path:
    """The public keys document, as `labelgen registry keys list --json` prints it."""
    capsys.readouterr()
    assert main(["registry", "keys", "list", "--json"]) == 0
    world.keys_file.write_text(capsys.readouterr().out, encoding="utf-8")
    return world.keys_file


def test_the_service_and_the_command_line_agree_on_every_case(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    table = cases(world)
    keys = publish_keys(world, capsys)
    seen = set()
    for name, (url, status, reason) in table.items():
        answer = online(world, url)
        assert (answer["status"], answer["reason"]) == (status, reason), name
        code, local = offline(capsys, url)
        assert (local["status"], local["reason"]) == (status, reason), name
        assert code == (0 if status == "valid" else 1), name
        if local["signature"] != "unsigned" or reason == "signature-missing":
            # The signature settles these alone: the published keys give the same verdict.
            _, by_keys = offline(capsys, url, keys)
            assert by_keys["status"] == status, name
        seen.add(status)
    assert seen == {"valid", "certified", "unknown", "invalid-signature"}
    # Only a signed unit shows a scan count: nothing a counterfeiter can make is counted as one.
    assert online(world, table["a signed unit"][0])["scan_count"] == 2
    assert online(world, table["a registered batch, no serial"][0])["scan_count"] == 0


def test_after_revocation_every_registered_code_reads_revoked_and_forgeries_stay_forged(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    table = cases(world)
    world.registry.revoke_certificate(world.seed.issuer, world.seed.certificate_no)
    for name, (url, status, _reason) in table.items():
        expected = "revoked" if status in ("valid", "certified") else status
        assert online(world, url)["status"] == expected, name
        assert offline(capsys, url)[1]["status"] == expected, name


def test_a_retired_key_is_not_defeated_by_stripping_the_signature(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = signed_seed_url(world.registry, world.seed, BASE_URL)
    stripped = with_query(signed, "8030", None)
    kid = world.registry.list_signing_keys()[0].kid
    world.registry.rotate_signing_key()
    world.registry.retire_signing_key(kid)
    keys = publish_keys(world, capsys)
    for url, reason in ((signed, "key-not-valid"), (stripped, "signature-missing")):
        for answer in (online(world, url), offline(capsys, url)[1], offline(capsys, url, keys)[1]):
            assert (answer["status"], answer["reason"]) == ("invalid-signature", reason), url
    renewed = signed_seed_url(world.registry, world.seed, BASE_URL, 1)
    assert online(world, renewed)["status"] == "valid"


def test_a_registry_without_signing_keys_calls_its_unsigned_units_certified(
    tmp_path: Path,
) -> None:
    # Before its first key a registry cannot sign: its serials prove nothing, but are not forged.
    with temporary_database("sqlite", tmp_path) as database_url:
        registry = Registry(RegistrySettings(database_url, tmp_path / "keys", SALT))
        try:
            seed = seed_registry(registry)
            registry.retire_signing_key(registry.list_signing_keys()[0].kid)
            unit = f"{BASE_URL}/01/{GTIN14}/10/{seed.batch_code}/21/{seed.serials[0]}"
            # A retired key is still published: units stay "signed by this registry".
            assert registry.verdict(unit).status == "invalid-signature"
        finally:
            registry.close()
    with temporary_database("sqlite", tmp_path / "bare") as database_url:
        registry = Registry(RegistrySettings(database_url, tmp_path / "bare-keys", SALT))
        try:
            seed = seed_registry(registry)
            with registry.engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM signing_keys")
            registry._published_keys_cache = None
            unit = f"{BASE_URL}/01/{GTIN14}/10/{seed.batch_code}/21/{seed.serials[0]}"
            verdict = registry.verdict(unit)
            assert (verdict.status, verdict.reason) == ("certified", "unsigned-unit")
        finally:
            registry.close()


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def dated_registry(tmp_path: Path) -> Iterator[tuple[Registry, Seed, FixedClock]]:
    clock = FixedClock(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
    with temporary_database("sqlite", tmp_path) as database_url:
        registry = Registry(RegistrySettings(database_url, tmp_path / "keys", SALT), clock=clock)
        try:
            yield registry, seed_registry(registry), clock
        finally:
            registry.close()


def page_of(verification: Verification, language: str = "vi") -> str:
    return render_page(verification, language, BASE_URL + "/01/x")


def test_each_verdict_has_its_own_headline_and_only_valid_is_green(
    dated_registry: tuple[Registry, Seed, FixedClock],
) -> None:
    registry, seed, _clock = dated_registry
    valid = registry.look_up(signed_seed_url(registry, seed, BASE_URL))
    certified = registry.look_up(f"{BASE_URL}/01/{GTIN14}/10/{seed.batch_code}")
    made_up = registry.look_up(f"{BASE_URL}/01/{GTIN14}/10/FAKE123")
    assert (valid.status, certified.status, made_up.status) == ("valid", "certified", "unknown")

    page = page_of(valid)
    assert 'class="page"' in page and "verdict-valid" in page
    page = page_of(certified)
    assert "verdict-certified" in page and "page-unproven" in page
    assert "Sản phẩm đạt chứng nhận OCOP</h1>" in page
    assert "Sản phẩm đạt chứng nhận OCOP; mã này không định danh riêng từng sản phẩm" in page
    assert "does not identify each package" in page_of(certified, "en")
    assert 'class="badge"' in page  # the product is certified: its badge is shown, greyed
    page = page_of(made_up)
    assert "verdict-unknown" in page and "page-unproven" in page
    assert "Số lô trên mã không có trong hệ thống" in page
    assert "Hạt sen" not in page  # nothing of the registry's for a made-up batch


def test_a_batch_past_its_expiry_date_turns_the_headline_amber_whatever_the_certificate(
    dated_registry: tuple[Registry, Seed, FixedClock],
) -> None:
    registry, seed, clock = dated_registry
    url = signed_seed_url(registry, seed, BASE_URL)
    # The batch's HSD is 20/11/2027; the certificate runs until 27/12/2027.
    clock.now = dt.datetime(2027, 11, 25, 3, 0, tzinfo=dt.UTC)
    verdict = registry.look_up(url)
    assert (verdict.status, verdict.batch_expired) == ("valid", True)
    page = page_of(verdict)
    assert "verdict-batch-expired" in page and "verdict-valid" not in page
    assert "page-unproven" in page
    assert "<h1" in page and "Sản phẩm đã quá hạn sử dụng</h1>" in page
    assert "HSD 20/11/2027" in page
    assert "Chứng nhận OCOP: Chứng nhận OCOP còn hiệu lực" in page
    assert "Past its expiry date</h1>" in page_of(verdict, "en")
    document = verification_document(verdict)
    assert (document["status"], document["batch_expired"]) == ("valid", True)
    registry.revoke_certificate(seed.issuer, seed.certificate_no)
    revoked = registry.look_up(url)
    assert "Sản phẩm đã quá hạn sử dụng</h1>" in page_of(revoked)
    assert "Chứng nhận OCOP đã bị thu hồi" in page_of(revoked)


def test_the_page_greys_the_badge_and_drops_green_when_not_proven() -> None:
    css = (
        Path(__file__).resolve().parent.parent / "labelgen/service/web/static/verify.css"
    ).read_text(encoding="utf-8")
    assert ".page-unproven .badge { filter: grayscale(1)" in css
    assert ".page-unproven .stars { color: var(--muted); }" in css
    assert ".page-unproven .national { border-color: var(--neutral)" in css


def test_every_status_and_reason_is_worded_in_both_languages() -> None:
    from labelgen.service.pages import ui_strings

    for language in ("vi", "en"):
        strings = ui_strings(language)["verify"]
        assert set(strings["status"]) == set(VERIFICATION_STATUSES)
        # A reason without words of its own is told by its status's detail.
        assert set(strings["reasons"]) <= set(VERDICT_REASONS)
        for status in VERIFICATION_STATUSES:
            assert strings["status"][status]["headline"] and strings["status"][status]["detail"]


def test_the_openapi_description_lists_the_new_status(world: World) -> None:
    schema = world.client.get("/openapi.json").json()["components"]["schemas"]
    statuses = schema["VerificationAnswer"]["properties"]["status"]
    values = statuses.get("enum") or next(
        option["enum"] for option in statuses.get("anyOf", []) if "enum" in option
    )
    assert set(values) == set(VERIFICATION_STATUSES) and "certified" in values
