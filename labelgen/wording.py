"""Wording: a LabelSpec and a content item → the paragraphs printed for it, Vietnamese first, English twins after."""

from __future__ import annotations

import datetime as dt
import re

from labelgen.compliance.limits import MASS_UNITS_IN_G, VOLUME_UNITS_IN_ML, canonical_unit
from labelgen.compliance.vntext import name_key
from labelgen.fonts import BOLD, REGULAR
from labelgen.spec import LabelSpec
from labelgen.text import Paragraph, Run

NET_QUANTITY_HEADING_SCALE = 0.5
ENGLISH_SCALE = 0.9  # English twins are set a little smaller: the law forbids them being larger

SUPPLEMENT_NOTICE_VI = (
    "Thực phẩm bảo vệ sức khỏe. Thực phẩm này không phải là thuốc "
    "và không có tác dụng thay thế thuốc chữa bệnh."
)
ALCOHOL_WARNING_SENTENCES: tuple[str, ...] = (
    "Uống rượu, bia có hại cho sức khỏe.",
    "Đã uống rượu, bia không lái xe.",
    "Người dưới 18 tuổi và phụ nữ mang thai không được uống.",
)
"""The health warning of Decree 24/2020, as printed by the `alcohol_warning` item."""
ALCOHOL_WARNING_VI = " ".join(ALCOHOL_WARNING_SENTENCES)

# A sentence ends at . ! ? ; … or a line break; a point inside a figure ("0.5") ends nothing.
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+|\s*\n\s*")
# A sentence sharing this many words, and this share of the shorter one's words, with a sentence
# of the warning reads as another version of it; fewer shared words are common words, not a copy.
VARIANT_MIN_SHARED_WORDS = 3
VARIANT_MIN_SHARE = 0.6

# Heading of each fact in Vietnamese and English, and the spec field that feeds it.
_FACT_HEADINGS: dict[str, tuple[str, str]] = {
    "function": ("Công dụng", "Function"),
    "ingredients": ("Thành phần", "Ingredients"),
    "usage": ("Hướng dẫn sử dụng", "Directions"),
    "storage": ("Bảo quản", "Storage"),
    "warnings": ("Cảnh báo", "Warnings"),
}
_HANDICRAFT_HEADINGS = {
    "ingredients": ("Chất liệu", "Materials"),
    "usage": ("Sử dụng, bảo quản", "Use and care"),
}


def paragraphs_for(item: str, spec: LabelSpec, serial: str | None = None) -> list[Paragraph]:
    """The paragraphs printed for one content item; empty when the spec has nothing for it."""
    product = spec.product
    if item == "brand":
        return [_plain(spec.brand.name, "brand.name")]
    if item == "product_name":
        return [_plain(product.name, "product.name")]
    if item == "product_name_en":
        if spec.bilingual and product.name_en:
            return [_plain(product.name_en, "product.name_en", language="en")]
        return []
    if item == "net_quantity":
        return _net_quantity(spec)
    if item in _FACT_HEADINGS:
        return _fact(spec, item)
    if item == "supplement_notice":
        if product.category == "supplement":
            return [_plain(SUPPLEMENT_NOTICE_VI, "product.category", weight=BOLD)]
        return []
    if item == "alcohol_warning":
        if product.category == "alcohol":
            return [_plain(ALCOHOL_WARNING_VI, "product.category", weight=BOLD)]
        return []
    if item == "dates":
        return _dates(spec)
    if item == "batch":
        return [_labelled("Số lô", product.batch, "product.batch")] if product.batch else []
    if item == "ethanol":
        if product.ethanol_percent is None:
            return []
        value = format_number(product.ethanol_percent) + "% vol"
        return [_labelled("Độ cồn", value, "product.ethanol_percent")]
    if item == "producer":
        return _producer(spec)
    if item == "origin":
        if product.origin is None:
            return []
        text = f"{product.origin.phrase} {product.origin.country}"
        return [Paragraph((Run(text, BOLD),), "product.origin")]
    if item == "certification":
        return _certification(spec)
    if item == "trace_hint":
        hint = "Quét mã để xác thực chứng nhận OCOP"
        paragraphs = [_plain(hint, "traceability")]
        if spec.bilingual:
            paragraphs.append(_plain("Scan to verify the OCOP certificate", "traceability", "en"))
        return paragraphs
    if item == "elsewhere":
        return _elsewhere(spec)
    if item == "serial":
        serial = serial or spec.traceability.serial
        return [_labelled("Số sê-ri", serial, "traceability.serial")] if serial else []
    raise ValueError(f"unknown content item {item!r}")


