"""Traceability stage: the URL each spec's QR code holds, and the values that cannot go in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgen.codes import make_qr
from labelgen.errors import CodeError
from labelgen.spec import LabelSpec, load_spec, parse_spec
from labelgen.traceability import DEFAULT_BASE_URL, GS1_CSET_82, trace_url

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BASE = "https://truyxuat.example.vn"

CERTIFICATION = {
    "scheme": "OCOP",
    "stars": 4,
    "certificate_no": "OCOP-DT-2024-0178",
    "decision_no": "2150/QĐ-UBND",
    "issued_by": "UBND tỉnh Đồng Tháp",
    "issued_on": "2024-12-27",
}


def make_spec(
    certification: dict[str, Any] | None = None,
    traceability: dict[str, Any] | None = None,
    **product: Any,
) -> LabelSpec:
    document: dict[str, Any] = {
        "brand": {"name": "Sen Hồng"},
        "product": {"name": "Hạt sen sấy", "category": "food", **product},
        "producer": {"name": "HTX Sen Tháp Mười", "address": "Ấp 3, xã Tháp Mười"},
    }
    if certification is not None:
        document["certification"] = certification
    if traceability is not None:
        document["traceability"] = traceability
    return parse_spec(document)


@pytest.mark.parametrize(
    ("example", "url"),
    [
        (
            "hat-sen-say.yaml",  # expiry = 2026-11-20 + 12 months shelf life
            "https://truyxuat.example.vn/01/08936012345674/10/L261120?17=271120",
        ),
        (
            "chieu-dinh-yen.yaml",  # a handicraft: no dates at all
            "https://truyxuat.example.vn/01/08936055501235/10/DY2611",
        ),
        (
            "nem-expired-badge.yaml",
            "https://truyxuat.example.vn/01/08936123000455/10/NLV1126?17=261205",
        ),
    ],
)
def test_example_specs_give_digital_links(example: str, url: str) -> None:
    assert trace_url(load_spec(EXAMPLES / example), DEFAULT_BASE_URL) == url


@pytest.mark.parametrize(
    ("gtin", "gtin14"),
    [
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        ("8936012345674", "08936012345674"),
        ("18936012345671", "18936012345671"),
    ],
)
def test_every_gtin_length_is_padded_to_14(gtin: str, gtin14: str) -> None:
    assert trace_url(make_spec(gtin=gtin), BASE) == f"{BASE}/01/{gtin14}"


@pytest.mark.parametrize(
    ("batch", "spec_serial", "serial", "path"),
    [
        ("L1", None, None, "/10/L1"),
        ("L1", "S-9", None, "/10/L1/21/S-9"),
        ("L1", "S-9", "S-10", "/10/L1/21/S-10"),  # a batch run's serial wins over the spec's
        (None, None, "000042", "/21/000042"),
    ],
)
def test_qualifiers_follow_gs1_order(
    batch: str | None, spec_serial: str | None, serial: str | None, path: str
) -> None:
    product = {"gtin": "8936012345674"} | ({"batch": batch} if batch else {})
    spec = make_spec(traceability={"serial": spec_serial}, **product)
    assert trace_url(spec, BASE, serial=serial) == f"{BASE}/01/08936012345674{path}"


@pytest.mark.parametrize(
    ("dates", "query"),
    [
        ({"manufactured_on": "2026-01-31", "expires_on": "2027-01-31"}, "?17=270131"),
        ({"manufactured_on": "2026-01-31", "shelf_life": {"months": 1}}, "?17=260228"),
        ({"manufactured_on": "2026-01-31", "shelf_life": {"days": 45}}, "?17=260317"),
        ({"manufactured_on": "2026-01-31"}, ""),  # the production date alone is left out
        ({}, ""),
    ],
)
def test_only_the_expiry_goes_in_the_query(dates: dict[str, Any], query: str) -> None:
    spec = make_spec(gtin="8936012345674", batch="A1", **dates)
    assert trace_url(spec, BASE) == f"{BASE}/01/08936012345674/10/A1{query}"


@pytest.mark.parametrize(
    ("batch", "encoded"),
    [
        ("L-26.11_A", "L-26.11_A"),
        ("AB/12", "AB%2F12"),
        ("A&B", "A%26B"),
        ("50%", "50%25"),
        ('x"y', "x%22y"),
        ("a+b=c", "a%2Bb%3Dc"),
        ("!'()*,:;<>?", "%21%27%28%29%2A%2C%3A%3B%3C%3E%3F"),
    ],
)
def test_batch_is_percent_encoded_in_the_path(batch: str, encoded: str) -> None:
    url = trace_url(make_spec(gtin="8936012345674", batch=batch), BASE)
    assert url == f"{BASE}/01/08936012345674/10/{encoded}"


@pytest.mark.parametrize(
    ("batch", "serial", "field", "reason"),
    [
        ("Lô 1", None, "product.batch", "'ô'"),
        ("L 1", None, "product.batch", "' '"),
        ("L#1", None, "product.batch", "'#'"),
        ("L~1", None, "product.batch", "'~'"),
        ("A" * 21, None, "product.batch", "1 to 20 characters"),
        ("L1", "SỐ1", "traceability.serial", "'Ố'"),
        ("L1", "", "traceability.serial", "1 to 20 characters"),
        ("L1", "9" * 21, "traceability.serial", "1 to 20 characters"),
    ],
)
def test_batch_or_serial_outside_cset_82_is_refused(
    batch: str, serial: str | None, field: str, reason: str
) -> None:
    spec = make_spec(gtin="8936012345674", batch=batch)
    with pytest.raises(CodeError, match=f"^{field}: .*{reason}"):
        trace_url(spec, BASE, serial=serial)


def test_twenty_characters_is_the_longest_batch() -> None:
    url = trace_url(make_spec(gtin="8936012345674", batch="B" * 20), BASE)
    assert url == f"{BASE}/01/08936012345674/10/{'B' * 20}"


def test_wrong_gtin_check_digit_is_refused_not_fixed() -> None:
    with pytest.raises(CodeError, match=r"^product\.gtin: .*expected check digit 4"):
        trace_url(make_spec(gtin="8936012345670"), BASE)


@pytest.mark.parametrize(
    ("spec_base", "default_base", "prefix"),
    [
        (None, "https://qr.example.vn", "https://qr.example.vn"),
        (None, "https://qr.example.vn/", "https://qr.example.vn"),
        ("https://htxsen.example.vn/truy-xuat/", BASE, "https://htxsen.example.vn/truy-xuat"),
    ],
)
def test_spec_base_url_overrides_the_default(
    spec_base: str | None, default_base: str, prefix: str
) -> None:
    spec = make_spec(gtin="8936012345674", traceability={"base_url": spec_base})
    assert trace_url(spec, default_base) == f"{prefix}/01/08936012345674"


@pytest.mark.parametrize(
    ("spec_base", "default_base"),
    [
        (None, "http://truyxuat.example.vn"),
        (None, "https://truyxuất.example.vn"),
        # A spec's base URL with a query or fragment is refused when the spec is parsed
        # (tests/test_hostile_values.py).
    ],
)
def test_base_url_that_cannot_carry_a_path_is_refused(
    spec_base: str | None, default_base: str
) -> None:
    spec = make_spec(gtin="8936012345674", traceability={"base_url": spec_base})
    with pytest.raises(CodeError, match=r"^traceability\.base_url: "):
        trace_url(spec, default_base)


@pytest.mark.parametrize(
    ("certificate_no", "batch", "serial", "url"),
    [
        ("OCOP-DT-2024-0178", None, None, f"{BASE}/ocop/OCOP-DT-2024-0178"),
        ("OCOP-DT-2024-0178", "L1", None, f"{BASE}/ocop/OCOP-DT-2024-0178?10=L1"),
        ("OCOP-DT-2024-0178", "L/1", "7", f"{BASE}/ocop/OCOP-DT-2024-0178?10=L%2F1&21=7"),
        ("OCOP-DT-2024-0178", None, "7", f"{BASE}/ocop/OCOP-DT-2024-0178?21=7"),
        ("12/QĐ-ĐT", None, None, f"{BASE}/ocop/12%2FQ%C4%90-%C4%90T"),
        ("OCOP ĐT 01", None, None, f"{BASE}/ocop/OCOP%20%C4%90T%2001"),
    ],
)
def test_without_gtin_the_certificate_is_the_key(
    certificate_no: str, batch: str | None, serial: str | None, url: str
) -> None:
    product = {"batch": batch} if batch else {}
    spec = make_spec(certification=CERTIFICATION | {"certificate_no": certificate_no}, **product)
    result = trace_url(spec, BASE, serial=serial)
    assert result == url
    assert result.isascii()


def test_without_gtin_a_bad_batch_is_still_refused() -> None:
    spec = make_spec(certification=CERTIFICATION, batch="Lô 1")
    with pytest.raises(CodeError, match=r"^product\.batch: "):
        trace_url(spec, BASE)


def test_nothing_to_point_to_gives_none() -> None:
    assert trace_url(make_spec(batch="L1", expires_on="2027-01-01"), BASE) is None


def test_gtin_takes_precedence_over_the_certificate() -> None:
    spec = make_spec(certification=CERTIFICATION, gtin="8936012345674")
    assert trace_url(spec, BASE) == f"{BASE}/01/08936012345674"


@settings(max_examples=50, deadline=None)
@given(serial=st.text(alphabet=sorted(GS1_CSET_82), min_size=1, max_size=20))
def test_any_cset_82_serial_survives_the_url(serial: str) -> None:
    url = trace_url(make_spec(gtin="8936012345674"), BASE, serial=serial)
    assert url is not None and url.isascii()
    segment = url.removeprefix(f"{BASE}/01/08936012345674/21/")
    assert "/" not in segment and "?" not in segment and "&" not in segment
    assert unquote(segment) == serial


def test_longest_digital_link_still_fits_a_qr() -> None:
    spec = make_spec(
        gtin="8936012345674",
        batch="%" * 20,
        manufactured_on="2026-01-31",
        expires_on="2027-01-31",
    )
    url = trace_url(spec, BASE, serial="/" * 20)
    assert url is not None and len(url) == len(BASE) + 18 + 4 + 60 + 4 + 60 + 10
    # 183 characters, version 10 in byte mode alone; but the %XX runs, the digits and the '/'
    # between host and query are one alphanumeric segment: 27 bytes + 146 alphanumeric + 10
    # bytes come to 1,144 bits, where version 7 holds 992 at level M and version 8 1,216.
    assert make_qr(url).version == 8
