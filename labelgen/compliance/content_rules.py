"""A LabelSpec → findings on mandatory items, alcohol warning, QUID and Vietnamese twins."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from labelgen.compliance._checks import Check, value_at
from labelgen.compliance.catalogue import (
    MANDATORY_RULE_BY_CATEGORY,
    Bilingual,
    get_rule,
    make_finding,
)
from labelgen.compliance.report import Finding
from labelgen.compliance.vntext import name_key
from labelgen.spec import LabelSpec, Product
from labelgen.wording import resembled_alcohol_warning, split_sentences

CORE_RULE = "VN-LBL-MANDATORY-CORE"

# Categories whose ingredients are eaten or drunk, where quantified-ingredient declaration applies;
# a handicraft's "ingredients" are its materials and a cosmetic lists INCI names without amounts.
QUID_CATEGORIES = frozenset({"food", "staple", "supplement", "beverage", "alcohol", "herbal"})
# Single words also name product types ("nước" in "nước mắm"), so they are not matched.
QUID_MIN_WORDS = 2

_TOP_LEVEL_SEPARATOR = re.compile(r"[,;](?![^()]*\))")
_PARENTHESES = re.compile(r"\([^()]*\)")
_AMOUNT = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|phần\s+trăm|mg|g|kg|ml|cl|l)(?![^\W\d_])", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def mandatory_items_check(rule_id: str) -> Check:
    """The check of one mandatory-items rule: each item missing from the spec is a finding."""

    def check(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
        if (
            rule_id != CORE_RULE
            and MANDATORY_RULE_BY_CATEGORY.get(spec.product.category) != rule_id
        ):
            return
        for item in get_rule(rule_id).items:
            if all(value_at(spec, field) is None for field in item.fields):
                yield make_finding(
                    rule_id, item.fields[0], item=Bilingual(item.name_vi, item.name_en)
                )

    return check


def check_alcohol_warning(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    # The label prints the warning itself and drops sentences of the producer's that repeat it;
    # only another version of it, which would be printed beside it, is worth a look.
    product = spec.product
    if product.category != "alcohol" or product.warnings is None:
        return
    for sentence in split_sentences(product.warnings):
        official = resembled_alcohol_warning(sentence)
        if official is not None:
            yield make_finding(
                "VN-LBL-ALCOHOL-WARNING", "product.warnings", sentence=sentence, official=official
            )


def check_quantified_ingredients(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    product = spec.product
    if product.category not in QUID_CATEGORIES or product.ingredients is None:
        return
    for ingredient in unquantified_ingredients_in_name(product.name, product.ingredients):
        yield make_finding("VN-LBL-QUID", "product.ingredients", ingredient=ingredient)


def unquantified_ingredients_in_name(product_name: str, ingredients: str) -> Iterator[str]:
    """Ingredients named, whole, in the product's name whose amount the list does not give."""
    padded_name = f" {name_key(product_name)} "
    for entry in split_ingredients(ingredients):
        if _AMOUNT.search(entry):
            continue
        name = ingredient_name(entry)
        if len(name.split()) >= QUID_MIN_WORDS and f" {name_key(name)} " in padded_name:
            yield name


def split_ingredients(ingredients: str) -> list[str]:
    """An ingredient list split at commas and semicolons that are not inside parentheses."""
    text = ingredients.split(":", 1)[1] if ingredients.count(":") == 1 else ingredients
    return [entry.strip() for entry in _TOP_LEVEL_SEPARATOR.split(text) if entry.strip()]


def ingredient_name(entry: str) -> str:
    """An ingredient entry without bracketed detail or numbers: 'Hạt sen (Huế)' → 'Hạt sen'."""
    return " ".join(_NUMBER.sub(" ", _PARENTHESES.sub(" ", entry)).split())


def check_vietnamese_twins(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    for english_field in Product.model_fields:
        if not english_field.endswith("_en"):
            continue
        twin = english_field.removesuffix("_en")
        if getattr(spec.product, english_field) is not None and getattr(spec.product, twin) is None:
            yield make_finding(
                "VN-LBL-VI-TWIN", f"product.{twin}", english_field=f"product.{english_field}"
            )


CHECKS: dict[str, Check] = {
    **{rule_id: mandatory_items_check(rule_id) for rule_id in (CORE_RULE,)},
    **{rule_id: mandatory_items_check(rule_id) for rule_id in MANDATORY_RULE_BY_CATEGORY.values()},
    "VN-LBL-ALCOHOL-WARNING": check_alcohol_warning,
    "VN-LBL-QUID": check_quantified_ingredients,
    "VN-LBL-VI-TWIN": check_vietnamese_twins,
}
