"""A laid-out LabelSet → findings on what its panels print: mandatory items, text left out."""

from __future__ import annotations

from collections.abc import Iterator

from labelgen.colors import role_color
from labelgen.compliance import limits
from labelgen.compliance._checks import value_at
from labelgen.compliance.catalogue import (
    MANDATORY_RULE_BY_CATEGORY,
    Bilingual,
    Item,
    get_rule,
    make_finding,
)
from labelgen.compliance.layout_rules import check_layout
from labelgen.compliance.report import Finding
from labelgen.layout import LabelSet, Layout
from labelgen.spec import LabelSpec
from labelgen.templates import Template, listed_template_ids, load_panels

CORE_RULE = "VN-LBL-MANDATORY-CORE"

# The line field a spec field is printed under, where the two differ (wording.py's paragraphs).
PRINTED_AS = {
    "producer.name": "producer",
    "producer.address": "producer",
    "product.manufactured_on": "product.expires_on",
    "product.shelf_life": "product.expires_on",
}
# The content item (templates' slot contents) that prints a spec field.
CONTENT_ITEM = {
    "product.name": "product_name",
    "producer.name": "producer",
    "producer.address": "producer",
    "product.origin": "origin",
    "product.net_quantity": "net_quantity",
    "product.manufactured_on": "dates",
    "product.expires_on": "dates",
    "product.shelf_life": "dates",
    "product.batch": "batch",
    "product.ethanol_percent": "ethanol",
    "product.function": "function",
    "product.ingredients": "ingredients",
    "product.usage": "usage",
    "product.storage": "storage",
    "product.warnings": "warnings",
    "product.category": "alcohol_warning",
}
# What a label too small for everything keeps (Decree 43/2017 Art. 10(2)).
KEPT_ON_SMALL_LABELS = frozenset(
    {"product.name", "producer.name", "producer.address", "product.origin"}
)
ALCOHOL_WARNING = Item(
    ("product.category",),
    "cảnh báo tác hại của rượu (Nghị định 24/2020/NĐ-CP)",
    "the alcohol health warning (Decree 24/2020/NĐ-CP)",
)


def check_label_set(label_set: LabelSet, spec: LabelSpec) -> list[Finding]:
    """Every finding measured on the laid-out set: each panel's geometry, then what it prints."""
    findings: list[Finding] = []
    several = len(label_set.panels) > 1
    for panel in label_set.panels:
        for finding in check_layout(panel, spec):
            if several and finding.field.startswith("layout."):
                # Which panel: "layout.back-panel.facts" for a set's back panel's facts.
                field = finding.field.replace("layout.", f"layout.{panel.manifest.id}.", 1)
                finding = make_finding_like(finding, field)
            findings.append(finding)
        findings.extend(_ink_changed(panel, prefix=several))
    findings.extend(_supplement_phrases(label_set, spec))
    findings.extend(_mandatory_not_printed(label_set, spec))
    findings.extend(_content_not_printed(label_set, spec))
    findings.extend(_english_left_out(label_set))
    return findings


def make_finding_like(finding: Finding, field: str) -> Finding:
    """The same finding about another field."""
    return Finding(
        finding.rule,
        finding.severity,
        field,
        finding.message_vi,
        finding.message_en,
        finding.reference,
    )


def mandatory_items(spec: LabelSpec) -> list[Item]:
    """The items the law asks this spec's label to print, that the spec gives a value for (an
    item the spec lacks is the spec-level rules' finding)."""
    items = list(get_rule(CORE_RULE).items)
    category_rule = MANDATORY_RULE_BY_CATEGORY.get(spec.product.category)
    if category_rule is not None:
        items += get_rule(category_rule).items
    given = [item for item in items if any(value_at(spec, f) is not None for f in item.fields)]
    if spec.product.category == "alcohol":
        given.append(ALCOHOL_WARNING)
    return given


def _printed(item: Item, printed_fields: frozenset[str]) -> bool:
    return any(PRINTED_AS.get(field, field) in printed_fields for field in item.fields)


def _excused_as_small(label_set: LabelSet, spec: LabelSpec) -> bool:
    """A small label that says where the rest is printed may leave out all but the core."""
    area_cm2 = sum(panel.width_mm * panel.height_mm for panel in label_set.panels) / 100
    return (
        spec.elsewhere is not None
        and "elsewhere" in label_set.printed_fields
        and area_cm2 < limits.SMALL_LABEL_AREA_CM2
    )


