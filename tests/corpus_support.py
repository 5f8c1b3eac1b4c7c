"""The evaluation corpus (tests/corpus): its specs, its dev/holdout split, the fresh part written
apart from both, and the text a rendered label must print, checked on the PDF's own text as
`pdftotext` extracts it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labelgen.compliance import SUPPLEMENT_PHRASES, get_rule
from labelgen.compliance.catalogue import MANDATORY_RULE_BY_CATEGORY
from labelgen.spec import LabelSpec

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
PARTS = ("dev", "holdout")
"""The parts the split rule divides the corpus into."""
FRESH = "fresh"
"""Specs written later, apart from dev and holdout, and never used to work on the templates: a
measurement afresh. The split rule does not apply to them."""
FRESH2 = "fresh2"
"""A second fresh part, written later again and in the same way: not split either."""
FRESH3 = "fresh3"
"""A third fresh part, written later again and in the same way: not split either."""
ALL_PARTS = (*PARTS, FRESH, FRESH2, FRESH3)
HOLDOUT_EVERY = 3  # within each template or set, sorted by file name: every third → holdout
AS_OF = dt.date(2026, 12, 7)
"""The day the corpus was written: its certificates and dates are judged as of it, so a rate
measured next year still means the same thing."""

CORE_RULE = "VN-LBL-MANDATORY-CORE"
# Characters that may sit inside printed text without being seen: soft hyphen, zero-width ones.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def corpus_paths(part: str) -> list[Path]:
    """The specs of one part of the corpus ('dev', 'holdout' or a fresh one), sorted by
    file name."""
    return sorted((CORPUS_DIR / part).glob("*.yaml"))


def template_key(template: str | Sequence[str]) -> str:
    """A template or label set as one name: 'round-jar', 'ocop-classic+back-panel'."""
    return template if isinstance(template, str) else "+".join(template)


def raw_template_key(path: Path) -> str:
    """The template key of a spec file read as plain YAML (valid or not)."""
    document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    template = document.get("template", "ocop-classic") if isinstance(document, dict) else ""
    return template_key(template if isinstance(template, str | list) else str(template))


def split_by_rule(paths: Iterable[Path]) -> dict[str, str]:
    """Which part each spec file belongs to under the corpus's split rule: grouped by template
    or set, sorted by file name within the group, every third file goes to holdout."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        groups[raw_template_key(path)].append(path.name)
    parts: dict[str, str] = {}
    for names in groups.values():
        for position, name in enumerate(sorted(names), start=1):
            parts[name] = "holdout" if position % HOLDOUT_EVERY == 0 else "dev"
    return parts


def misplaced_files() -> list[str]:
    """Spec files that sit in the other part than the split rule gives them (dev and holdout
    only: the fresh part is not split)."""
    placed = {path.name: part for part in PARTS for path in corpus_paths(part)}
    expected = split_by_rule(path for part in PARTS for path in corpus_paths(part))
    return sorted(name for name, part in placed.items() if expected[name] != part)


# --- the text of a PDF ------------------------------------------------------------------------


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def pdf_texts(pdf: bytes) -> tuple[str, ...]:
    """The text of a PDF as `pdftotext` reads it, in content-stream order and in reading order
    (the two differ when panels or columns sit side by side; a value may be found in either)."""
    with tempfile.TemporaryDirectory(prefix="labelgen-fit-") as folder:
        path = Path(folder) / "label.pdf"
        path.write_bytes(pdf)
        return tuple(
            subprocess.run(
                ["pdftotext", "-enc", "UTF-8", *mode, str(path), "-"],
                check=True,
                capture_output=True,
            ).stdout.decode("utf-8")
            for mode in (["-raw"], [])
        )


def compact(text: str) -> str:
    """Text compared as printed: NFC, case folded, with no white space (a value may be broken
    across lines anywhere) and no invisible characters."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).casefold()
    return "".join(text.split())


# --- what must be printed -------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A mandatory item and the ways its value may be printed (any one of them will do)."""

    field: str
    forms: tuple[str, ...]

    def found_in(self, compacted_texts: Sequence[str]) -> bool:
        return any(pattern.search(text) for pattern in self.patterns() for text in compacted_texts)

    def patterns(self) -> list[re.Pattern[str]]:
        # A figure must not be the tail of a longer one: "5 kg" is not found in "0,5 kg".
        return [
            re.compile(("(?<![\\d.,])" if form[:1].isdigit() else "") + re.escape(compact(form)))
            for form in self.forms
        ]


