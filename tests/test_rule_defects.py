"""Two rules that misled producers: the alcohol warning asked for twice, dashed ward names refused."""

from __future__ import annotations

from typing import Any

import pytest
from compliance_specs import DELETE, document_with, report_for

from labelgen.compliance.vntext import name_key
from labelgen.layout import layout_label
from labelgen.spec import LabelSpec, parse_spec
from labelgen.wording import (
    ALCOHOL_WARNING_SENTENCES,
    ALCOHOL_WARNING_VI,
    paragraphs_for,
    repeats_alcohol_warning,
    resembled_alcohol_warning,
    split_sentences,
    without_alcohol_warning,
)

ALCOHOL: dict[str, Any] = {
    "product.category": "alcohol",
    "product.name": "Rượu sen Tháp Mười",
    "product.net_quantity": {"value": 500, "unit": "ml"},
    "product.ethanol_percent": 29.5,
}


def alcohol_spec(warnings: str | None, template: str = "back-panel") -> LabelSpec:
    changes = {**ALCOHOL, "template": template, "product.warnings": warnings or DELETE}
    return parse_spec(document_with(changes))


def printed_text(spec: LabelSpec, item: str) -> str:
    return " ".join(run.text for paragraph in paragraphs_for(item, spec) for run in paragraph.runs)


def alcohol_findings(warnings: str) -> list[Any]:
    report = report_for({**ALCOHOL, "product.warnings": warnings})
    return [finding for finding in report.findings if finding.rule == "VN-LBL-ALCOHOL-WARNING"]


# --- the alcohol warning is printed once -----------------------------------------------------


def test_the_generator_prints_the_warning_without_being_asked() -> None:
    spec = alcohol_spec(None)
    assert printed_text(spec, "alcohol_warning") == ALCOHOL_WARNING_VI
    assert paragraphs_for("warnings", spec) == []
    assert alcohol_findings("Chai dễ vỡ.") == []
    assert "VN-LBL-ALCOHOL-WARNING" not in {
        finding.rule for finding in report_for(ALCOHOL).findings
    }


@pytest.mark.parametrize(
    "pasted",
    [
        ALCOHOL_WARNING_VI,
        ALCOHOL_WARNING_VI.upper(),
        "uống rượu bia có hại cho sức khoẻ! Đã uống rượu, bia không lái xe",
        "Uống rượu, bia có hại cho sức khỏe, đã uống rượu, bia không lái xe;\nNgười dưới 18 "
        "tuổi và phụ nữ mang thai không được uống",
    ],
)
def test_a_pasted_copy_is_left_out_of_the_producers_warnings(pasted: str) -> None:
    spec = alcohol_spec(f"Chai dễ vỡ, cẩn thận khi vận chuyển. {pasted}")
    assert printed_text(spec, "warnings") == "Cảnh báo:  Chai dễ vỡ, cẩn thận khi vận chuyển."
    assert alcohol_findings(pasted) == []


def test_a_pasted_copy_alone_leaves_no_warnings_paragraph() -> None:
    assert paragraphs_for("warnings", alcohol_spec(ALCOHOL_WARNING_VI)) == []


def test_other_categories_keep_their_warnings_as_given() -> None:
    document = document_with({"product.warnings": ALCOHOL_WARNING_VI})
    assert ALCOHOL_WARNING_VI in printed_text(parse_spec(document), "warnings")


def test_the_laid_out_label_carries_the_warning_exactly_once() -> None:
    spec = alcohol_spec("Chai dễ vỡ. " + ALCOHOL_WARNING_VI)
    layout = layout_label(spec)
    words = " ".join(
        run.text for block in layout.texts for line in block.lines for run in line.runs
    )
    printed = f" {name_key(words)} "
    for sentence in ALCOHOL_WARNING_SENTENCES:
        assert printed.count(f" {name_key(sentence)} ") == 1, sentence
    assert f" {name_key('dễ vỡ')} " in printed


@pytest.mark.parametrize(
    ("sentence", "official"),
    [
        ("Đã uống rượu, bia thì không lái xe.", ALCOHOL_WARNING_SENTENCES[1]),
        ("Không lái xe sau khi uống rượu, bia.", ALCOHOL_WARNING_SENTENCES[1]),
        ("Uống rượu có hại cho sức khỏe.", ALCOHOL_WARNING_SENTENCES[0]),
        ("Không dành cho người dưới 18 tuổi.", ALCOHOL_WARNING_SENTENCES[2]),
        ("Người dưới 18 tuổi không được uống rượu, bia.", ALCOHOL_WARNING_SENTENCES[2]),
    ],
)
def test_another_version_of_the_warning_is_named_with_the_sentence_it_echoes(
    sentence: str, official: str
) -> None:
    assert resembled_alcohol_warning(sentence) == official
    spec = alcohol_spec(f"Chai dễ vỡ. {sentence}")
    assert sentence in printed_text(spec, "warnings")  # printed as the producer wrote it
    [finding] = alcohol_findings(f"Chai dễ vỡ. {sentence}")
    assert finding.severity == "warning"
    assert finding.field == "product.warnings"
    assert f"“{sentence}”" in finding.message_vi and f"“{official}”" in finding.message_vi
    assert f"“{sentence}”" in finding.message_en and f"“{official}”" in finding.message_en


@pytest.mark.parametrize(
    "sentence",
    [
        "Chai dễ vỡ, cẩn thận khi vận chuyển.",
        "Không uống khi đang dùng thuốc kháng sinh.",
        "Sản phẩm có cặn lắng tự nhiên của sen.",
        "Chứa 29.5% cồn.",
    ],
)
def test_the_producers_own_warnings_are_neither_dropped_nor_reported(sentence: str) -> None:
    assert not repeats_alcohol_warning(sentence)
    assert resembled_alcohol_warning(sentence) is None
    assert without_alcohol_warning(sentence) == sentence
    assert alcohol_findings(sentence) == []


def test_sentences_split_at_their_ends_not_inside_figures() -> None:
    assert split_sentences("Độ cồn 29.5% vol. Chai dễ vỡ!\nKhông uống khi đói; để xa trẻ em") == [
        "Độ cồn 29.5% vol.",
        "Chai dễ vỡ!",
        "Không uống khi đói;",
        "để xa trẻ em",
    ]


# --- official ward names with a dash ---------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "12 Hùng Vương, phường Lâm Viên - Đà Lạt, tỉnh Lâm Đồng",
        "12 Hùng Vương, P. Lâm Viên – Đà Lạt, Lâm Đồng",
        "12 Hùng Vương, phường Lâm Viên-Đà Lạt, tỉnh Lâm Đồng",
        "Số 3 Trần Hưng Đạo, phường Xuân Hương - Đà Lạt - tỉnh Lâm Đồng",
        "58 Quốc Tử Giám, phường Văn Miếu - Quốc Tử Giám, thành phố Hà Nội",
        "Thôn Phú Hải, xã Chân Mây - Lăng Cô, thành phố Huế",
    ],
)
def test_an_address_with_a_dashed_ward_name_has_no_finding(address: str) -> None:
    assert report_for({"producer.address": address}).findings == ()


def test_an_unknown_ward_is_still_reported_with_its_province() -> None:
    report = report_for({"producer.address": "12 Hùng Vương, phường Lâm Viên, tỉnh Lâm Đồng"})
    [finding] = report.findings
    assert finding.rule == "VN-LBL-ADDRESS-COMMUNE"
    assert "“phường Lâm Viên”" in finding.message_vi
    assert "tỉnh Lâm Đồng" in finding.message_vi
