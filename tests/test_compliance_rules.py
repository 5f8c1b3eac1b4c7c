"""Every spec-level rule, broken and kept, by small changes to one compliant spec."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pytest
from compliance_specs import AS_OF, DELETE, report_for, rules_in

from labelgen.compliance import RULES
from labelgen.wording import ALCOHOL_WARNING_VI


class Case(NamedTuple):
    rule: str
    fires: bool
    changes: dict[str, Any]
    as_of: dt.date = AS_OF


def breaks(rule: str, changes: dict[str, Any], as_of: dt.date = AS_OF) -> Case:
    return Case(rule, True, changes, as_of)


def keeps(rule: str, changes: dict[str, Any], as_of: dt.date = AS_OF) -> Case:
    return Case(rule, False, changes, as_of)


ALCOHOL = {
    "product.category": "alcohol",
    "product.name": "Rượu sen Tháp Mười",
    "product.net_quantity": {"value": 500, "unit": "ml"},
    "product.ethanol_percent": 29.5,
    "product.warnings": "Chai thủy tinh, cẩn thận khi vận chuyển.",
}
COSMETIC = {
    "product.category": "cosmetic",
    "product.name": "Sữa dưỡng thể hương sen",
    "product.function": "Dưỡng ẩm, làm mềm da.",
    "product.net_quantity": {"value": 100, "unit": "ml"},
}
VALID_GTIN_8 = "89312346"
VALID_GTIN_14 = "18936012345671"
GERMAN_GTIN = "4006381333931"

CASES = [
    # --- mandatory items ---
    breaks("VN-LBL-MANDATORY-CORE", {"product.origin": DELETE}),
    keeps("VN-LBL-MANDATORY-CORE", {"product.category": "other"}),
    breaks("VN-LBL-MANDATORY-FOOD", {"product.storage": DELETE}),
    breaks("VN-LBL-MANDATORY-FOOD", {"product.shelf_life": DELETE}),
    breaks("VN-LBL-MANDATORY-FOOD", {"product.warnings": DELETE}),
    keeps("VN-LBL-MANDATORY-FOOD", {}),
    keeps(
        "VN-LBL-MANDATORY-FOOD",
        {"product.shelf_life": DELETE, "product.expires_on": "2027-11-20"},
    ),
    keeps("VN-LBL-MANDATORY-FOOD", {"product.category": "other", "product.storage": DELETE}),
    breaks(
        "VN-LBL-MANDATORY-STAPLE", {"product.category": "staple", "product.net_quantity": DELETE}
    ),
    keeps("VN-LBL-MANDATORY-STAPLE", {"product.category": "staple", "product.usage": DELETE}),
    breaks(
        "VN-LBL-MANDATORY-SUPPLEMENT", {"product.category": "supplement", "product.usage": DELETE}
    ),
    keeps("VN-LBL-MANDATORY-SUPPLEMENT", {"product.category": "supplement"}),
    breaks("VN-LBL-MANDATORY-ALCOHOL", {**ALCOHOL, "product.ethanol_percent": DELETE}),
    keeps("VN-LBL-MANDATORY-ALCOHOL", ALCOHOL),
    breaks(
        "VN-LBL-MANDATORY-BEVERAGE",
        {"product.category": "beverage", "product.ingredients": DELETE},
    ),
    keeps("VN-LBL-MANDATORY-BEVERAGE", {"product.category": "beverage"}),
    breaks("VN-LBL-MANDATORY-COSMETIC", {**COSMETIC, "product.function": DELETE}),
    breaks("VN-LBL-MANDATORY-COSMETIC", {**COSMETIC, "product.batch": DELETE}),
    keeps("VN-LBL-MANDATORY-COSMETIC", COSMETIC),
    breaks("VN-LBL-MANDATORY-HERBAL", {"product.category": "herbal", "product.warnings": DELETE}),
    keeps("VN-LBL-MANDATORY-HERBAL", {"product.category": "herbal"}),
    breaks(
        "VN-LBL-MANDATORY-HANDICRAFT", {"product.category": "handicraft", "product.usage": DELETE}
    ),
    keeps(
        "VN-LBL-MANDATORY-HANDICRAFT",
        {"product.category": "handicraft", "product.shelf_life": DELETE, "product.storage": DELETE},
    ),
    # The label prints the warning itself: only another version of it is worth a finding.
    breaks(
        "VN-LBL-ALCOHOL-WARNING",
        {**ALCOHOL, "product.warnings": "Đã uống rượu, bia thì không lái xe."},
    ),
    breaks(
        "VN-LBL-ALCOHOL-WARNING",
        {**ALCOHOL, "product.warnings": "Chai dễ vỡ. Không dành cho người dưới 18 tuổi."},
    ),
    keeps("VN-LBL-ALCOHOL-WARNING", ALCOHOL),
    keeps("VN-LBL-ALCOHOL-WARNING", {**ALCOHOL, "product.warnings": DELETE}),
    keeps("VN-LBL-ALCOHOL-WARNING", {**ALCOHOL, "product.warnings": ALCOHOL_WARNING_VI}),
    keeps(
        "VN-LBL-ALCOHOL-WARNING",
        {**ALCOHOL, "product.warnings": "uống rượu bia có hại cho sức khoẻ!"},
    ),
    keeps("VN-LBL-ALCOHOL-WARNING", {"product.warnings": "Đã uống rượu, bia thì không lái xe."}),
    # --- quantified ingredients and language ---
    breaks("VN-LBL-QUID", {"product.ingredients": "Hạt sen, đường phèn 4%, muối 1%"}),
    breaks("VN-LBL-QUID", {"product.ingredients": "Thành phần: hạt sen (Đồng Tháp), muối"}),
    keeps("VN-LBL-QUID", {}),
    keeps("VN-LBL-QUID", {"product.ingredients": "Hạt sen (95 %), đường phèn, muối"}),
    keeps(
        "VN-LBL-QUID",
        {"product.name": "Nước mắm cá cơm", "product.ingredients": "Cá cơm 70%, muối, nước"},
    ),
    keeps(
        "VN-LBL-QUID",
        {
            "product.category": "handicraft",
            "product.name": "Chiếu cói tự nhiên",
            "product.ingredients": "Cói tự nhiên",
        },
    ),
    breaks("VN-LBL-VI-TWIN", {"product.storage": DELETE, "product.storage_en": "Keep dry."}),
    keeps("VN-LBL-VI-TWIN", {"product.name_en": "Crispy dried lotus seeds"}),
    # --- dates ---
    breaks(
        "VN-LBL-DATE-ORDER",
        {"product.shelf_life": DELETE, "product.expires_on": "2026-11-20"},
    ),
    breaks(
        "VN-LBL-DATE-ORDER",
        {"product.shelf_life": DELETE, "product.expires_on": "2026-01-01"},
    ),
    keeps("VN-LBL-DATE-ORDER", {}),
    keeps("VN-LBL-DATE-ORDER", {"product.shelf_life": {"days": 1}}),
    breaks("VN-LBL-DATE-EXPIRED", {}, as_of=dt.date(2027, 11, 21)),
    keeps("VN-LBL-DATE-EXPIRED", {}, as_of=dt.date(2027, 11, 20)),
    # --- origin ---
    breaks("VN-LBL-ORIGIN-PHRASE", {"product.origin.phrase": "Made in"}),
    breaks("VN-LBL-ORIGIN-PHRASE", {"product.origin.phrase": "Sản xuất"}),
    keeps("VN-LBL-ORIGIN-PHRASE", {"product.origin.phrase": "Xuất xứ:"}),
    keeps("VN-LBL-ORIGIN-PHRASE", {"product.origin.phrase": "đóng gói tại"}),
    breaks("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "VN"}),
    breaks("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "V.N."}),
    breaks("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "vn"}),
    breaks("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "USA"}),
    keeps("VN-LBL-ORIGIN-COUNTRY", {}),
    keeps("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "Nga"}),
    keeps("VN-LBL-ORIGIN-COUNTRY", {"product.origin.country": "Vietnam"}),
    breaks("VN-LBL-ORIGIN-COUNTRY-SPELLING", {"product.origin.country": "Vietnam"}),
    breaks("VN-LBL-ORIGIN-COUNTRY-SPELLING", {"product.origin.country": "Viet Nam"}),
    keeps("VN-LBL-ORIGIN-COUNTRY-SPELLING", {"product.origin.country": "VIỆT NAM"}),
    keeps("VN-LBL-ORIGIN-COUNTRY-SPELLING", {"product.origin.country": "VN"}),
    keeps("VN-LBL-ORIGIN-COUNTRY-SPELLING", {"product.origin.country": "Nhật Bản"}),
    # --- net quantity ---
    breaks("VN-LBL-NETQTY-UNIT", {"product.net_quantity.unit": "gr"}),
    breaks("VN-LBL-NETQTY-UNIT", {"product.net_quantity.unit": "Kg"}),
    breaks("VN-LBL-NETQTY-UNIT", {"product.net_quantity.unit": "oz"}),
    breaks("VN-LBL-NETQTY-UNIT", {"product.net_quantity.unit": "pcs"}),
    breaks("VN-LBL-NETQTY-UNIT", {"product.net_quantity.unit": "gói10"}),
    keeps("VN-LBL-NETQTY-UNIT", {}),
    keeps("VN-LBL-NETQTY-UNIT", {"product.net_quantity": {"value": 10, "unit": "gói"}}),
    keeps("VN-LBL-NETQTY-UNIT", {"product.net_quantity": {"value": 1, "unit": "lít"}}),
    keeps("VN-LBL-NETQTY-UNIT", {"product.net_quantity": {"value": 200, "unit": "gam"}}),
    breaks("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 0.5, "unit": "kg"}}),
    breaks("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 1500, "unit": "g"}}),
    breaks("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 0.5, "unit": "g"}}),
    breaks("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 1000, "unit": "ml"}}),
    breaks("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 0.75, "unit": "L"}}),
    keeps("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 1.5, "unit": "kg"}}),
    keeps("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 500, "unit": "mg"}}),
    keeps("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 75, "unit": "cl"}}),
    keeps("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 1, "unit": "L"}}),
    keeps("VN-LBL-NETQTY-UNIT-SIZE", {"product.net_quantity": {"value": 2500, "unit": "chiếc"}}),
    breaks(
        "VN-LBL-NETQTY-LIQUID",
        {"product.category": "beverage", "product.net_quantity": {"value": 330, "unit": "g"}},
    ),
    keeps(
        "VN-LBL-NETQTY-LIQUID",
        {"product.category": "beverage", "product.net_quantity": {"value": 330, "unit": "ml"}},
    ),
    keeps("VN-LBL-NETQTY-LIQUID", {}),
    # --- OCOP ---
    breaks("OCOP-STARS-MARK", {"certification.stars": 2}),
    keeps("OCOP-STARS-MARK", {"certification.stars": 3}),
    breaks("OCOP-ISSUER-LEVEL", {"certification.stars": 5}),
    breaks("OCOP-ISSUER-LEVEL", {"certification.issued_by": "UBND huyện Lấp Vò"}),
    breaks(
        "OCOP-ISSUER-LEVEL",
        {"certification.stars": 3, "certification.issued_on": "2024-05-10"},
    ),
    breaks(
        "OCOP-ISSUER-LEVEL",
        {
            "certification.stars": 3,
            "certification.issued_on": "2025-08-01",
            "certification.issued_by": "UBND huyện Lấp Vò",
        },
    ),
    keeps("OCOP-ISSUER-LEVEL", {}),
    keeps(
        "OCOP-ISSUER-LEVEL",
        {
            "certification.stars": 5,
            "certification.issued_by": "Bộ Nông nghiệp và Phát triển nông thôn",
        },
    ),
    keeps(
        "OCOP-ISSUER-LEVEL",
        {
            "certification.stars": 3,
            "certification.issued_on": "2024-05-10",
            "certification.issued_by": "Ủy ban nhân dân huyện Lấp Vò",
        },
    ),
    keeps(
        "OCOP-ISSUER-LEVEL",
        {"certification.stars": 3, "certification.issued_on": "2025-08-01"},
    ),
    keeps(
        "OCOP-ISSUER-LEVEL",
        {"certification.stars": 3, "certification.issued_on": "2023-01-10"},
    ),
    keeps("OCOP-ISSUER-LEVEL", {"certification.issued_by": "UBND TP. Hà Nội"}),
    # Huế was a district-level city until 01/01/2025 and a centrally run one after.
    keeps(
        "OCOP-ISSUER-LEVEL",
        {
            "certification.stars": 3,
            "certification.issued_on": "2024-05-10",
            "certification.issued_by": "UBND thành phố Huế",
        },
    ),
    keeps(
        "OCOP-ISSUER-LEVEL",
        {"certification.issued_on": "2025-03-01", "certification.issued_by": "UBND thành phố Huế"},
    ),
    keeps("OCOP-ISSUER-LEVEL", {"certification.issued_by": "Sở Nông nghiệp Đồng Tháp"}),
    breaks("OCOP-ISSUER-UNKNOWN", {"certification.issued_by": "Sở Nông nghiệp Đồng Tháp"}),
    keeps("OCOP-ISSUER-UNKNOWN", {}),
    keeps(
        "OCOP-ISSUER-UNKNOWN",
        {"certification.stars": 2, "certification.issued_by": "Sở Nông nghiệp Đồng Tháp"},
    ),
    breaks(
        "OCOP-ISSUER-FORMER-UNIT",
        {
            "certification.stars": 3,
            "certification.issued_on": "2024-05-10",
            "certification.issued_by": "UBND huyện Lấp Vò",
        },
    ),
    breaks("OCOP-ISSUER-FORMER-UNIT", {"certification.issued_by": "UBND tỉnh Tiền Giang"}),
    keeps("OCOP-ISSUER-FORMER-UNIT", {}),
    keeps("OCOP-ISSUER-FORMER-UNIT", {"certification.issued_by": "UBND thành phố Cần Thơ"}),
    breaks("OCOP-VALID-UNTIL", {"certification.valid_until": "2027-12-28"}),
    breaks("OCOP-VALID-UNTIL", {"certification.valid_until": "2024-12-27"}),
    keeps("OCOP-VALID-UNTIL", {"certification.valid_until": "2027-12-27"}),
    keeps("OCOP-VALID-UNTIL", {"certification.valid_until": "2026-12-31"}),
    keeps("OCOP-VALID-UNTIL", {}),
    breaks("OCOP-CERT-EXPIRED", {"certification.issued_on": "2022-06-15"}),
    breaks("OCOP-CERT-EXPIRED", {"certification.valid_until": "2026-11-27"}),
    breaks("OCOP-CERT-EXPIRED", {}, as_of=dt.date(2027, 12, 28)),
    breaks(
        "OCOP-CERT-EXPIRED",
        {"certification.issued_on": "2023-06-01", "certification.valid_until": "2027-06-01"},
    ),
    keeps("OCOP-CERT-EXPIRED", {}),
    keeps("OCOP-CERT-EXPIRED", {}, as_of=dt.date(2027, 12, 27)),
    keeps("OCOP-CERT-EXPIRED", {"certification.valid_until": "2026-11-28"}),
    breaks("OCOP-CERT-RENEWAL", {}, as_of=dt.date(2027, 12, 27)),
    breaks("OCOP-CERT-RENEWAL", {}, as_of=dt.date(2027, 11, 28)),
    keeps("OCOP-CERT-RENEWAL", {}, as_of=dt.date(2027, 11, 27)),
    keeps("OCOP-CERT-RENEWAL", {}, as_of=dt.date(2027, 12, 28)),
    keeps("OCOP-CERT-RENEWAL", {}),
    breaks("OCOP-DECISION-FUTURE", {"certification.issued_on": "2026-11-29"}),
    keeps("OCOP-DECISION-FUTURE", {"certification.issued_on": "2026-11-28"}),
    # --- producer address ---
    breaks("VN-LBL-ADDRESS-PROVINCE", {"producer.address": "Ấp 1, xã Mỹ Đức Tây, tỉnh Tiền Giang"}),
    breaks("VN-LBL-ADDRESS-PROVINCE", {"producer.address": "Số 2, tỉnh Thừa Thiên Huế"}),
    keeps("VN-LBL-ADDRESS-PROVINCE", {}),
    keeps("VN-LBL-ADDRESS-PROVINCE", {"producer.address": "Ấp 3, xã Tháp Mười, Đồng Tháp"}),
    keeps("VN-LBL-ADDRESS-PROVINCE", {"producer.address": "Số 5 Lê Lợi, phường Bến Thành, TP.HCM"}),
    breaks("VN-LBL-ADDRESS-NO-PROVINCE", {"producer.address": "Ấp 1, xã Mỹ Đức Tây, Tiền Giang"}),
    keeps("VN-LBL-ADDRESS-NO-PROVINCE", {}),
    keeps(
        "VN-LBL-ADDRESS-NO-PROVINCE",
        {
            "producer.address": "1-2-3 Marunouchi, Chiyoda, Tokyo",
            "product.origin.country": "Nhật Bản",
        },
    ),
    breaks(
        "VN-LBL-ADDRESS-FORMER-UNIT",
        {"producer.address": "Ấp 3, xã Mỹ Hòa, huyện Tháp Mười, tỉnh Đồng Tháp"},
    ),
    breaks("VN-LBL-ADDRESS-FORMER-UNIT", {"producer.address": "Khóm 1, TP. Cao Lãnh, Đồng Tháp"}),
    breaks("VN-LBL-ADDRESS-FORMER-UNIT", {"producer.address": "Khóm 2, thị trấn Mỹ An, Đồng Tháp"}),
    breaks("VN-LBL-ADDRESS-FORMER-UNIT", {"producer.address": "12 Lê Lợi, Q.1, TP. Hồ Chí Minh"}),
    keeps("VN-LBL-ADDRESS-FORMER-UNIT", {}),
    keeps(
        "VN-LBL-ADDRESS-FORMER-UNIT",
        {"producer.address": "45 Bà Huyện Thanh Quan, phường Xuân Hòa, TP. Hồ Chí Minh"},
    ),
    keeps(
        "VN-LBL-ADDRESS-FORMER-UNIT",
        {"producer.address": "Tỉnh lộ 8, xã Tháp Mười, tỉnh Đồng Tháp"},
    ),
    breaks(
        "VN-LBL-ADDRESS-COMMUNE", {"producer.address": "Ấp An Ninh, xã Định Yên, tỉnh Đồng Tháp"}
    ),
    keeps("VN-LBL-ADDRESS-COMMUNE", {}),
    # Old ("Hoà") and new ("Hòa") tone-mark placement name the same ward.
    keeps("VN-LBL-ADDRESS-COMMUNE", {"producer.address": "Số 9, phường Xuân Hoà, TP.HCM"}),
    # Official ward names with a dash are read whole, however the dash is written.
    keeps(
        "VN-LBL-ADDRESS-COMMUNE",
        {"producer.address": "12 Hùng Vương, phường Lâm Viên - Đà Lạt, tỉnh Lâm Đồng"},
    ),
    keeps(
        "VN-LBL-ADDRESS-COMMUNE",
        {"producer.address": "Thôn Phú Hải, xã Chân Mây – Lăng Cô, thành phố Huế"},
    ),
    breaks(
        "VN-LBL-ADDRESS-COMMUNE",
        {"producer.address": "12 Hùng Vương, phường Lâm Viên, tỉnh Lâm Đồng"},
    ),
    # --- GS1 ---
    breaks("GS1-GTIN-CHECK-DIGIT", {"product.gtin": "8936012345672"}),
    breaks("GS1-GTIN-CHECK-DIGIT", {"product.gtin": "89312347"}),
    keeps("GS1-GTIN-CHECK-DIGIT", {}),
    keeps("GS1-GTIN-CHECK-DIGIT", {"product.gtin": VALID_GTIN_8}),
    keeps("GS1-GTIN-CHECK-DIGIT", {"product.gtin": VALID_GTIN_14}),
    breaks("GS1-GTIN-PREFIX", {"product.gtin": GERMAN_GTIN}),
    breaks("GS1-GTIN-PREFIX", {"product.gtin": "012345678905"}),
    keeps("GS1-GTIN-PREFIX", {}),
    keeps("GS1-GTIN-PREFIX", {"product.gtin": VALID_GTIN_14}),
    keeps("GS1-GTIN-PREFIX", {"product.gtin": VALID_GTIN_8}),
    keeps("GS1-GTIN-PREFIX", {"product.gtin": GERMAN_GTIN, "product.origin.country": "Đức"}),
    breaks("GS1-BATCH-CHARSET", {"product.batch": "Lô01"}),
    breaks("GS1-BATCH-CHARSET", {"product.batch": "L 2611"}),
    breaks("GS1-BATCH-CHARSET", {"product.batch": "A" * 21}),
    breaks("GS1-BATCH-CHARSET", {"product.batch": "L#01"}),
    keeps("GS1-BATCH-CHARSET", {}),
    keeps("GS1-BATCH-CHARSET", {"product.batch": "A" * 20}),
    keeps("GS1-BATCH-CHARSET", {"product.batch": "L-26/11_(A)"}),
    keeps("GS1-BATCH-CHARSET", {"product.batch": "Lô 01", "product.gtin": DELETE}),
    breaks("GS1-SERIAL-CHARSET", {"traceability": {"serial": "SỐ1"}}),
    keeps("GS1-SERIAL-CHARSET", {"traceability": {"serial": "SN-0001"}}),
    keeps("GS1-SERIAL-CHARSET", {"traceability": {"serial": "SỐ1"}, "product.gtin": DELETE}),
]


def case_id(case: Case) -> str:
    verb = "breaks" if case.fires else "keeps"
    return f"{case.rule}-{verb}-{CASES.index(case)}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rule_fires_exactly_when_broken(case: Case) -> None:
    report = report_for(case.changes, as_of=case.as_of)
    assert (case.rule in rules_in(report)) is case.fires, report.to_json()


def test_the_base_spec_has_no_finding() -> None:
    assert report_for().findings == ()


def test_every_spec_rule_has_a_breaking_and_a_keeping_case() -> None:
    spec_rules = {rule.id for rule in RULES if rule.stage == "spec"}
    broken = {case.rule for case in CASES if case.fires}
    kept = {case.rule for case in CASES if not case.fires}
    assert spec_rules - broken == set()
    assert spec_rules - kept == set()


def test_a_mandatory_finding_names_the_missing_field_and_item() -> None:
    [finding] = report_for({"product.storage": DELETE}).findings
    assert finding.field == "product.storage"
    assert finding.message_vi == "Nhãn thực phẩm phải ghi hướng dẫn bảo quản."
    assert finding.message_en == "A label for food must state storage instructions."


def test_a_wrong_check_digit_names_the_right_one() -> None:
    [finding] = report_for({"product.gtin": "8936012345672"}).findings
    assert finding.message_vi.endswith("chữ số cuối phải là 4.")


def test_a_unit_too_small_for_the_amount_suggests_the_restatement() -> None:
    report = report_for({"product.net_quantity": {"value": 1.5, "unit": "g"}})
    assert report.findings == ()
    report = report_for({"product.net_quantity": {"value": 0.25, "unit": "kg"}})
    [finding] = report.findings
    assert "0,25 kg phải ghi bằng g: 250 g" in finding.message_vi
    assert "0.25 kg must be stated in g: 250 g" in finding.message_en


def test_a_large_volume_is_restated_in_litres() -> None:
    [finding] = report_for({"product.net_quantity": {"value": 1500, "unit": "ml"}}).findings
    assert finding.message_vi.endswith("bằng L: 1,5 L.")


def test_the_expired_certificate_finding_gives_the_lawful_last_day() -> None:
    report = report_for({"certification.issued_on": "2023-03-31"})
    [finding] = report.findings
    assert finding.rule == "OCOP-CERT-EXPIRED"
    assert "sau ngày 31/03/2026" in finding.message_vi
    assert "after 2026-03-31" in finding.message_en


def test_the_issuer_level_finding_names_the_expected_body() -> None:
    report = report_for({"certification.stars": 5})
    [finding] = report.findings
    assert "phải do Bộ Nông nghiệp và Môi trường" in finding.message_vi
    assert finding.field == "certification.issued_by"


def test_a_batch_finding_lists_the_characters_not_allowed() -> None:
    [finding] = report_for({"product.batch": "Lô 01"}).findings
    assert finding.message_vi.endswith("ký tự không hợp lệ: “ô”, dấu cách.")
    assert finding.message_en.endswith("characters not allowed: “ô”, space.")


def test_renewal_counts_the_days_left_including_today() -> None:
    report = report_for({}, as_of=dt.date(2027, 12, 27))
    [finding] = [item for item in report.findings if item.rule == "OCOP-CERT-RENEWAL"]
    assert "chỉ còn 1 ngày" in finding.message_vi