def _mandatory_not_printed(label_set: LabelSet, spec: LabelSpec) -> Iterator[Finding]:
    printed_fields = label_set.printed_fields
    small = _excused_as_small(label_set, spec)
    in_set = {panel.manifest.id for panel in label_set.panels}
    for item in mandatory_items(spec):
        if _printed(item, printed_fields):
            continue
        if small and not KEPT_ON_SMALL_LABELS.intersection(item.fields):
            continue
        content = CONTENT_ITEM[item.fields[0]]
        panels = ", ".join(p for p in panels_printing(content) if p not in in_set)
        remedy = Bilingual(
            f"Thêm mặt nhãn có thể in nội dung này: {panels}.",
            f"Add a panel that can carry it: {panels}.",
        )
        if not panels:
            remedy = Bilingual(
                "Hãy rút gọn nội dung của nhãn hoặc chọn mẫu nhãn lớn hơn.",
                "Shorten the label's text or choose a larger template.",
            )
        yield make_finding(
            "VN-LBL-MANDATORY-NOT-PRINTED",
            item.fields[0],
            item=Bilingual(item.name_vi, item.name_en),
            remedy=remedy,
        )


def _content_not_printed(label_set: LabelSet, spec: LabelSpec) -> Iterator[Finding]:
    """Optional text the spec gave that no panel had room for (mandatory text is reported as
    not printed above)."""
    printed_fields = label_set.printed_fields
    mandatory_fields = {field for item in mandatory_items(spec) for field in item.fields}
    for content in label_set.unplaced:
        fields = [field for field, item in CONTENT_ITEM.items() if item == content]
        if mandatory_fields.intersection(fields) or any(f in printed_fields for f in fields):
            continue
        name = CONTENT_NAMES.get(content, Bilingual(content, content))
        yield make_finding("LAYOUT-CONTENT-NOT-PRINTED", f"layout.{content}", item=name)


CONTENT_NAMES = {
    "product_name": Bilingual("tên sản phẩm", "the product name"),
    "net_quantity": Bilingual("tiêu đề định lượng", "the net quantity heading"),
    "certification": Bilingual("thông tin chứng nhận OCOP", "the OCOP certificate details"),
    "storage": Bilingual("hướng dẫn bảo quản", "the storage instructions"),
    "usage": Bilingual("hướng dẫn sử dụng", "the directions"),
    "warnings": Bilingual("cảnh báo", "the warnings"),
    "ingredients": Bilingual("thành phần", "the ingredients"),
    "function": Bilingual("công dụng", "the function"),
    "batch": Bilingual("số lô", "the batch number"),
    "dates": Bilingual("ngày sản xuất, hạn sử dụng", "the dates"),
    "elsewhere": Bilingual("nơi ghi các nội dung khác", "where the rest is printed"),
}


def _ink_changed(panel: Layout, *, prefix: bool) -> Iterator[Finding]:
    colors = panel.colors
    for block in panel.texts:
        wanted = panel.manifest.text_slots[block.slot].color
        if block.color != wanted:
            field = f"layout.{panel.manifest.id}.{block.slot}" if prefix else f"layout.{block.slot}"
            yield make_finding(
                "LAYOUT-TEXT-INK-CHANGED",
                field,
                used=role_color(block.color, colors),
                wanted=role_color(wanted, colors),
            )


def _supplement_phrases(label_set: LabelSet, spec: LabelSpec) -> Iterator[Finding]:
    if spec.product.category == "supplement" and "product.category" not in label_set.printed_fields:
        yield make_finding("VN-LBL-SUPPLEMENT-PHRASES", "layout.supplement_notice")


def _english_left_out(label_set: LabelSet) -> Iterator[Finding]:
    for field in label_set.english_left_out:
        content = CONTENT_ITEM.get(field.removesuffix("_en"), field)
        name = CONTENT_NAMES.get(content, Bilingual(content, content))
        yield make_finding("LAYOUT-ENGLISH-LEFT-OUT", field, item=name)


def panels_printing(content: str) -> list[str]:
    """The bundled back panels that print `content` (what a producer adds to a front label)."""
    return [
        template_id
        for template_id in listed_template_ids()
        if (panel := load_panels([template_id])[0]).manifest.role == "back"
        and _prints(panel, content)
    ]


def _prints(panel: Template, content: str) -> bool:
    return any(content in slot.content for slot in panel.manifest.text_slots.values())
