"""Registry operations on SQLite and PostgreSQL: certificate lifecycle, expiry, history chain, scans, serials."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from service_support import FixedClock
from sqlalchemy import select, text

from labelgen.errors import (
    AuthenticationError,
    ConflictError,
    RegistryInputError,
)
from labelgen.registry import (
    AllocationInput,
    BatchInput,
    CertificateInput,
    Registry,
    RegistrySettings,
    RenewalInput,
    make_engine,
    parse_input,
    upgrade_database,
    verification_document,
)
from labelgen.registry import database as database_module
from labelgen.registry.database import HEAD_REVISION, alembic_config
from labelgen.registry.models import ApiKey, Base, CertificateEvent, ScanEvent
from labelgen.registry.scans import COPY_DISTINCT_NETWORKS, network_hash
from labelgen.registry.testing import (
    SEED_CERTIFICATE,
    Seed,
    clear_database,
    seed_registry,
    signed_seed_url,
)

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
# 17:00 in Vietnam on 28 November 2026; the seed certificate runs to 27 December 2027.
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def registry(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Registry]:
    registry = Registry(RegistrySettings(database_url, tmp_path / "keys", SALT), clock=clock)
    clear_database(registry.engine)
    yield registry
    registry.close()


@pytest.fixture
def seed(registry: Registry) -> Seed:
    return seed_registry(registry)


def test_issue_allocate_scan_valid_then_revoked_at_once(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)

    verdict = registry.look_up(url, client_address="203.0.113.7", user_agent="Zalo/23")
    assert verdict.status == "valid"
    assert verdict.signature == "valid"
    assert verdict.product is not None and verdict.product.name == "Hạt sen sấy giòn"
    assert verdict.producer is not None
    assert verdict.producer.address == "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp"
    assert verdict.certificate is not None
    assert (verdict.certificate.stars, verdict.certificate.certificate_no) == (
        4,
        seed.certificate_no,
    )
    assert verdict.certificate.decision_no == "2150/QĐ-UBND"
    assert verdict.certificate.issued_by == "UBND tỉnh Đồng Tháp"
    assert verdict.certificate.valid_until == dt.date(2027, 12, 27)
    assert verdict.batch is not None
    assert (verdict.batch.manufactured_on, verdict.batch.expires_on) == (
        dt.date(2026, 11, 20),
        dt.date(2027, 11, 20),
    )
    assert (verdict.scan_count, verdict.first_verified_at) == (1, START)
    assert not verdict.may_be_copy

    registry.revoke_certificate(seed.issuer, seed.certificate_no, reason="fraud found")
    started = time.monotonic()
    assert registry.look_up(url).status == "revoked"
    assert time.monotonic() - started < 1.0


def test_certificate_expires_after_its_last_day_in_vietnam_time(
    registry: Registry, seed: Seed, clock: FixedClock
) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    clock.now = dt.datetime(2027, 12, 27, 16, 59, tzinfo=dt.UTC)  # 23:59 on 27/12 in Vietnam
    assert registry.look_up(url).status == "valid"
    clock.now = dt.datetime(2027, 12, 27, 17, 0, tzinfo=dt.UTC)  # 00:00 on 28/12 in Vietnam
    expired = registry.look_up(url)
    assert expired.status == "expired"
    assert expired.certificate is not None and expired.certificate.status == "active"


def test_suspension_reinstatement_and_renewal_show_at_the_next_scan(
    registry: Registry, seed: Seed, clock: FixedClock
) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    registry.suspend_certificate(seed.issuer, seed.certificate_no)
    assert registry.look_up(url).status == "suspended"
    registry.reinstate_certificate(seed.issuer, seed.certificate_no)
    assert registry.look_up(url).status == "valid"

    clock.now = dt.datetime(2028, 1, 5, tzinfo=dt.UTC)
    assert registry.look_up(url).status == "expired"
    renewal = parse_input(RenewalInput, {"decision_no": "99/QĐ-UBND", "issued_on": "2028-01-02"})
    renewed = registry.renew_certificate(seed.issuer, seed.certificate_no, renewal)
    assert renewed.valid_until == dt.date(2031, 1, 2)  # 36 months by default
    assert registry.look_up(url).status == "valid"


def test_a_revoked_certificate_cannot_be_renewed_suspended_or_reinstated(
    registry: Registry, seed: Seed
) -> None:
    registry.revoke_certificate(seed.issuer, seed.certificate_no)
    renewal = RenewalInput(decision_no="1/QĐ", issued_on=dt.date(2027, 1, 1))
    with pytest.raises(ConflictError, match="revoked"):
        registry.renew_certificate(seed.issuer, seed.certificate_no, renewal)
    with pytest.raises(ConflictError, match="revoked"):
        registry.suspend_certificate(seed.issuer, seed.certificate_no)
    with pytest.raises(ConflictError, match="revoked"):
        registry.reinstate_certificate(seed.issuer, seed.certificate_no)


def test_registering_a_certificate_twice_or_below_three_stars_is_refused(
    registry: Registry, seed: Seed
) -> None:
    with pytest.raises(ConflictError, match="certificate_no"):
        registry.register_certificate(seed.issuer, parse_input(CertificateInput, SEED_CERTIFICATE))
    two_stars = {**SEED_CERTIFICATE, "certificate_no": "OCOP-X-1", "stars": 2}
    with pytest.raises(RegistryInputError, match="stars"):
        registry.register_certificate(seed.issuer, parse_input(CertificateInput, two_stars))


def test_unknown_serials_gtins_and_unreadable_urls_answer_unknown_without_data(
    registry: Registry, seed: Seed
) -> None:
    invented = f"{BASE_URL}/01/08936012345674/10/{seed.batch_code}/21/ZZZZZZZZZZZZZZZZ"
    unknown_gtin = f"{BASE_URL}/01/08936099999999/10/{seed.batch_code}/21/{seed.serials[0]}"
    wrong_batch = f"{BASE_URL}/01/08936012345674/10/OTHER/21/{seed.serials[0]}"
    for url in (invented, unknown_gtin, wrong_batch, "https://example.vn/nothing", "not a url"):
        verdict = registry.look_up(url)
        assert verdict.status == "unknown", url
        assert verdict.product is None and verdict.certificate is None and verdict.scan_count == 0


def test_another_producers_serial_under_this_gtin_is_unknown(
    registry: Registry, seed: Seed
) -> None:
    borrowed = f"{BASE_URL}/01/08936012345674/10/{seed.batch_code}/21/{seed.other_serials[0]}"
    assert registry.look_up(borrowed).status == "unknown"


def test_a_batch_level_code_without_serial_shows_the_certificate_and_batch(
    registry: Registry, seed: Seed
) -> None:
    verdict = registry.look_up(f"{BASE_URL}/01/08936012345674/10/{seed.batch_code}?17=271120")
    # Anyone can print a batch-level code: it shows the certificate, never `valid`.
    assert (verdict.status, verdict.reason) == ("certified", "no-serial")
    assert verdict.batch is not None and verdict.batch.code == seed.batch_code
    assert (verdict.scan_count, verdict.may_be_copy) == (0, False)


def test_gtin_and_serial_without_batch_find_the_serials_batch(
    registry: Registry, seed: Seed
) -> None:
    # The registry signs its units with their batch, so this short form, found by the serial
    # alone, reads as a unit without its signature; a serial it never issued is unknown.
    verdict = registry.look_up(f"{BASE_URL}/01/08936012345674/21/{seed.serials[1]}")
    assert (verdict.status, verdict.reason) == ("invalid-signature", "signature-missing")
    made_up = registry.look_up(f"{BASE_URL}/01/08936012345674/21/ZZZZZZZZZZZZZZZZ")
    assert (made_up.status, made_up.reason) == ("unknown", "unknown-serial")


def test_the_ocop_path_form_without_gtin_finds_the_unit(registry: Registry, seed: Seed) -> None:
    url = f"{BASE_URL}/ocop/{quote(seed.certificate_no)}?10={seed.batch_code}&21={seed.serials[0]}"
    verdict = registry.look_up(url)
    # Without a GTIN a code cannot carry a signature (AI 8030 needs GTIN + serial).
    assert (verdict.status, verdict.reason) == ("certified", "unsigned-unit")
    assert verdict.scan_count == 1
    assert registry.look_up(url.replace(seed.serials[0], "ZZZZZZZZZZZZZZZZ")).status == "unknown"


def test_the_json_answer_has_the_status_and_iso_dates(registry: Registry, seed: Seed) -> None:
    document = verification_document(registry.look_up(signed_seed_url(registry, seed, BASE_URL)))
    assert json.loads(json.dumps(document)) == document
    assert document["status"] == "valid"
    assert document["certificate"]["valid_until"] == "2027-12-27"
    assert document["batch"]["expires_on"] == "2027-11-20"
    assert "id" not in document["product"]
    assert verification_document(registry.look_up("nonsense"))["status"] == "unknown"


def test_an_unsigned_code_citing_other_stars_is_flagged(registry: Registry, seed: Seed) -> None:
    url = f"{BASE_URL}/01/08936012345674/10/{seed.batch_code}"
    assert registry.look_up(url).label_matches_registry
    edited = registry.look_up(f"{url}?s=5")
    assert edited.status == "certified" and edited.signature == "unsigned"
    assert not edited.label_matches_registry
    other_certificate = registry.look_up(f"{url}?s=4&c={seed.other_certificate_no}")
    assert not other_certificate.label_matches_registry
    assert registry.look_up(f"{url}?s=4&c={seed.certificate_no}").label_matches_registry


def test_scans_are_counted_and_many_networks_mark_a_possible_copy(
    registry: Registry, seed: Seed, clock: FixedClock
) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    for host in range(1, 30):  # one household: many scans, one /24 network
        registry.look_up(url, client_address=f"198.51.100.{host}")
    same_network = registry.look_up(url, client_address="198.51.100.200")
    assert (same_network.scan_count, same_network.may_be_copy) == (30, False)
    assert same_network.first_verified_at == START

    clock.now = START + dt.timedelta(days=3)
    for network in range(COPY_DISTINCT_NETWORKS - 2):
        assert not registry.look_up(url, client_address=f"192.0.{network}.9").may_be_copy
    copied = registry.look_up(url, client_address="2001:db8:77::1")
    assert copied.may_be_copy
    assert copied.first_verified_at == START


def test_scan_events_keep_no_raw_ip_address(registry: Registry, seed: Seed) -> None:
    url = signed_seed_url(registry, seed, BASE_URL)
    registry.look_up(url, client_address="203.0.113.77", user_agent="Mozilla/5.0 Chrome/120")
    registry.look_up(url, client_address="2001:db8:abcd:12::1", user_agent="Zalo iOS")
    with registry.engine.connect() as connection:
        rows = connection.execute(select(ScanEvent.__table__)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    for fragment in ("203.0.113", "203000113", "2001:db8", "2001:0db8", "Mozilla", "Chrome/120"):
        assert fragment not in stored
    families = sorted(row.user_agent_family for row in rows)
    assert families == ["chrome", "zalo"]
    assert all(row.network_hash and len(row.network_hash) == 32 for row in rows)


def test_network_hashes_depend_on_the_salt(
    registry: Registry, database_url: str, tmp_path: Path, seed: Seed
) -> None:
    other = Registry(RegistrySettings(database_url, tmp_path / "keys", b"another salt"))
    try:
        other.look_up(f"{BASE_URL}/01/08936012345674", client_address="203.0.113.5")
    finally:
        other.close()
    with registry.engine.connect() as connection:
        stored = set(connection.scalars(select(ScanEvent.network_hash)))
    assert network_hash("203.0.113.5", b"another salt") in stored
    assert network_hash("203.0.113.5", SALT) not in stored


def test_history_records_every_change_in_order(registry: Registry, seed: Seed) -> None:
    registry.suspend_certificate(seed.issuer, seed.certificate_no, reason="inspection")
    registry.reinstate_certificate(seed.issuer, seed.certificate_no)
    # Five stars are the ministry's to give, and a decision is not dated after today.
    renewal = RenewalInput(
        decision_no="5/QĐ",
        issued_on=dt.date(2026, 11, 20),
        stars=5,
        issued_by="Bộ Nông nghiệp và Môi trường",
    )
    registry.renew_certificate(seed.issuer, seed.certificate_no, renewal)
    registry.revoke_certificate(seed.issuer, seed.certificate_no)
    registry.revoke_certificate(seed.issuer, seed.certificate_no)  # no change, no event

    entries = registry.certificate_history(seed.issuer, seed.certificate_no)
    assert [entry.action for entry in entries] == [
        "registered",
        "suspended",
        "reinstated",
        "renewed",
        "revoked",
    ]
    assert {entry.actor for entry in entries} == {seed.issuer.actor}
    assert entries[1].reason == "inspection"
    assert entries[3].state["stars"] == 5 and entries[4].state["status"] == "revoked"
    report = registry.verify_history()
    assert report.intact and report.events_checked == 6  # the other certificate's one too


@pytest.mark.parametrize(
    ("tampering", "expected"),
    [
        ("UPDATE certificate_events SET actor = 'issuer:NOBODY' WHERE sequence = 2", "altered"),
        (
            "UPDATE certificate_events SET details = replace(details, '\"active\"', '\"revoked\"') "
            "WHERE sequence = 1",
            "altered",
        ),
        ("DELETE FROM certificate_events WHERE sequence = 2", "missing"),
        ("UPDATE certificates SET status = 'active' WHERE status = 'revoked'", "differs"),
        ("UPDATE certificates SET valid_until = '2099-12-31'", "differs"),
    ],
)
def test_history_check_detects_an_edited_row(
    registry: Registry, seed: Seed, tampering: str, expected: str
) -> None:
    registry.suspend_certificate(seed.issuer, seed.certificate_no)
    registry.revoke_certificate(seed.issuer, seed.certificate_no)
    assert registry.verify_history().intact
    with registry.engine.begin() as connection:
        connection.execute(text(tampering))
    report = registry.verify_history()
    assert not report.intact
    assert any(expected in problem for problem in report.problems), report.problems


def test_the_history_hash_chain_links_each_event_to_the_one_before(
    registry: Registry, seed: Seed
) -> None:
    registry.suspend_certificate(seed.issuer, seed.certificate_no)
    with registry.engine.connect() as connection:
        events = connection.execute(
            select(CertificateEvent.__table__).order_by(CertificateEvent.sequence)
        ).all()
    assert events[0].previous_hash == "0" * 64
    for earlier, later in itertools.pairwise(events):
        assert later.previous_hash == earlier.hash
    assert registry.verify_history().head_hash == events[-1].hash


def test_a_repeated_request_id_returns_the_same_serials(registry: Registry, seed: Seed) -> None:
    request = AllocationInput(count=5, request_id="order-2026-11-28-A")
    first = registry.allocate_serials(seed.producer, seed.gtin, seed.batch_code, request)
    again = registry.allocate_serials(seed.producer, seed.gtin, seed.batch_code, request)
    assert first.created and not again.created
    assert again.serials == first.serials and len(set(first.serials)) == 5
    with pytest.raises(ConflictError, match="request_id"):
        registry.allocate_serials(
            seed.producer,
            seed.gtin,
            seed.batch_code,
            AllocationInput(count=6, request_id="order-2026-11-28-A"),
        )


def test_colliding_draws_are_redrawn_and_never_stored_twice(
    database_url: str, tmp_path: Path, seed: Seed
) -> None:
    pool = iter(
        [seed.serials[0], "AAAAAAAAAAAAAAAA", seed.serials[1], "AAAAAAAAAAAAAAAA"]
        + [f"B{number:015d}" for number in range(10)]
    )
    colliding = Registry(
        RegistrySettings(database_url, tmp_path / "keys", SALT), serial_factory=lambda: next(pool)
    )
    try:
        allocation = colliding.allocate_serials(
            seed.producer, seed.gtin, seed.batch_code, AllocationInput(count=3)
        )
    finally:
        colliding.close()
    assert len(set(allocation.serials)) == 3
    assert not set(allocation.serials) & set(seed.serials)


def test_allocation_gives_up_when_no_unused_serial_can_be_drawn(
    database_url: str, tmp_path: Path, seed: Seed
) -> None:
    stuck = Registry(
        RegistrySettings(database_url, tmp_path / "keys", SALT),
        serial_factory=lambda: seed.serials[0],
    )
    try:
        with pytest.raises(ConflictError, match="serials"):
            stuck.allocate_serials(
                seed.producer, seed.gtin, seed.batch_code, AllocationInput(count=1)
            )
    finally:
        stuck.close()


def test_a_batch_again_with_other_dates_is_a_conflict(registry: Registry, seed: Seed) -> None:
    same = parse_input(
        BatchInput, {"code": "L261120", "manufactured_on": "2026-11-20", "expires_on": "2027-11-20"}
    )
    assert registry.register_batch(seed.producer, seed.gtin, same).code == "L261120"
    other = BatchInput(code="L261120", manufactured_on=dt.date(2026, 11, 21))
    with pytest.raises(ConflictError, match="other dates"):
        registry.register_batch(seed.producer, seed.gtin, other)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"code": "LÔ 1"}, "code"),
        ({"code": "L" * 21}, "code"),
        ({"code": "L1", "manufactured_on": "2026-11-20", "expires_on": "2026-11-01"}, "expires_on"),
        ({"code": "L1", "manufactured_on": "20/11/2026"}, "manufactured_on"),
    ],
)
def test_bad_batch_input_names_the_field(document: dict[str, str], field: str) -> None:
    with pytest.raises(RegistryInputError) as raised:
        parse_input(BatchInput, document)
    assert field in str(raised.value)


def test_api_keys_are_stored_as_hashes_and_stop_working_when_revoked(
    registry: Registry, seed: Seed
) -> None:
    with registry.engine.connect() as connection:
        stored = " ".join(
            str(value) for row in connection.execute(select(ApiKey.__table__)) for value in row
        )
    secret_part = seed.producer_secret.split("_", 2)[2]
    assert secret_part not in stored
    assert registry.authenticate(seed.producer_secret).producer_id == seed.producer.producer_id
    for wrong in (seed.producer_secret[:-1] + "x", "lgk_NOSUCHKEY0001_abc", "", "Bearer"):
        with pytest.raises(AuthenticationError):
            registry.authenticate(wrong)
    registry.revoke_api_key(seed.producer.key_id)
    with pytest.raises(AuthenticationError):
        registry.authenticate(seed.producer_secret)


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    upgrade_database(database_url)  # a second run is a no-op
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_head_revision_opened_without_alembic_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == HEAD_REVISION


def test_a_database_at_the_head_revision_is_opened_without_running_migrations(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade_database(database_url)

    def refuse(connection: object) -> None:
        raise AssertionError("migrations run again")

    monkeypatch.setattr(database_module, "_run_migrations", refuse)
    upgrade_database(database_url)
