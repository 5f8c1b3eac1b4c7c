"""Every rule as data → rule lookups, findings made from a rule id, and docs/rules.md."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from labelgen.compliance import limits
from labelgen.compliance.report import Finding, Severity

# Where a rule comes from, following REGULATIONS.md's markers: [C] read in the legal text,
# [S] a secondary source, [U] unconfirmed; "advice" is not a legal requirement at all, or a
# requirement the check can only guess at from the spec, so it never blocks a release.
Basis = Literal["C", "S", "U", "advice"]
Stage = Literal["spec", "layout", "registry"]
Language = Literal["vi", "en"]

BASIS_NOTES: dict[Basis, str] = {
    "C": "[C] read in the legal text or an official page quoting it → error.",
    "S": "[S] from a secondary source (law firm, news, vendor) → warning.",
    "U": "[U] not confirmed in the legal text → warning.",
    "advice": "Advice: not a legal requirement, or one the check can only infer → never an error.",
}

SUPPLEMENT_PHRASES: tuple[str, str] = (
    "Thực phẩm bảo vệ sức khỏe",
    "Thực phẩm này không phải là thuốc và không có tác dụng thay thế thuốc chữa bệnh",
)
"""The two phrases every health-supplement label carries; the generator prints them itself."""

ORIGIN_PHRASES: tuple[str, ...] = (
    "Sản xuất tại",
    "Chế tạo tại",
    "Nước sản xuất",
    "Xuất xứ",
    "Sản xuất bởi",
    "Sản phẩm của",
)
"""Phrases that introduce the country of origin."""

FINISHING_PHRASES: tuple[str, ...] = (
    "Lắp ráp tại",
    "Đóng chai tại",
    "Phối trộn tại",
    "Hoàn tất tại",
    "Đóng gói tại",
    "Dán nhãn tại",
)
"""Phrases naming the last finishing step, for goods whose origin cannot be determined."""

# Legal and standard references: the current text first, the one producers still quote after.
_DECREE_37 = "Nghị định 37/2026/NĐ-CP"
_DECREE_43 = "Nghị định 43/2017/NĐ-CP"
REF_MANDATORY = f"{_DECREE_37}, Điều 42 (trước đây {_DECREE_43}, Điều 10)"
REF_BY_GROUP = f"{_DECREE_37}, Điều 42 và Phụ lục I (trước đây {_DECREE_43}, Điều 10 và Phụ lục I)"
REF_LANGUAGE = f"{_DECREE_37} (trước đây {_DECREE_43}, Điều 7)"
REF_DATES = f"{_DECREE_37}, Phụ lục III (trước đây {_DECREE_43}, Điều 14)"
REF_ORIGIN = (
    f"{_DECREE_37}, Điều 42 (trước đây {_DECREE_43}, Điều 15, sửa đổi bởi Nghị định 111/2021/NĐ-CP)"
)
REF_COSMETIC = f"Thông tư 06/2011/TT-BYT; {REF_BY_GROUP}"
REF_ALCOHOL_WARNING = f"Nghị định 24/2020/NĐ-CP; {REF_BY_GROUP}"
REF_NET_QUANTITY = "Thông tư 21/2014/TT-BKHCN (đo lường đối với hàng đóng gói sẵn)"
REF_UNITS = f"{REF_NET_QUANTITY}; Nghị định 86/2012/NĐ-CP (đơn vị đo pháp định)"
REF_OCOP = "Quyết định 148/QĐ-TTg ngày 24/02/2023, sửa đổi bởi Quyết định 1489/QĐ-TTg"
REF_OCOP_MARK = f"{REF_OCOP}; Quyết định 1162/QĐ-VPĐP-OCOP (2020)"
REF_OCOP_ISSUER = f"{REF_OCOP} (áp dụng từ 06/07/2025)"
REF_ADDRESS = f"{REF_MANDATORY}; Nghị quyết 202/2025/QH15 (sắp xếp đơn vị hành chính cấp tỉnh)"
REF_DISTRICTS = (
    f"{REF_MANDATORY}; Luật Tổ chức chính quyền địa phương 2025 "
    "(chính quyền địa phương hai cấp từ 01/07/2025)"
)
REF_OCOP_REORGANISED = (
    "Luật Tổ chức chính quyền địa phương 2025 (chính quyền địa phương hai cấp từ 01/07/2025); "
    f"{REF_OCOP}"
)
REF_GTIN = "GS1 General Specifications, mục 7.9 (số kiểm tra); TCVN 12850:2019"
REF_GTIN_PREFIX = "GS1 General Specifications (tiền tố 893 do GS1 Việt Nam cấp)"
REF_DIGITAL_LINK = (
    "GS1 Digital Link URI Syntax; GS1 General Specifications, bộ 82 ký tự (Figure 7.11-1); "
    "Thông tư 02/2024/TT-BKHCN"
)
REF_QR = "GS1 General Specifications, bảng quy cách ký hiệu cho mã QR trên bao bì; ISO/IEC 18004"
REF_EAN = "GS1 General Specifications, bảng quy cách ký hiệu cho mã EAN-13"
REF_PRINT = "Thực hành chế bản in thông dụng (vùng an toàn, cỡ chữ tối thiểu); nguồn thứ cấp"
REF_READABLE = f"{_DECREE_37} (nhãn phải đọc được bằng mắt thường); nguồn thứ cấp về cỡ chữ"
REF_CONTRAST = (
    f"{_DECREE_37} (trước đây {_DECREE_43}, Điều 6: chữ, chữ số của nội dung bắt buộc có màu "
    "tương phản với màu nền của nhãn); ngưỡng tương phản theo WCAG 2.2, tiêu chí 1.4.3"
)


ADDRESS_WHY = (
    "Whether a pre-2025 address breaks the labelling rule is not stated in any text read; "
    "old addresses stay on documents during the transition."
)


class Bilingual(NamedTuple):
    """A message parameter whose wording differs by language."""

    vi: str
    en: str


def format_number(value: float, language: Language) -> str:
    """A number as a label prints it: no trailing zeros, a decimal comma in Vietnamese."""
    text = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", ",") if language == "vi" else text


def format_param(value: Any, language: Language) -> str:
    """A message parameter in the given language: dates, numbers and bilingual words."""
    if isinstance(value, Bilingual):
        return value.vi if language == "vi" else value.en
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if language == "vi" else value.isoformat()
    if isinstance(value, float):
        return format_number(value, language)
    return str(value)


@dataclass(frozen=True)
class Item:
    """A mandatory item: the spec field(s) any one of which supplies it, and its names."""

    fields: tuple[str, ...]
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Rule:
    """One compliance rule. Check functions live elsewhere and are linked by `id`."""

    id: str
    severity: Severity
    basis: Basis
    stage: Stage
    fields: tuple[str, ...]
    summary: str
    message_vi: str
    message_en: str
    reference: str
    why: str = ""
    items: tuple[Item, ...] = ()

    @property
    def params(self) -> tuple[str, ...]:
        """The named parameters its message templates expect, in order of first use."""
        names: dict[str, None] = {}
        for template in (self.message_vi, self.message_en):
            for _, name, _, _ in string.Formatter().parse(template):
                if name:
                    names[name] = None
        return tuple(names)


# --- mandatory items (REGULATIONS §1) ------------------------------------------------------

NET_QUANTITY = Item(("product.net_quantity",), "định lượng", "the net quantity")
MANUFACTURED = Item(("product.manufactured_on",), "ngày sản xuất (NSX)", "the manufacture date")
EXPIRY = Item(
    ("product.expires_on", "product.shelf_life"),
    "hạn sử dụng (HSD)",
    "the expiry date or shelf life",
)
INGREDIENTS = Item(("product.ingredients",), "thành phần", "the ingredients")
WARNINGS = Item(("product.warnings",), "thông tin cảnh báo", "warnings")
USAGE = Item(("product.usage",), "hướng dẫn sử dụng", "usage instructions")
STORAGE = Item(("product.storage",), "hướng dẫn bảo quản", "storage instructions")
FOOD_ITEMS = (NET_QUANTITY, MANUFACTURED, EXPIRY, INGREDIENTS, WARNINGS, USAGE, STORAGE)


def _mandatory(
    rule_id: str,
    basis: Basis,
    goods_vi: str,
    goods_en: str,
    items: tuple[Item, ...],
    reference: str = REF_BY_GROUP,
    why: str = "",
) -> Rule:
    must_vi, must_en = ("phải", "must") if basis == "C" else ("nên", "should")
    return Rule(
        id=rule_id,
        severity="error" if basis == "C" else "warning",
        basis=basis,
        stage="spec",
        fields=tuple(field for item in items for field in item.fields),
        summary=f"A label for {goods_en} states: " + "; ".join(i.name_en for i in items) + ".",
        message_vi=f"Nhãn {goods_vi} {must_vi} ghi {{item}}.",
        message_en=f"A label for {goods_en} {must_en} state {{item}}.",
        reference=reference,
        why=why,
        items=items,
    )


_MANDATORY_RULES = (
    _mandatory(
        "VN-LBL-MANDATORY-CORE",
        "C",
        "hàng hóa",
        "any goods",
        (
            Item(("product.name",), "tên hàng hóa", "the name of the goods"),
            Item(
                ("producer.name",),
                "tên tổ chức, cá nhân chịu trách nhiệm về hàng hóa",
                "the name of the organisation responsible for the goods",
            ),
            Item(
                ("producer.address",),
                "địa chỉ của tổ chức, cá nhân chịu trách nhiệm về hàng hóa",
                "the address of the organisation responsible for the goods",
            ),
            Item(("product.origin",), "xuất xứ hàng hóa", "the origin of the goods"),
        ),
        reference=REF_MANDATORY,
    ),
    _mandatory(
        "VN-LBL-MANDATORY-STAPLE",
        "C",
        "lương thực",
        "staple food",
        (NET_QUANTITY, MANUFACTURED, EXPIRY),
    ),
    _mandatory("VN-LBL-MANDATORY-FOOD", "C", "thực phẩm", "food", FOOD_ITEMS),
    _mandatory(
        "VN-LBL-MANDATORY-SUPPLEMENT",
        "C",
        "thực phẩm bảo vệ sức khỏe",
        "a health supplement",
        FOOD_ITEMS,
    ),
    _mandatory(
        "VN-LBL-MANDATORY-ALCOHOL",
        "C",
        "rượu",
        "alcohol",
        (
            NET_QUANTITY,
            Item(
                ("product.ethanol_percent",),
                "hàm lượng etanol (% thể tích)",
                "the ethanol content (% vol)",
            ),
        ),
    ),
    _mandatory(
        "VN-LBL-MANDATORY-BEVERAGE",
        "U",
        "đồ uống",
        "a non-alcoholic beverage",
        (NET_QUANTITY, MANUFACTURED, EXPIRY, INGREDIENTS, STORAGE),
        why="The decree's row for beverages was not read in the legal text.",
    ),
    _mandatory(
        "VN-LBL-MANDATORY-COSMETIC",
        "S",
        "mỹ phẩm",
        "a cosmetic",
        (
            Item(("product.function",), "công dụng", "the function"),
            USAGE,
            Item(
                ("product.ingredients",), "công thức thành phần đầy đủ", "the full ingredient list"
            ),
            NET_QUANTITY,
            Item(("product.batch",), "số lô sản xuất", "the batch number"),
            Item(
                ("product.manufactured_on", "product.expires_on", "product.shelf_life"),
                "ngày sản xuất hoặc hạn sử dụng",
                "the manufacture date or the expiry date",
            ),
            WARNINGS,
        ),
        reference=REF_COSMETIC,
        why="Taken from Circular 06/2011/TT-BYT as quoted by a secondary source.",
    ),
    _mandatory(
        "VN-LBL-MANDATORY-HERBAL",
        "U",
        "dược liệu",
        "a herbal product",
        FOOD_ITEMS,
        why="Herbal products are treated as food unless they are medicines; not confirmed.",
    ),
    _mandatory(
        "VN-LBL-MANDATORY-HANDICRAFT",
        "U",
        "hàng thủ công mỹ nghệ",
        "a handicraft",
        (
            Item(("product.ingredients",), "vật liệu, chất liệu", "the materials"),
            Item(
                ("product.usage",),
                "hướng dẫn sử dụng, bảo quản",
                "usage and care instructions",
            ),
        ),
        why="The row for handicrafts was not confirmed in the legal text.",
    ),
)

MANDATORY_RULE_BY_CATEGORY: Mapping[str, str] = {
    "staple": "VN-LBL-MANDATORY-STAPLE",
    "food": "VN-LBL-MANDATORY-FOOD",
    "supplement": "VN-LBL-MANDATORY-SUPPLEMENT",
    "alcohol": "VN-LBL-MANDATORY-ALCOHOL",
    "beverage": "VN-LBL-MANDATORY-BEVERAGE",
    "cosmetic": "VN-LBL-MANDATORY-COSMETIC",
    "herbal": "VN-LBL-MANDATORY-HERBAL",
    "handicraft": "VN-LBL-MANDATORY-HANDICRAFT",
}
"""The category-specific mandatory-items rule; every category also gets VN-LBL-MANDATORY-CORE."""


def _range_vi(low: float, high: float) -> str:
    return f"từ {format_number(low, 'vi')} đến {format_number(high, 'vi')}"


def _range_en(low: float, high: float) -> str:
    return f"{format_number(low, 'en')} to {format_number(high, 'en')}"


_QR_RANGE = (limits.QR_MODULE_MIN_MM, limits.QR_MODULE_MAX_MM)
_EAN_RANGE = (limits.EAN_MODULE_MIN_MM, limits.EAN_MODULE_MAX_MM)

_OTHER_RULES = (
    # --- content and language (§1) ----------------------------------------------------------
    Rule(
        id="VN-LBL-ALCOHOL-WARNING",
        severity="warning",
        basis="advice",
        stage="spec",
        fields=("product.warnings",),
        summary=(
            "An alcohol label carries the health warning of Decree 24/2020. The generator "
            "prints it itself, in one wording (the `alcohol_warning` item, "
            "labelgen.wording.ALCOHOL_WARNING_SENTENCES), so the spec need not give it; "
            "whether it is printed is checked on the laid-out label "
            "(VN-LBL-MANDATORY-NOT-PRINTED). A sentence of `product.warnings` that repeats "
            "sentences of that wording, compared ignoring case, spacing, punctuation and "
            "tone-mark placement, is left out when printing, so the warning is printed once and "
            "nothing is reported. A sentence that reads as another version of one (it shares "
            "at least 3 words, and 60 % of the shorter sentence's words, with it) would be "
            "printed beside the official wording: two versions of one statutory warning, which "
            "an inspector would query and which take room on the label. This rule names each "
            "such sentence so the producer removes it, or keeps it knowingly as a warning of "
            "their own."
        ),
        message_vi=(
            "Phần cảnh báo có câu “{sentence}”, gần giống nhưng không trùng với câu "
            "“{official}” của cảnh báo tác hại của rượu, bia theo Nghị định 24/2020/NĐ-CP mà "
            "nhãn đã tự in. Nếu giữ lại, nhãn sẽ in hai cách viết khác nhau của cùng một cảnh "
            "báo; hãy bỏ câu này khỏi phần cảnh báo, trừ khi đó là cảnh báo riêng của cơ sở."
        ),
        message_en=(
            "The warnings hold “{sentence}”, close to but not the same as “{official}” of the "
            "Decree 24/2020/NĐ-CP health warning, which the label already prints. Kept, the "
            "label would carry two versions of one warning; remove the sentence from the "
            "warnings unless it is a warning of your own."
        ),
        reference=REF_ALCOHOL_WARNING,
        why=(
            "Not a breach: the label carries the warning in its printed wording either way; a "
            "second version beside it only invites questions. That wording was taken from a "
            "secondary source."
        ),
    ),
    Rule(
        id="VN-LBL-QUID",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.ingredients",),
        summary=(
            "An ingredient named in the product's name has its quantity or percentage declared. "
            "Only ingredient names of two or more words are matched, whole, against the name: "
            "single words such as 'nước' also name product types ('nước mắm')."
        ),
        message_vi=(
            "Tên sản phẩm có nêu thành phần “{ingredient}”, vì vậy phải ghi rõ khối lượng hoặc "
            "tỷ lệ phần trăm của thành phần này."
        ),
        message_en=(
            "The product's name mentions the ingredient “{ingredient}”, so its quantity or "
            "percentage must be declared."
        ),
        reference=REF_MANDATORY,
    ),
    Rule(
        id="VN-LBL-VI-TWIN",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.*",),
        summary=(
            "Every English text (`*_en`) has its Vietnamese twin; mandatory text is in Vietnamese."
        ),
        message_vi=(
            "Có nội dung tiếng Anh ({english_field}) nhưng thiếu nội dung tiếng Việt tương ứng; "
            "nội dung bắt buộc phải ghi bằng tiếng Việt và nội dung tiếng nước ngoài phải "
            "tương ứng với nội dung tiếng Việt."
        ),
        message_en=(
            "{english_field} is given without its Vietnamese twin; mandatory content must be in "
            "Vietnamese and text in another language must match the Vietnamese."
        ),
        reference=REF_LANGUAGE,
    ),
    Rule(
        id="VN-LBL-SUPPLEMENT-PHRASES",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.supplement_phrases",),
        summary=(
            "A health supplement's label carries the phrases "
            + " and ".join(f"“{phrase}”" for phrase in SUPPLEMENT_PHRASES)
            + ". The generator prints them itself (SUPPLEMENT_PHRASES), so no spec can break "
            "this; the layout stage reports it only if it could not place them."
        ),
        message_vi=(
            "Không đặt được lên nhãn các cụm từ bắt buộc của thực phẩm bảo vệ sức khỏe: "
            + " và ".join(f"“{phrase}”" for phrase in SUPPLEMENT_PHRASES)
            + "."
        ),
        message_en=(
            "The phrases a health supplement must carry could not be placed on the label: "
            + " and ".join(f"“{phrase}”" for phrase in SUPPLEMENT_PHRASES)
            + "."
        ),
        reference=REF_BY_GROUP,
    ),
    # --- dates (§2) --------------------------------------------------------------------------
    Rule(
        id="VN-LBL-DATE-ORDER",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.expires_on", "product.shelf_life", "product.manufactured_on"),
        summary=(
            "The expiry date, given or counted from the shelf life, is after the manufacture date."
        ),
        message_vi="Hạn sử dụng ({expiry}) phải sau ngày sản xuất ({manufactured}).",
        message_en=(
            "The expiry date ({expiry}) must be after the manufacture date ({manufactured})."
        ),
        reference=REF_DATES,
    ),
    Rule(
        id="VN-LBL-DATE-EXPIRED",
        severity="warning",
        basis="advice",
        stage="spec",
        fields=("product.expires_on", "product.shelf_life"),
        summary="The expiry date has not passed on the check date (`as_of`).",
        message_vi=(
            "Hạn sử dụng ({expiry}) đã qua tính đến ngày {as_of}; hàng hóa quá hạn sử dụng "
            "không được lưu thông."
        ),
        message_en=(
            "The expiry date ({expiry}) has passed as of {as_of}; goods past their expiry date "
            "may not be sold."
        ),
        reference=REF_DATES,
        why="A spec may be checked again long after its run was printed, so this only warns.",
    ),
    # --- origin (§3) -------------------------------------------------------------------------
    Rule(
        id="VN-LBL-ORIGIN-PHRASE",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.origin.phrase",),
        summary="The origin is introduced by one of the phrases the decree allows.",
        message_vi="Cụm từ ghi xuất xứ “{phrase}” không thuộc các cụm từ được phép: {allowed}.",
        message_en="The origin phrase “{phrase}” is not one of the allowed phrases: {allowed}.",
        reference=REF_ORIGIN,
    ),
    Rule(
        id="VN-LBL-ORIGIN-COUNTRY",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.origin.country",),
        summary=(
            "The country of origin is written in full, never abbreviated: 'VN', 'V.N.', "
            "'VNM' or any all-capital name of up to three letters is refused."
        ),
        message_vi=(
            "Tên nước xuất xứ không được viết tắt: “{country}” phải được ghi đầy đủ "
            "(ví dụ “Việt Nam”, không ghi “VN”)."
        ),
        message_en=(
            "The country of origin may not be abbreviated: write “{country}” in full "
            "(e.g. “Việt Nam”, not “VN”)."
        ),
        reference=REF_ORIGIN,
    ),
    Rule(
        id="VN-LBL-ORIGIN-COUNTRY-SPELLING",
        severity="warning",
        basis="U",
        stage="spec",
        fields=("product.origin.country",),
        summary=(
            "Việt Nam is written in Vietnamese with its diacritics, not 'Vietnam' or 'Viet Nam'."
        ),
        message_vi="Tên nước nên ghi bằng tiếng Việt có dấu: “Việt Nam” thay cho “{country}”.",
        message_en=(
            "Write the country's name in Vietnamese with its diacritics: “Việt Nam” rather than "
            "“{country}”."
        ),
        reference=f"{REF_ORIGIN}; {REF_LANGUAGE}",
        why=(
            "'Vietnam' is the country's full English name, not an abbreviation, so the explicit "
            "ban does not reach it; that mandatory content must be in Vietnamese suggests the "
            "Vietnamese spelling, but no text read says an English country name is a breach."
        ),
    ),
    # --- net quantity (§4) -------------------------------------------------------------------
    Rule(
        id="VN-LBL-NETQTY-UNIT",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.net_quantity",),
        summary=(
            "The unit is a legal unit of measurement (symbol or Vietnamese name, e.g. g, kg, ml, "
            "L, lít) or a Vietnamese count noun (chiếc, gói…); 'gr', 'Kg', 'ML', 'oz', 'pcs' "
            "are not."
        ),
        message_vi=(
            "Đơn vị “{unit}” không phải đơn vị đo pháp định hay danh từ chỉ đơn vị đếm; hãy dùng "
            "mg, g, kg, ml, cl, L hoặc một danh từ như chiếc, gói, hộp."
        ),
        message_en=(
            "“{unit}” is neither a legal unit of measurement nor a count noun; use mg, g, kg, ml, "
            "cl, L or a count noun such as chiếc, gói, hộp."
        ),
        reference=REF_UNITS,
    ),
    Rule(
        id="VN-LBL-NETQTY-UNIT-SIZE",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.net_quantity",),
        summary=(
            "Mass below 1 g is in mg, from 1 g to under 1000 g in g, from 1000 g in kg; "
            "volume below 1 L is in ml or cl, from 1 L in L."
        ),
        message_vi="Định lượng {quantity} phải ghi bằng {expected_unit}: {suggestion}.",
        message_en="A net quantity of {quantity} must be stated in {expected_unit}: {suggestion}.",
        reference=REF_NET_QUANTITY,
    ),
    Rule(
        id="VN-LBL-NETQTY-LIQUID",
        severity="warning",
        basis="advice",
        stage="spec",
        fields=("product.net_quantity",),
        summary="Beverages and alcohol, being liquids, state their net quantity by volume.",
        message_vi=(
            "Hàng hóa dạng lỏng phải ghi định lượng theo thể tích (ml, cl, L), "
            "không ghi theo khối lượng ({unit})."
        ),
        message_en="Liquids are stated by volume (ml, cl, L), not by mass ({unit}).",
        reference=REF_NET_QUANTITY,
        why=(
            "The rule for liquids is confirmed, but the spec does not say whether the product is "
            "a liquid (a beverage may be a powder), so the check can only guess from the category."
        ),
    ),
    Rule(
        id="VN-LBL-NETQTY-HEIGHT",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.net_quantity",),
        summary=(
            "The net-quantity figures and unit are drawn at least 2 mm high (≤ 50 g or ml), "
            "3 mm (≤ 200), 4 mm (≤ 1000), 6 mm (above 1 kg or 1 L), 2 mm for length, area and "
            "count; see limits.net_quantity_min_height_mm."
        ),
        message_vi=(
            "Chữ số và đơn vị của định lượng cao {height_mm} mm, thấp hơn mức tối thiểu "
            "{min_height_mm} mm cho định lượng {quantity}."
        ),
        message_en=(
            "The net-quantity figures are {height_mm} mm high, below the {min_height_mm} mm "
            "minimum for {quantity}."
        ),
        reference=REF_NET_QUANTITY,
    ),
    # --- language and print sizes (§1, §7) ---------------------------------------------------
    Rule(
        id="VN-LBL-FOREIGN-TEXT-SIZE",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.*",),
        summary="Text in another language is never drawn larger than its Vietnamese twin.",
        message_vi=(
            "Chữ tiếng nước ngoài cao {foreign_height_mm} mm, lớn hơn chữ tiếng Việt tương ứng "
            "({vietnamese_height_mm} mm); chữ tiếng nước ngoài không được lớn hơn chữ tiếng Việt."
        ),
        message_en=(
            "The foreign-language text is {foreign_height_mm} mm high, larger than its Vietnamese "
            "twin ({vietnamese_height_mm} mm); it may not be larger than the Vietnamese."
        ),
        reference=REF_LANGUAGE,
    ),
    Rule(
        id="PRINT-SAFE-ZONE",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary=(
            f"Text and codes stay at least {format_number(limits.SAFE_ZONE_MM, 'en')} mm inside "
            "the trim line."
        ),
        message_vi=(
            "Nội dung chỉ cách đường xén {distance_mm} mm, chưa đủ khoảng an toàn "
            f"{format_number(limits.SAFE_ZONE_MM, 'vi')} mm; phần này có thể bị xén mất khi cắt."
        ),
        message_en=(
            "Content lies {distance_mm} mm from the trim line, inside the "
            f"{format_number(limits.SAFE_ZONE_MM, 'en')} mm safe margin; it may be cut off."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources.",
    ),
    Rule(
        id="PRINT-TEXT-PROCESS-INKS",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Text under 12 pt is printed on one plate (black and greys on K alone); in a brand "
            "colour mixed from several process inks it is reported, since the plates never "
            "register perfectly."
        ),
        message_vi=(
            "Chữ cỡ {size_pt} pt in màu {color} ghép từ nhiều mực ({inks}); chữ dưới 12 pt in "
            "chồng nhiều bản dễ bị nhòe viền khi lệch bản — hãy chọn màu một mực hoặc màu pha."
        ),
        message_en=(
            "Text of {size_pt} pt is printed in {color}, a mix of process inks ({inks}); text "
            "under 12 pt from several plates fringes when they misregister: use a one-ink or "
            "spot colour."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources; the brand colour may be meant.",
    ),
    Rule(
        id="PRINT-LINE-PROCESS-INKS",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Lines thinner than 0.25 mm are printed on one plate; in a colour mixed from several "
            "process inks they are reported."
        ),
        message_vi=(
            "Nét rộng {width_mm} mm in màu {color} ghép từ nhiều mực ({inks}); nét mảnh dưới "
            "0,25 mm in chồng nhiều bản dễ bị lệch màu."
        ),
        message_en=(
            "A {width_mm} mm line is printed in {color}, a mix of process inks ({inks}); lines "
            "under 0.25 mm from several plates show misregister."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources; the brand colour may be meant.",
    ),
    Rule(
        id="PRINT-REVERSED-TEXT",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary="Text reversed out of ink (as light as the paper) is at least 7 pt.",
        message_vi=(
            "Chữ {color} cỡ {size_pt} pt in âm bản trên nền mực; dưới 7 pt mực loang sẽ lấp "
            "nét chữ."
        ),
        message_en=(
            "Text in {color} of {size_pt} pt is reversed out of ink; under 7 pt the spreading "
            "ink fills its strokes in."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources.",
    ),
    Rule(
        id="PRINT-REVERSED-LINE",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary="Lines reversed out of ink (as light as the paper) are at least 0.2 mm wide.",
        message_vi=(
            "Nét {color} rộng {width_mm} mm in âm bản trên nền mực; dưới 0,2 mm mực loang sẽ "
            "lấp mất nét."
        ),
        message_en=(
            "A {width_mm} mm line in {color} is reversed out of ink; under 0.2 mm the spreading "
            "ink fills it in."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources.",
    ),
    Rule(
        id="PRINT-CODE-ON-FOLD",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.qr", "layout.barcode"),
        summary=(
            f"On a carton, the QR code and the EAN-13 (with their quiet zones) stay at least "
            f"{format_number(limits.SAFE_ZONE_MM, 'en')} mm from every fold and glue area."
        ),
        message_vi=(
            "Mã trên mặt {face} của hộp chỉ cách nếp gấp hoặc vùng dán keo {distance_mm} mm, "
            f"chưa đủ {format_number(limits.SAFE_ZONE_MM, 'vi')} mm; mã bị gấp hoặc dán đè có thể "
            "không quét được."
        ),
        message_en=(
            "A code on the carton's {face} face lies {distance_mm} mm from a fold or glue area, "
            f"closer than {format_number(limits.SAFE_ZONE_MM, 'en')} mm; a folded or glued-over "
            "code may not scan."
        ),
        reference=REF_PRINT,
        why="A print-shop norm reported by secondary sources.",
    ),
    Rule(
        id="PRINT-MIN-TEXT-SIZE",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Mandatory text is at least 1.2 mm high (0.9 mm on a label face under 80 cm²) and "
            "at least 6 pt."
        ),
        message_vi=(
            "Chữ cao {height_mm} mm, nhỏ hơn mức tối thiểu {min_height_mm} mm nên khó đọc "
            "bằng mắt thường."
        ),
        message_en=(
            "Text is {height_mm} mm high, below the {min_height_mm} mm minimum, so it is hard "
            "to read."
        ),
        reference=REF_READABLE,
        why="Letter heights come from secondary sources; the decree only asks for readable text.",
    ),
    Rule(
        id="LAYOUT-TEXT-CONTRAST",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Text contrasts with the colour drawn behind it: a WCAG 2 contrast ratio of at least "
            "3:1, for text of any size. The colours are the brand's (`brand.colors`) in the "
            "slot's colour role ('muted' is the text colour blended 35 % toward the "
            "background); behind a slot is the colour its `on` names, or, in a template that "
            "does not say, the primary band behind text drawn in the background colour and the "
            "background behind all other text. A unit's serial, set in black, is judged on the "
            "background. The decree asks that mandatory text contrast with its background "
            "without giving a figure; 3:1 is WCAG's floor for large text, so below it no text "
            "contrasts, and nearly every text on a label is mandatory. Amber #D9A441 on cream "
            "#FFF8F3 (2.1:1) is caught; body text between 3:1 and 4.5:1 is "
            "LAYOUT-TEXT-CONTRAST-BODY."
        ),
        message_vi=(
            "Chữ màu {text_color} trên nền màu {backdrop_color} chỉ có độ tương phản "
            "{ratio}:1, dưới mức tối thiểu 3:1; chữ, chữ số của nội dung bắt buộc phải có màu "
            "tương phản với màu nền. Hãy chọn lại màu chữ hoặc màu nền (brand.colors)."
        ),
        message_en=(
            "Text in {text_color} on {backdrop_color} has a contrast ratio of only {ratio}:1, "
            "below the 3:1 minimum; mandatory text must contrast with its background. Choose "
            "other text or background colours (brand.colors)."
        ),
        reference=REF_CONTRAST,
        why=(
            "The decree's requirement is read in the legal text; the 3:1 figure is WCAG's, "
            "the least any reading of 'contrasting' allows."
        ),
    ),
    Rule(
        id="LAYOUT-TEXT-CONTRAST-BODY",
        severity="warning",
        basis="advice",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Body text, smaller than 18 pt (14 pt in bold), has a WCAG 2 contrast ratio of at "
            "least 4.5:1 with the colour behind it, judged as LAYOUT-TEXT-CONTRAST judges it. A "
            "block with any smaller run (a heading, an English twin) is body text."
        ),
        message_vi=(
            "Chữ cỡ nhỏ màu {text_color} trên nền màu {backdrop_color} có độ tương phản "
            "{ratio}:1, dưới mức 4,5:1 nên có cho chữ cỡ nhỏ; nhiều người, nhất là người lớn "
            "tuổi, sẽ khó đọc. Hãy tăng độ tương phản giữa màu chữ và màu nền (brand.colors)."
        ),
        message_en=(
            "Small text in {text_color} on {backdrop_color} has a contrast ratio of {ratio}:1, "
            "below the 4.5:1 that small text should have; many readers, older ones above all, "
            "will find it hard to read. Increase the contrast between text and background "
            "(brand.colors)."
        ),
        reference=REF_CONTRAST,
        why=(
            "WCAG's level AA for body text, not a figure of the decree: between 3:1 and 4.5:1 "
            "the text contrasts, but not comfortably."
        ),
    ),
    Rule(
        id="LAYOUT-TEXT-OVERFLOW",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.*",),
        summary="Every mandatory text fits its box; text cut off is mandatory content missing.",
        message_vi=(
            "Nội dung không vừa khung ngay cả ở cỡ chữ nhỏ nhất cho phép: dài hơn khoảng "
            "{characters} ký tự (thừa {excess_mm} mm); phần thừa không được in. Hãy rút gọn "
            "nội dung hoặc dùng mẫu nhãn lớn hơn."
        ),
        message_en=(
            "This text does not fit its box even at the smallest size allowed: about "
            "{characters} characters too long ({excess_mm} mm more than the box holds); what "
            "does not fit is not printed. Shorten it or use a larger template."
        ),
        reference=REF_MANDATORY,
    ),
    Rule(
        id="VN-LBL-MANDATORY-NOT-PRINTED",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Every mandatory item the spec gives is printed on some panel of the label set, "
            "judged on the text as laid out, not on the spec. A label too small for everything "
            "(under 80 cm² in all) may leave out all but the name, the responsible "
            "organisation and the origin when it says where the rest is (`elsewhere:`)."
        ),
        message_vi="Nhãn không in {item}: mẫu đã chọn không có chỗ cho nội dung này. {remedy}",
        message_en="The label does not print {item}: the chosen template has no room for it. {remedy}",
        reference=f"{_DECREE_37}, Điều 42 (trước đây {_DECREE_43}, Điều 10; khoản 2: nhãn quá nhỏ)",
    ),
    Rule(
        id="LAYOUT-CONTENT-NOT-PRINTED",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Text the spec gives beyond the mandatory items is printed too; when no panel has "
            "room for it, it is left out and said so."
        ),
        message_vi="Không còn chỗ in {item} trên nhãn nên nội dung này bị bỏ qua.",
        message_en="There is no room left for {item} on the label, so it is left out.",
        reference=REF_MANDATORY,
        why="The text is not required for this category, so leaving it out is no breach.",
    ),
    Rule(
        id="LAYOUT-TEXT-INK-CHANGED",
        severity="info",
        basis="advice",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "Text whose brand colour would not contrast enough with what is behind it (WCAG "
            "4.5:1, 3:1 for large text) is set in the brand's text or background colour instead."
        ),
        message_vi=(
            "Phần chữ này được in bằng màu {used} thay cho màu {wanted} của thương hiệu, vì màu "
            "{wanted} không đủ tương phản với nền."
        ),
        message_en=(
            "This text is set in {used} instead of the brand's {wanted}, which would not "
            "contrast enough with what is behind it."
        ),
        reference=REF_MANDATORY,
        why="The label stays readable; this only says why a colour differs from the brand's.",
    ),
    Rule(
        id="LAYOUT-ENGLISH-LEFT-OUT",
        severity="info",
        basis="advice",
        stage="layout",
        fields=("layout.*",),
        summary=(
            "English is optional: its twins of the mandatory text make way for the Vietnamese "
            "before a label is refused for want of room."
        ),
        message_vi=(
            "Phần tiếng Anh của {item} không được in để đủ chỗ cho nội dung tiếng Việt bắt buộc."
        ),
        message_en=(
            "The English text of {item} is left out to make room for the mandatory Vietnamese."
        ),
        reference=REF_MANDATORY,
        why="Foreign-language text is optional; this only says what was not printed.",
    ),
    # --- OCOP (§5) ---------------------------------------------------------------------------
    Rule(
        id="OCOP-STARS-MARK",
        severity="error",
        basis="C",
        stage="spec",
        fields=("certification.stars",),
        summary="Only 3-, 4- and 5-star products are certified OCOP products and carry the mark.",
        message_vi=(
            "Sản phẩm {stars} sao chưa phải là sản phẩm OCOP được công nhận; chỉ sản phẩm đạt 3, "
            "4 hoặc 5 sao mới được in biểu trưng OCOP."
        ),
        message_en=(
            "A {stars}-star product is not a certified OCOP product; only 3-, 4- and 5-star "
            "products may carry the OCOP mark."
        ),
        reference=REF_OCOP_MARK,
    ),
    Rule(
        id="OCOP-ISSUER-LEVEL",
        severity="error",
        basis="C",
        stage="spec",
        fields=("certification.issued_by",),
        summary=(
            "5★ is recognised by the ministry, 4★ by the provincial People's Committee, 3★ by "
            "the district People's Committee for decisions dated 24/02/2023 to 05/07/2025 and by "
            "the provincial one otherwise. The level is read from `issued_by` ('UBND tỉnh …', "
            "'UBND huyện …', 'Bộ Nông nghiệp …')."
        ),
        message_vi=(
            "Sản phẩm OCOP {stars} sao có quyết định ngày {issued_on} phải do {expected} "
            "công nhận, nhưng cơ quan cấp là “{issued_by}”."
        ),
        message_en=(
            "A {stars}-star OCOP product decided on {issued_on} is recognised by {expected}, "
            "but the issuer is “{issued_by}”."
        ),
        reference=REF_OCOP_ISSUER,
    ),
    Rule(
        id="OCOP-ISSUER-UNKNOWN",
        severity="warning",
        basis="advice",
        stage="spec",
        fields=("certification.issued_by",),
        summary=(
            "The issuing body's level (ministry, province, district) can be read from `issued_by`."
        ),
        message_vi=(
            "Không xác định được cấp của cơ quan cấp “{issued_by}”; hãy ghi theo dạng "
            "“UBND tỉnh …”, “UBND huyện …” hoặc “Bộ Nông nghiệp và Môi trường” để kiểm tra "
            "được thẩm quyền công nhận."
        ),
        message_en=(
            "The level of the issuing body “{issued_by}” cannot be told; write it as "
            "“UBND tỉnh …”, “UBND huyện …” or “Bộ Nông nghiệp và Môi trường” so the authority "
            "can be checked."
        ),
        reference=REF_OCOP_ISSUER,
        why="A limit of reading free text, not a breach: the issuer may well be right.",
    ),
    Rule(
        id="OCOP-ISSUER-FORMER-UNIT",
        severity="info",
        basis="advice",
        stage="spec",
        fields=("certification.issued_by",),
        summary=(
            "Notes an issuer that is a district or a pre-merger province, abolished in 2025; "
            "the certificate keeps its validity."
        ),
        message_vi=(
            "Cơ quan cấp “{issued_by}” thuộc đơn vị hành chính nay không còn sau sắp xếp năm "
            "2025; giấy chứng nhận vẫn có giá trị đến hết thời hạn, việc đánh giá lại do UBND "
            "cấp tỉnh hiện nay thực hiện."
        ),
        message_en=(
            "The issuing body “{issued_by}” belongs to an administrative unit that no longer "
            "exists after the 2025 reorganisation; the certificate stays valid until it runs "
            "out, and re-assessment is done by today's provincial People's Committee."
        ),
        reference=REF_OCOP_REORGANISED,
        why="The decision was lawful when made; this is only a note for the renewal.",
    ),
    Rule(
        id="OCOP-VALID-UNTIL",
        severity="error",
        basis="C",
        stage="spec",
        fields=("certification.valid_until",),
        summary=(
            "A given valid-until date lies after the decision and at most 36 months after it."
        ),
        message_vi=(
            "Ngày hết hiệu lực {valid_until} không hợp lệ: giấy chứng nhận OCOP có hiệu lực "
            "36 tháng kể từ ngày quyết định {issued_on}, tức là đến hết ngày {lawful_end}."
        ),
        message_en=(
            "The valid-until date {valid_until} is not possible: an OCOP certificate is valid "
            "for 36 months from the decision of {issued_on}, that is until {lawful_end}."
        ),
        reference=REF_OCOP,
    ),
    Rule(
        id="OCOP-CERT-EXPIRED",
        severity="error",
        basis="C",
        stage="spec",
        fields=("certification.valid_until",),
        summary=(
            "On the check date the certificate is within its validity: valid_until, or 36 "
            "months from the decision, whichever comes first."
        ),
        message_vi=(
            "Giấy chứng nhận OCOP đã hết hiệu lực sau ngày {valid_until} (quyết định ngày "
            "{issued_on}); không được in biểu trưng OCOP cho đến khi sản phẩm được đánh giá, "
            "công nhận lại."
        ),
        message_en=(
            "The OCOP certificate ran out after {valid_until} (decision of {issued_on}); the "
            "OCOP mark may not be printed until the product is recognised again."
        ),
        reference=REF_OCOP_MARK,
    ),
    Rule(
        id="OCOP-CERT-RENEWAL",
        severity="warning",
        basis="S",
        stage="spec",
        fields=("certification.valid_until",),
        summary="Warns in the last 30 days of a certificate's validity.",
        message_vi=(
            "Giấy chứng nhận OCOP hết hiệu lực sau ngày {valid_until}, chỉ còn {days_left} ngày; "
            "hãy làm thủ tục đánh giá lại để tiếp tục được in biểu trưng OCOP."
        ),
        message_en=(
            "The OCOP certificate runs out after {valid_until} (days left, counting today: "
            "{days_left}); apply for re-assessment to keep printing the OCOP mark."
        ),
        reference=REF_OCOP,
        why="The 30-day notice period comes from a secondary source.",
    ),
    Rule(
        id="OCOP-DECISION-FUTURE",
        severity="error",
        basis="C",
        stage="spec",
        fields=("certification.issued_on",),
        summary="The recognition decision is dated on or before the check date.",
        message_vi=(
            "Quyết định công nhận OCOP ghi ngày {issued_on}, sau ngày kiểm tra {as_of}; sản phẩm "
            "chưa được công nhận thì chưa được in biểu trưng OCOP."
        ),
        message_en=(
            "The OCOP decision of {issued_on} is after the check date {as_of}; a product not yet "
            "recognised may not carry the OCOP mark."
        ),
        reference=REF_OCOP_MARK,
    ),
    # --- producer address after the 2025 reorganisation ------------------------------------
    Rule(
        id="VN-LBL-ADDRESS-PROVINCE",
        severity="warning",
        basis="U",
        stage="spec",
        fields=("producer.address",),
        summary=(
            "A province named in the address ('tỉnh …', 'thành phố …') is one of the 34 in force "
            "since 01/07/2025, per the vietnam-provinces data set."
        ),
        message_vi=(
            "Địa chỉ ghi “{unit}”, không có trong danh mục 34 tỉnh, thành phố từ ngày 01/07/2025 "
            "(có thể đã sáp nhập hoặc đổi tên); hãy ghi địa chỉ theo đơn vị hành chính hiện hành."
        ),
        message_en=(
            "The address names “{unit}”, which is not among the 34 provinces and cities in force "
            "since 01/07/2025 (it may have been merged or renamed); use today's units."
        ),
        reference=REF_ADDRESS,
        why=ADDRESS_WHY,
    ),
    Rule(
        id="VN-LBL-ADDRESS-NO-PROVINCE",
        severity="warning",
        basis="U",
        stage="spec",
        fields=("producer.address",),
        summary=(
            "For goods made in Việt Nam, the address names one of the 34 current provinces or "
            "centrally run cities (with or without 'tỉnh'/'thành phố')."
        ),
        message_vi=(
            "Địa chỉ không ghi tỉnh, thành phố nào trong danh mục 34 tỉnh, thành phố hiện hành; "
            "hãy ghi rõ tỉnh, thành phố theo đơn vị hành chính sau sắp xếp năm 2025."
        ),
        message_en=(
            "The address names none of the 34 current provinces and cities; state the province "
            "or city as reorganised in 2025."
        ),
        reference=REF_ADDRESS,
        why=ADDRESS_WHY,
    ),
    Rule(
        id="VN-LBL-ADDRESS-FORMER-UNIT",
        severity="warning",
        basis="U",
        stage="spec",
        fields=("producer.address",),
        summary=(
            "The address names no district-level unit (huyện, quận, thị xã, thành phố thuộc "
            "tỉnh) nor township (thị trấn): these were abolished on 01/07/2025."
        ),
        message_vi=(
            "Địa chỉ ghi “{unit}”, nhưng từ ngày 01/07/2025 không còn cấp huyện (huyện, quận, "
            "thị xã, thành phố thuộc tỉnh) và thị trấn; hãy ghi địa chỉ theo xã, phường và tỉnh, "
            "thành phố hiện hành."
        ),
        message_en=(
            "The address names “{unit}”, but districts (huyện, quận, thị xã, provincial cities) "
            "and townships were abolished on 01/07/2025; give the commune or ward and the "
            "province instead."
        ),
        reference=REF_DISTRICTS,
        why=ADDRESS_WHY,
    ),
    Rule(
        id="VN-LBL-ADDRESS-COMMUNE",
        severity="warning",
        basis="U",
        stage="spec",
        fields=("producer.address",),
        summary=(
            "A commune, ward or special zone named in the address ('xã …', 'phường …') exists in "
            "the current province it names, per the vietnam-provinces data set. Names are "
            "compared ignoring case, spacing, punctuation and tone-mark placement. A spaced "
            "dash separates address parts ('huyện Cái Bè – tỉnh Tiền Giang') except inside an "
            "official name that holds one, which is read whole: 'phường Lâm Viên - Đà Lạt', "
            "'xã Chân Mây – Lăng Cô', 'phường Văn Miếu - Quốc Tử Giám'."
        ),
        message_vi=(
            "Địa chỉ ghi “{unit}”, không có trong danh sách xã, phường hiện hành của {province}; "
            "đơn vị này có thể đã được sắp xếp lại năm 2025."
        ),
        message_en=(
            "The address names “{unit}”, which is not among the current communes and wards of "
            "{province}; it may have been reorganised in 2025."
        ),
        reference=REF_ADDRESS,
        why=ADDRESS_WHY,
    ),
    # --- GS1 (§6) ----------------------------------------------------------------------------
    Rule(
        id="GS1-GTIN-CHECK-DIGIT",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.gtin",),
        summary="The GTIN's last digit is its check digit (weights 3,1,3,1… from the right).",
        message_vi="Số kiểm tra của mã GTIN “{gtin}” sai: chữ số cuối phải là {expected_digit}.",
        message_en=(
            "The check digit of GTIN “{gtin}” is wrong: the last digit should be {expected_digit}."
        ),
        reference=REF_GTIN,
    ),
    Rule(
        id="GS1-GTIN-PREFIX",
        severity="warning",
        basis="advice",
        stage="spec",
        fields=("product.gtin",),
        summary="Goods made in Việt Nam usually carry a GTIN with GS1 Vietnam's prefix 893.",
        message_vi=(
            "Mã GTIN “{gtin}” không bắt đầu bằng tiền tố 893 của GS1 Việt Nam dù hàng hóa sản "
            "xuất tại Việt Nam; hãy kiểm tra lại mã đã đăng ký."
        ),
        message_en=(
            "GTIN “{gtin}” does not start with 893, GS1 Vietnam's prefix, although the goods are "
            "made in Việt Nam; check the registered number."
        ),
        reference=REF_GTIN_PREFIX,
        why="Another prefix is allowed (e.g. a number licensed abroad); it is only worth a look.",
    ),
    Rule(
        id="GS1-BATCH-CHARSET",
        severity="error",
        basis="C",
        stage="spec",
        fields=("product.batch",),
        summary=(
            "With a GTIN, the batch goes into the GS1 Digital Link QR, so it is 1 to 20 characters "
            "of GS1's 82-character set (no Vietnamese letters, no spaces)."
        ),
        message_vi=(
            "Số lô “{value}” không dùng được trong mã GS1 Digital Link: chỉ được gồm từ 1 đến 20 "
            "ký tự thuộc bộ 82 ký tự của GS1 (chữ Latinh không dấu, chữ số và một số dấu); "
            "{problem}."
        ),
        message_en=(
            "Batch “{value}” cannot go into a GS1 Digital Link: it may only hold 1 to 20 "
            "characters of GS1's 82-character set (unaccented Latin letters, digits, some "
            "marks); {problem}."
        ),
        reference=REF_DIGITAL_LINK,
    ),
    Rule(
        id="GS1-SERIAL-CHARSET",
        severity="error",
        basis="C",
        stage="spec",
        fields=("traceability.serial",),
        summary=(
            "With a GTIN, the serial obeys the same 1 to 20 characters of the 82-character set."
        ),
        message_vi=(
            "Số sê-ri “{value}” không dùng được trong mã GS1 Digital Link: chỉ được gồm từ 1 đến "
            "20 ký tự thuộc bộ 82 ký tự của GS1 (chữ Latinh không dấu, chữ số và một số dấu); "
            "{problem}."
        ),
        message_en=(
            "Serial “{value}” cannot go into a GS1 Digital Link: it may only hold 1 to 20 "
            "characters of GS1's 82-character set (unaccented Latin letters, digits, some "
            "marks); {problem}."
        ),
        reference=REF_DIGITAL_LINK,
    ),
    Rule(
        id="GS1-QR-MODULE-SIZE",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.qr",),
        summary=(
            f"The QR code's module is {_range_en(*_QR_RANGE)} mm, so the symbol with its quiet "
            "zone is at least (modules + 8) times 0.396 mm wide."
        ),
        message_vi=(
            "Mô-đun của mã QR là {module_mm} mm, nằm ngoài khoảng cho phép "
            f"{_range_vi(*_QR_RANGE)} mm."
        ),
        message_en=(
            "The QR code's module is {module_mm} mm, outside the allowed "
            f"{_range_en(*_QR_RANGE)} mm."
        ),
        reference=REF_QR,
    ),
    Rule(
        id="GS1-QR-QUIET-ZONE",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.qr",),
        summary=(
            f"At least {limits.QR_QUIET_ZONE_MODULES} modules around the QR code are free of "
            "artwork."
        ),
        message_vi=(
            "Vùng trống quanh mã QR chỉ rộng {quiet_zone_modules} mô-đun; cần ít nhất "
            f"{limits.QR_QUIET_ZONE_MODULES} mô-đun không có hình vẽ."
        ),
        message_en=(
            "The QR code's quiet zone is only {quiet_zone_modules} modules wide; at least "
            f"{limits.QR_QUIET_ZONE_MODULES} modules free of artwork are needed."
        ),
        reference=REF_QR,
    ),
    Rule(
        id="GS1-EAN-SIZE",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.ean13",),
        summary=(
            f"The EAN-13 module is {_range_en(*_EAN_RANGE)} mm and the bars are at least the "
            "nominal 22.85 mm scaled with the module, never truncated; see "
            "limits.ean_min_bar_height_mm."
        ),
        message_vi=(
            "Mã vạch EAN-13 có mô-đun {module_mm} mm và thanh vạch cao {bar_height_mm} mm; cần "
            f"mô-đun {_range_vi(*_EAN_RANGE)} mm và thanh vạch cao ít nhất {{min_bar_height_mm}} "
            "mm, không được cắt ngắn."
        ),
        message_en=(
            "The EAN-13 symbol has a {module_mm} mm module and {bar_height_mm} mm bars; it needs "
            f"a {_range_en(*_EAN_RANGE)} mm module and bars at least {{min_bar_height_mm}} mm "
            "high, never truncated."
        ),
        reference=REF_EAN,
    ),
    Rule(
        id="GS1-EAN-QUIET-ZONE",
        severity="error",
        basis="C",
        stage="layout",
        fields=("layout.ean13",),
        summary=(
            f"Quiet zones of at least {limits.EAN_QUIET_ZONE_LEFT_MODULES} modules left and "
            f"{limits.EAN_QUIET_ZONE_RIGHT_MODULES} right of the EAN-13 bars."
        ),
        message_vi=(
            "Vùng trống của mã vạch EAN-13 là {left_modules} mô-đun bên trái và {right_modules} "
            f"mô-đun bên phải; cần ít nhất {limits.EAN_QUIET_ZONE_LEFT_MODULES} mô-đun bên trái "
            f"và {limits.EAN_QUIET_ZONE_RIGHT_MODULES} mô-đun bên phải."
        ),
        message_en=(
            "The EAN-13 quiet zones are {left_modules} modules left and {right_modules} right; "
            f"at least {limits.EAN_QUIET_ZONE_LEFT_MODULES} left and "
            f"{limits.EAN_QUIET_ZONE_RIGHT_MODULES} right are needed."
        ),
        reference=REF_EAN,
    ),
    Rule(
        id="GS1-EAN-PRINT-TOLERANCE",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.ean13",),
        summary=(
            "The EAN-13 is at least at the magnification its print process needs to scan after "
            f"the press's ink spread and blur ({limits.EAN_MAGNIFICATION_TOLERANT_PERCENT} % by "
            "default), or at what `codes.ean_magnification_min` accepts."
        ),
        message_vi=(
            "Mã vạch EAN-13 chỉ in ở độ phóng đại {magnification} %, dưới {required} % mà cách "
            "in {print_process} cần để còn quét được sau khi mực loang; hãy chọn mẫu nhãn có ô "
            "mã vạch lớn hơn, hoặc hỏi nhà in rồi đặt codes.ean_magnification_min."
        ),
        message_en=(
            "The EAN-13 prints at {magnification} % magnification, below the {required} % that "
            "{print_process} printing needs for it to scan after the ink spreads; choose a "
            "template with a larger barcode slot, or ask the printer and set "
            "codes.ean_magnification_min."
        ),
        reference=REF_EAN,
        why=(
            "GS1's 80 % is the legal floor; the print tolerance above it is print-shop practice "
            "(a secondary source), and the printer knows its own press."
        ),
    ),
    Rule(
        id="GS1-EAN-REDUCED-MAGNIFICATION",
        severity="warning",
        basis="advice",
        stage="layout",
        fields=("layout.ean13",),
        summary=(
            "An EAN-13 the spec accepts below "
            f"{limits.EAN_MAGNIFICATION_TOLERANT_PERCENT} % (`codes.ean_magnification_min`, "
            "down to GS1's 80 %) is reported, so that a press proof is scanned before the run."
        ),
        message_vi=(
            "Mã vạch EAN-13 in ở độ phóng đại {magnification} % (nhãn cho phép đến {accepted} %): "
            "hãy quét thử bản in thử trước khi in hàng loạt."
        ),
        message_en=(
            "The EAN-13 prints at {magnification} % magnification (the spec accepts down to "
            "{accepted} %): scan a press proof before the run."
        ),
        reference=REF_EAN,
        why="Within GS1's range and accepted by the spec: a reminder, never a refusal.",
    ),
    Rule(
        id="GS1-QR-PRINT-TOLERANCE",
        severity="warning",
        basis="S",
        stage="layout",
        fields=("layout.qr",),
        summary=(
            "The QR code's module is at least what its print process needs to scan after the "
            f"press's ink spread and blur ({limits.QR_MODULE_TOLERANT_MM} mm by default)."
        ),
        message_vi=(
            "Mô-đun của mã QR là {module_mm} mm, nhỏ hơn {required_mm} mm mà cách in "
            "{print_process} cần; hãy chọn mẫu nhãn có ô mã QR lớn hơn hoặc rút ngắn nội dung mã."
        ),
        message_en=(
            "The QR code's module is {module_mm} mm, under the {required_mm} mm that "
            "{print_process} printing needs; choose a template with a larger QR slot or "
            "shorten what the code holds."
        ),
        reference=REF_QR,
        why=(
            "GS1's 0.396 mm is the legal floor; the print tolerance above it is print-shop "
            "practice (a secondary source), and a print run's longer signed codes may sit below it."
        ),
    ),
)

REF_REGISTRY = (
    f"{REF_OCOP}; GS1 Digital Link URI Syntax (mã QR dẫn tới trang xác thực của hệ thống)"
)
REGISTRY_WHY = (
    "The label itself may be lawful; only the answer its QR code gets from the configured "
    "registry is at stake, so this never blocks a release."
)
# Checked against the configured registry (labelgen.compliance.registry_rules), not the spec
# alone: only `labelgen check` with a registry, the service's check and the designer run them.
_REGISTRY_RULES: tuple[Rule, ...] = (
    Rule(
        id="OCOP-REGISTRY-CERTIFICATE",
        severity="warning",
        basis="advice",
        stage="registry",
        fields=("certification.certificate_no",),
        summary=(
            "The certificate the label cites is in the configured registry, for this product "
            "and with these stars."
        ),
        message_vi=(
            "Giấy chứng nhận {certificate_no} {problem} trong hệ thống xác thực; người mua quét "
            "mã QR sẽ thấy “Mã không có trong hệ thống”. Nhờ cơ quan cấp chứng nhận đăng ký "
            "(labelgen registry certificate add) trước khi in."
        ),
        message_en=(
            "Certificate {certificate_no} {problem} in the verification registry; a buyer who "
            "scans the QR code will read “not in the system”. Ask the issuing body to register "
            "it (labelgen registry certificate add) before printing."
        ),
        reference=REF_REGISTRY,
        why=REGISTRY_WHY,
    ),
    Rule(
        id="OCOP-REGISTRY-PRODUCT",
        severity="warning",
        basis="advice",
        stage="registry",
        fields=("product.gtin",),
        summary="The product's GTIN is registered in the configured registry.",
        message_vi=(
            "Sản phẩm mang mã GTIN {gtin} chưa có trong hệ thống xác thực; mã QR sẽ trả lời "
            "“Mã không có trong hệ thống”. Đăng ký sản phẩm và lô cùng lúc: {command}"
        ),
        message_en=(
            "No product with GTIN {gtin} is in the verification registry; the QR code will "
            "answer “not in the system”. Register the product and its batch in one step: "
            "{command}"
        ),
        reference=REF_REGISTRY,
        why=REGISTRY_WHY,
    ),
    Rule(
        id="OCOP-REGISTRY-BATCH",
        severity="warning",
        basis="advice",
        stage="registry",
        fields=("product.batch",),
        summary="The label's batch is registered for its product in the configured registry.",
        message_vi=(
            "Lô {batch} chưa được đăng ký trong hệ thống xác thực; mã QR sẽ trả lời “Mã không "
            "có trong hệ thống”. Đăng ký lô từ chính tệp nhãn này: {command}"
        ),
        message_en=(
            "Batch {batch} is not registered in the verification registry; the QR code will "
            "answer “not in the system”. Register it from this label spec: {command}"
        ),
        reference=REF_REGISTRY,
        why=REGISTRY_WHY,
    ),
)

RULES: tuple[Rule, ...] = _MANDATORY_RULES + _OTHER_RULES + _REGISTRY_RULES
"""Every rule, in the order docs/rules.md lists them."""

RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in RULES}


def get_rule(rule_id: str) -> Rule:
    """The rule with this id; KeyError naming the id when there is none."""
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        raise KeyError(f"no compliance rule has the id {rule_id!r}") from None


def make_finding(rule_id: str, field: str, **params: Any) -> Finding:
    """A finding of the rule `rule_id` about `field`, its messages filled in with `params`.

    Dates, floats and Bilingual values are written the way each language expects
    (28/11/2026 and 0,4 mm in Vietnamese; 2026-11-28 and 0.4 mm in English).
    """
    rule = get_rule(rule_id)
    missing = [name for name in rule.params if name not in params]
    if missing:
        raise TypeError(f"{rule_id} needs the message parameter(s) {', '.join(missing)}")
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        field=field,
        message_vi=_fill(rule.message_vi, params, "vi"),
        message_en=_fill(rule.message_en, params, "en"),
        reference=rule.reference,
    )


def _fill(template: str, params: Mapping[str, Any], language: Language) -> str:
    return template.format_map(
        {name: format_param(value, language) for name, value in params.items()}
    )


def rules_for_stage(stage: Stage) -> Iterator[Rule]:
    """The rules checked at one stage: 'spec' (from the spec alone), 'layout' (as drawn) or
    'registry' (against the configured registry)."""
    return (rule for rule in RULES if rule.stage == stage)


def render_rules_markdown() -> str:
    """docs/rules.md: every rule with its severity, basis, fields, messages and reference."""
    lines = [
        "# Compliance rules",
        "",
        "Generated from `labelgen/compliance/catalogue.py` by `python -m labelgen.compliance`;",
        "do not edit by hand. A test keeps this page equal to the catalogue.",
        "",
        "Severity follows the confidence markers of the regulations digest: a rule read in the",
        "legal text ([C]) is an `error` and blocks the release of the label; a rule from a",
        "secondary source ([S]) or not confirmed ([U]) is a `warning`; advice, or a rule the",
        "check can only infer from the spec, is a `warning` or `info` and never blocks.",
        "`spec` rules are checked from the label spec; `layout` rules are measured on the drawn",
        "label by the layout stage, which reports them through `make_finding(rule_id, field,",
        "**params)`; `registry` rules compare the spec with the configured certificate registry",
        "(`labelgen check` when one is set up, the service's check and the designer). Message",
        "parameters are shown in braces.",
        "",
        "| id | severity | basis | stage | fields |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        basis = rule.basis if rule.basis == "advice" else f"[{rule.basis}]"
        fields = ", ".join(f"`{field}`" for field in rule.fields)
        lines.append(
            f"| [`{rule.id}`](#{rule.id.lower()}) | {rule.severity} | {basis} | "
            f"{rule.stage} | {fields} |"
        )
    for rule in RULES:
        lines += ["", *_rule_section(rule)]
    return "\n".join(lines) + "\n"


def _rule_section(rule: Rule) -> list[str]:
    lines = [
        f"## {rule.id}",
        "",
        rule.summary,
        "",
        f"- Severity: `{rule.severity}`. {BASIS_NOTES[rule.basis]}"
        + (f" {rule.why}" if rule.why else ""),
        f"- Stage: {rule.stage}; fields: " + ", ".join(f"`{field}`" for field in rule.fields),
        f"- Reference: {rule.reference}",
    ]
    if rule.params:
        lines.append("- Message parameters: " + ", ".join(f"`{name}`" for name in rule.params))
    lines += [f"- Message (vi): {rule.message_vi}", f"- Message (en): {rule.message_en}"]
    if rule.items:
        lines += ["- Items, each filling `{item}` when missing:"]
        lines += [
            f"  - {item.name_vi} / {item.name_en}: "
            + " or ".join(f"`{field}`" for field in item.fields)
            for item in rule.items
        ]
    return lines