def number_forms(value: float) -> tuple[str, ...]:
    """A figure as a label may write it: '5', '39,5' (Vietnamese) or '39.5'."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return tuple(dict.fromkeys((text.replace(".", ","), text)))


def date_forms(day: dt.date) -> tuple[str, ...]:
    return (
        day.strftime("%d/%m/%Y"),
        day.strftime("%d.%m.%Y"),
        day.strftime("%d-%m-%Y"),
        day.isoformat(),
    )


def field_forms(spec: LabelSpec, field: str) -> tuple[str, ...]:
    """The printed forms of one spec field's value; empty when the spec does not give it."""
    product = spec.product
    if field == "product.net_quantity":
        quantity = product.net_quantity
        if quantity is None:
            return ()
        # Compared case folded, so "1 L" is also found written "1 l".
        return tuple(f"{n} {quantity.unit}" for n in number_forms(quantity.value))
    if field == "product.ethanol_percent":
        if product.ethanol_percent is None:
            return ()
        return tuple(f"{n}%" for n in number_forms(product.ethanol_percent))
    if field == "product.origin":
        if product.origin is None:
            return ()
        phrase, country = product.origin.phrase.rstrip(": "), product.origin.country
        return (f"{phrase} {country}", f"{phrase}: {country}")
    if field in ("product.manufactured_on", "product.expires_on"):
        day = getattr(product, field.removeprefix("product."))
        return date_forms(day) if day is not None else ()
    if field == "product.shelf_life":
        shelf_life = product.shelf_life
        if shelf_life is None:
            return ()
        span = f"{shelf_life.months} tháng" if shelf_life.months else f"{shelf_life.days} ngày"
        expiry = product.expiry_date
        return (span, *(date_forms(expiry) if expiry is not None else ()))
    section, _, name = field.partition(".")
    value = getattr(getattr(spec, section, None), name, None)
    return (value,) if isinstance(value, str) else ()


def expected_items(spec: LabelSpec) -> list[Expected]:
    """Every mandatory item of the spec's category that the spec gives a value for, as the
    label must print it: the catalogue's mandatory items (any one field of an item with
    alternatives), the declared net quantity, the phrases of a health supplement and the
    alcohol health warning. A spec that names where the rest is printed (`elsewhere`) is held
    to the core items and that note."""
    rule_ids = [CORE_RULE]
    elsewhere = getattr(spec, "elsewhere", None)
    category_rule = MANDATORY_RULE_BY_CATEGORY.get(spec.product.category)
    if category_rule is not None and elsewhere is None:
        rule_ids.append(category_rule)
    expected: list[Expected] = []
    for rule_id in rule_ids:
        for item in get_rule(rule_id).items:
            forms = tuple(form for field in item.fields for form in field_forms(spec, field))
            if forms and all(e.field != item.fields[0] for e in expected):
                expected.append(Expected(item.fields[0], forms))
    if not any(e.field == "product.net_quantity" for e in expected):
        forms = field_forms(spec, "product.net_quantity")
        if forms:
            expected.append(Expected("product.net_quantity", forms))
    if elsewhere is not None:
        expected.append(Expected("elsewhere.where", (elsewhere.where,)))
        return expected
    if spec.product.category == "supplement":
        expected += [Expected("supplement_notice", (phrase,)) for phrase in SUPPLEMENT_PHRASES]
    if spec.product.category == "alcohol":
        expected += [
            Expected("alcohol_warning", (sentence,)) for sentence in alcohol_warning_sentences()
        ]
    return expected


def alcohol_warning_sentences() -> tuple[str, ...]:
    """The health warning of Decree 24/2020 that an alcohol label prints, sentence by sentence."""
    from labelgen import wording

    sentences = getattr(wording, "ALCOHOL_WARNING_SENTENCES", None)
    if sentences:
        return tuple(sentences)
    return (wording.ALCOHOL_WARNING_VI,)


def missing_items(spec: LabelSpec, texts: Sequence[str]) -> list[str]:
    """The fields of the mandatory items whose value is in none of the texts."""
    compacted = [compact(text) for text in texts]
    return [item.field for item in expected_items(spec) if not item.found_in(compacted)]