def format_date(day: dt.date) -> str:
    """A date as Vietnamese labels write it: DD/MM/YYYY (Decree 37/2026, Appendix III)."""
    return day.strftime("%d/%m/%Y")


def format_number(value: float) -> str:
    """A quantity the Vietnamese way: no needless decimals, a decimal comma."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def net_quantity_text(spec: LabelSpec) -> str | None:
    """The declared net quantity as printed, e.g. '200 g'."""
    quantity = spec.product.net_quantity
    if quantity is None:
        return None
    # A no-break space: the figure and its unit must never be split across lines.
    return f"{format_number(quantity.value)}\u00a0{quantity.unit}"


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, each with its closing punctuation."""
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def without_alcohol_warning(warnings: str) -> str:
    """An alcohol product's own warnings without the sentences that repeat the Decree 24/2020
    warning, which the label prints itself; the text is returned unchanged when none does."""
    sentences = split_sentences(warnings)
    kept = [sentence for sentence in sentences if not repeats_alcohol_warning(sentence)]
    return warnings if len(kept) == len(sentences) else " ".join(kept)


def repeats_alcohol_warning(sentence: str) -> bool:
    """Whether a sentence says only what sentences of the printed warning say, compared
    ignoring case, spacing, punctuation and tone-mark placement: 'uống rượu bia có hại cho sức
    khoẻ!' does; 'Uống rượu có hại cho sức khỏe.' does not."""
    rest = f" {name_key(sentence)} "
    if not rest.strip():
        return False
    official_keys = [name_key(official) for official in ALCOHOL_WARNING_SENTENCES]
    # Pasted whole with commas for full stops, the sentences of the warning come as one.
    while any(f" {key} " in rest for key in official_keys):
        for key in official_keys:
            rest = rest.replace(f" {key} ", " ")
    return not rest.strip()


def resembled_alcohol_warning(sentence: str) -> str | None:
    """The sentence of the printed warning that `sentence` is another version of, if any: one
    it shares VARIANT_MIN_SHARED_WORDS words and VARIANT_MIN_SHARE of the shorter one's words
    with, without repeating it ('Đã uống rượu, bia thì không lái xe.')."""
    if repeats_alcohol_warning(sentence):
        return None
    words = set(name_key(sentence).split())
    best, best_share = None, 0.0
    for official in ALCOHOL_WARNING_SENTENCES:
        official_words = set(name_key(official).split())
        shared = len(words & official_words)
        share = shared / min(len(words), len(official_words)) if words else 0.0
        if shared >= VARIANT_MIN_SHARED_WORDS and share >= VARIANT_MIN_SHARE and share > best_share:
            best, best_share = official, share
    return best


def _net_quantity(spec: LabelSpec) -> list[Paragraph]:
    quantity = spec.product.net_quantity
    text = net_quantity_text(spec)
    if quantity is None or text is None:
        return []
    unit = canonical_unit(quantity.unit)
    if unit in MASS_UNITS_IN_G:
        heading_vi, heading_en = "Khối lượng tịnh", "Net weight"
    elif unit in VOLUME_UNITS_IN_ML:
        heading_vi, heading_en = "Thể tích thực", "Net volume"
    else:
        heading_vi, heading_en = "Số lượng", "Quantity"
    heading = f"{heading_vi} / {heading_en}" if spec.bilingual else heading_vi
    # Kept on one line (no-break spaces): where the line is too short, the figures go under
    # the heading, never half of the heading.
    heading = heading.replace(" ", "\u00a0")
    # The heading is set smaller: only the figures and unit must reach the legal height.
    runs = (Run(f"{heading}: ", REGULAR, scale=NET_QUANTITY_HEADING_SCALE), Run(text, BOLD))
    return [Paragraph(runs, "product.net_quantity")]


