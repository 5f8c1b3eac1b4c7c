"""Parse stage: documents → LabelSpec, and one clear problem per bad field."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from labelgen.errors import SpecError
from labelgen.spec import add_months, load_spec, parse_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def minimal_document() -> dict:
    return {
        "brand": {"name": "Sen Hồng"},
        "product": {"name": "Hạt sen", "category": "food"},
        "producer": {"name": "HTX Sen", "address": "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp"},
    }


def problems_of(document: dict) -> dict[str, str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(document)
    return {problem.field: problem.reason for problem in caught.value.problems}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_every_example_parses(path: Path) -> None:
    spec = load_spec(path)
    assert spec.languages[0] == "vi"
    assert spec.product.name


def test_json_and_yaml_give_the_same_spec(tmp_path: Path) -> None:
    yaml_spec = load_spec(EXAMPLES / "hat-sen-say.yaml")
    json_path = tmp_path / "spec.json"
    json_path.write_text(json.dumps(yaml_spec.model_dump(mode="json")), encoding="utf-8")
    assert load_spec(json_path) == yaml_spec


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal_document()).encode())
    assert load_spec(path).brand.name == "Sen Hồng"


def test_text_is_normalised_to_nfc() -> None:
    document = minimal_document()
    document["product"]["name"] = unicodedata.normalize("NFD", "Hạt sen sấy giòn")
    name = parse_spec(document).product.name
    assert name == "Hạt sen sấy giòn"
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("change", "field", "reason_part"),
    [
        (lambda d: d["product"].pop("name"), "product.name", "required"),
        (lambda d: d["product"].update(category="fod"), "product.category", "one of"),
        (lambda d: d["product"].update(gtin="12ab"), "product.gtin", "digits"),
        (
            lambda d: d["product"].update(manufacured_on="2026-01-01"),
            "product.manufacured_on",
            "known",
        ),
        (
            lambda d: d["product"].update(manufactured_on="20/11/2026"),
            "product.manufactured_on",
            "YYYY-MM-DD",
        ),
        (lambda d: d["brand"].update(colors={"primary": "red"}), "brand.colors.primary", "#RRGGBB"),
        (lambda d: d.update(languages=["en", "vi"]), "languages", "first"),
        (
            lambda d: d.update(traceability={"base_url": "http://x.vn"}),
            "traceability.base_url",
            "https",
        ),
        (
            lambda d: d.update(certification={"stars": 4}),
            "certification.certificate_no",
            "required",
        ),
        (
            lambda d: d["product"].update(net_quantity={"value": -1, "unit": "g"}),
            "product.net_quantity.value",
            "greater",
        ),
    ],
)
def test_bad_fields_are_named_with_a_reason(change, field: str, reason_part: str) -> None:
    document = minimal_document()
    change(document)
    problems = problems_of(document)
    assert field in problems, problems
    assert reason_part in problems[field]


def test_several_problems_are_all_reported() -> None:
    document = minimal_document()
    document["product"].update(category="x", gtin="1")
    document.pop("producer")
    assert set(problems_of(document)) == {"product.category", "product.gtin", "producer"}


def test_expiry_and_shelf_life_are_exclusive() -> None:
    document = minimal_document()
    document["product"].update(
        manufactured_on="2026-01-01", expires_on="2027-01-01", shelf_life={"months": 12}
    )
    assert "product" in problems_of(document)


def test_shelf_life_gives_the_expiry_date() -> None:
    document = minimal_document()
    document["product"].update(manufactured_on="2026-01-31", shelf_life={"months": 1})
    assert parse_spec(document).product.expiry_date == dt.date(2026, 2, 28)


def test_certificate_defaults_to_36_months() -> None:
    spec = load_spec(EXAMPLES / "hat-sen-say.yaml")
    assert spec.certification is not None
    assert spec.certification.valid_until_date == dt.date(2027, 12, 27)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 12, 27), 36, dt.date(2027, 12, 27)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_logo_path_is_embedded_as_data_uri(tmp_path: Path) -> None:
    Image.new("RGB", (8, 6), "#0B6E4F").save(tmp_path / "logo.png")
    document = minimal_document()
    document["brand"]["logo"] = "logo.png"
    spec = parse_spec(document, base_dir=tmp_path)
    assert spec.brand.logo is not None
    assert spec.brand.logo.startswith("data:image/png;base64,")


@pytest.mark.parametrize("logo", ["file:///etc/passwd", "https://example.com/x.png", "logo.gif"])
def test_logo_outside_the_allowed_forms_is_refused(tmp_path: Path, logo: str) -> None:
    document = minimal_document()
    document["brand"]["logo"] = logo
    with pytest.raises(SpecError) as caught:
        parse_spec(document, base_dir=tmp_path)
    assert caught.value.problems[0].field == "brand.logo"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("brand: {name: x\nproduct: [", encoding="utf-8")
    with pytest.raises(SpecError, match="line"):
        load_spec(path)