def _fact(spec: LabelSpec, item: str) -> list[Paragraph]:
    headings = _FACT_HEADINGS[item]
    if spec.product.category == "handicraft":
        headings = _HANDICRAFT_HEADINGS.get(item, headings)
    text_vi = getattr(spec.product, item)
    if item == "warnings" and spec.product.category == "alcohol" and text_vi:
        # The alcohol_warning item prints the Decree 24/2020 warning; a pasted copy would print
        # it twice. Left with nothing, the English twin goes too: its Vietnamese is that warning.
        text_vi = without_alcohol_warning(text_vi)
    if not text_vi:
        return []
    paragraphs = [_labelled(headings[0], text_vi, f"product.{item}")]
    text_en = getattr(spec.product, f"{item}_en", None)
    if spec.bilingual and text_en:
        paragraphs.append(_labelled(headings[1], text_en, f"product.{item}_en", language="en"))
    return paragraphs


def _dates(spec: LabelSpec) -> list[Paragraph]:
    product = spec.product
    runs: list[Run] = []
    if product.manufactured_on:
        runs += [Run("NSX: ", BOLD), Run(format_date(product.manufactured_on))]
    if product.shelf_life is not None:
        span = (
            f"{product.shelf_life.months} tháng"
            if product.shelf_life.months
            else f"{product.shelf_life.days} ngày"
        )
        runs += [Run(" · HSD: ", BOLD), Run(f"{span} kể từ NSX")]
    elif product.expires_on:
        runs += [Run(" · HSD: ", BOLD), Run(format_date(product.expires_on))]
    if not runs:
        return []
    runs[0] = Run(runs[0].text.lstrip(), runs[0].weight)
    return [Paragraph(tuple(runs), "product.expires_on")]


def _producer(spec: LabelSpec) -> list[Paragraph]:
    producer = spec.producer
    runs = [
        Run("Chịu trách nhiệm về hàng hóa: ", BOLD),
        Run(f"{producer.name}. Địa chỉ: {producer.address}."),
    ]
    if producer.phone:
        runs.append(Run(f" ĐT: {producer.phone}"))
    return [Paragraph(tuple(runs), "producer")]


def _elsewhere(spec: LabelSpec) -> list[Paragraph]:
    """Where a small label says the rest of its mandatory text is printed."""
    if spec.elsewhere is None:
        return []
    paragraphs = [_labelled("Thông tin khác", spec.elsewhere.where, "elsewhere")]
    if spec.bilingual and spec.elsewhere.where_en:
        paragraphs.append(
            _labelled("Other information", spec.elsewhere.where_en, "elsewhere", "en")
        )
    return paragraphs


def _certification(spec: LabelSpec) -> list[Paragraph]:
    certificate = spec.certification
    if certificate is None:
        return []
    text = (
        f"Sản phẩm OCOP {certificate.stars} sao, số {certificate.certificate_no}, "
        f"QĐ {certificate.decision_no} ngày {format_date(certificate.issued_on)} "
        f"của {certificate.issued_by}; hiệu lực đến {format_date(certificate.valid_until_date)}."
    )
    return [_plain(text, "certification")]


def _plain(text: str, field: str, language: str = "vi", weight: int = REGULAR) -> Paragraph:
    italic = language == "en"
    scale = ENGLISH_SCALE if language == "en" else 1.0
    return Paragraph((Run(text, weight, italic),), field, language, scale)


def _labelled(heading: str, text: str, field: str, language: str = "vi") -> Paragraph:
    italic = language == "en"
    scale = ENGLISH_SCALE if language == "en" else 1.0
    runs = (Run(f"{heading}: ", BOLD, italic), Run(text, REGULAR, italic))
    return Paragraph(runs, field, language, scale)
