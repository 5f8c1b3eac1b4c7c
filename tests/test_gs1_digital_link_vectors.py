"""GS1's public Digital Link parsing vectors, answered by labelgen.registry.digital_link as GS1 answers them.

The vectors are GS1's own test data, copied as data into tests/gs1_reference/ (its README says
from which repository, file and commit): the GS1 Barcode Syntax Engine's `test_dl_parseDLuri`
and `test_dl_testValidateDLpathAIseq`, and the URIs gs1/digital-link.js checks with isValid().
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgen.errors import CodeError, DigitalLinkError
from labelgen.registry.digital_link import (
    VALUE_CHECKS,
    ai_dictionary,
    check_ai_value,
    entry_for,
    is_key_sequence,
    parse_digital_link,
)
from labelgen.registry.verify import parse_unit_url

REFERENCE = Path(__file__).parent / "gs1_reference"
SYNTAX_ENGINE = json.loads((REFERENCE / "syntax_engine_dl_vectors.json").read_text("utf-8"))
DIGITAL_LINK_JS = json.loads((REFERENCE / "digital_link_js_vectors.json").read_text("utf-8"))
# The Syntax Engine's switches, as the vectors turn them on, and this parser's names for them.
OPTIONS = {
    "zero_suppressed_gtin": "legacy_gtin",
    "convenience_alphas": "convenience_alphas",
    "unknown_ai_as_attribute": "unknown_attributes",
}
PARSE_VECTORS = SYNTAX_ENGINE["parse_vectors"] + SYNTAX_ENGINE["built_vectors"]


def _answer(uri: str, **options: bool) -> str | None:
    """The element string of a valid URI, None for an invalid one."""
    try:
        return parse_digital_link(uri, **options).element_string()
    except DigitalLinkError:
        return None


def _vector_id(vector: dict[str, Any]) -> str:
    where = f"dl.c:{vector['line']}" if vector["line"] else vector["note"]
    return f"{where} {vector['uri'][:60]}"


@pytest.mark.parametrize("vector", PARSE_VECTORS, ids=_vector_id)
def test_every_syntax_engine_vector_gets_gs1s_answer(vector: dict[str, Any]) -> None:
    options = {OPTIONS[name]: True for name in vector["options"] if name in OPTIONS}
    expected = vector["element_string"] if vector["valid"] else None
    assert _answer(vector["uri"], **options) == expected


def test_the_vector_files_hold_every_vector() -> None:
    # dl.c calls test_parseDLuri 118 times and builds 3 more URIs in code.
    assert len(SYNTAX_ENGINE["parse_vectors"]) == 118
    assert len(SYNTAX_ENGINE["built_vectors"]) == 3
    assert len(SYNTAX_ENGINE["valid_key_qualifier_sequences"]) == 39
    assert len(DIGITAL_LINK_JS["vectors"]) == 32


@pytest.mark.parametrize("sequence", SYNTAX_ENGINE["valid_key_qualifier_sequences"], ids="/".join)
def test_every_key_qualifier_sequence_gs1_lists_is_valid(sequence: list[str]) -> None:
    # What GS1's vector checks (isValidDLpathAIseq): the sequence itself; the AIs' values and
    # their req=/ex= pairings are checked by the parse vectors above.
    assert is_key_sequence(sequence)
    assert not is_key_sequence(sequence[1:] + sequence[:1]) or len(sequence) == 1


def _js_vectors(changed: bool) -> list[dict[str, Any]]:
    return [v for v in DIGITAL_LINK_JS["vectors"] if (v["changed_by"] is not None) == changed]


@pytest.mark.parametrize("vector", _js_vectors(changed=False), ids=lambda v: f"js:{v['line']}")
def test_digital_link_js_vectors_whose_rule_has_not_changed(vector: dict[str, Any]) -> None:
    assert (_answer(vector["uri"]) is not None) == vector["digital_link_js_valid"]


@pytest.mark.parametrize("vector", _js_vectors(changed=True), ids=lambda v: f"js:{v['line']}")
def test_digital_link_js_vectors_under_the_rules_of_digital_link_1_4(
    vector: dict[str, Any],
) -> None:
    # digital-link.js (grammar 1.1) accepts these; Digital Link 1.4 and the Syntax Engine's
    # default mode do not, and neither does labelgen. With the legacy switches on, the old
    # answer comes back, except where the JS grammar and GS1's dictionary disagree.
    assert _answer(vector["uri"]) is None
    legacy = _answer(vector["uri"], legacy_gtin=True, convenience_alphas=True) is not None
    if vector["changed_by"] in ("gtin-14", "convenience-alphas"):
        assert legacy == vector["digital_link_js_valid"]


def test_a_legacy_gtin_is_refused_with_its_fourteen_digit_form() -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_digital_link("https://x.vn/01/8936012345672/10/L1")
    assert caught.value.ai == "01"
    assert caught.value.fourteen_digit == "08936012345672"
    assert "14 digits" in str(caught.value) and "08936012345672" in str(caught.value)


@pytest.mark.parametrize(
    ("query", "ai", "reason"),
    [
        ("17=271320", "17", "month 13"),  # the impossible expiry
        ("17=270230", "17", "day 30"),
        ("17=270231", "17", "day 31"),
        ("15=250229", "15", "day 29"),  # 2025 is not a leap year
        ("17=2712", "17", "too short"),
        ("17=27121a", "17", "digits only"),
        ("10=L2", "10", "more than once"),
        ("21=S2", "21", "not allowed as a data attribute"),
        ("99=A&99=B", "99", "more than once"),
        ("89=ABC", None, "does not define"),
        ("3103=19", "3103", "too short"),
        ("422=999", "422", "ISO 3166"),
        ("4321=2", "4321", "0 or 1"),
        ("8030=abc", "8030", "01+21"),  # a signature needs a serial
        ("8030=ab+c", "8030", "CSET 64"),
        ("98=caf%C3%A9", "98", "CSET 82"),
        ("20=1", "20", "too short"),
    ],
)
def test_query_attributes_are_checked_against_their_format(
    query: str, ai: str | None, reason: str
) -> None:
    with pytest.raises(DigitalLinkError) as caught:
        parse_digital_link(f"https://x.vn/01/08936012345674/10/L1?{query}")
    assert caught.value.ai == ai
    assert reason in str(caught.value)


def test_a_key_qualifier_in_the_query_is_refused() -> None:
    # The issue's `?10=`: 10 qualifies the GTIN, so Digital Link puts it in the path.
    with pytest.raises(DigitalLinkError, match="belongs in the path") as caught:
        parse_digital_link("https://x.vn/01/08936012345674?10=FAKE123")
    assert caught.value.ai == "10"


@pytest.mark.parametrize(
    "path", ["/01/08936012345674/17/271231", "/01/08936012345674/21/S1/8030/AAAA"]
)
def test_data_attributes_are_refused_in_the_path(path: str) -> None:
    with pytest.raises(DigitalLinkError, match="cannot follow it in the path"):
        parse_digital_link("https://x.vn" + path)


def test_day_00_is_allowed_where_gs1_allows_it() -> None:
    # AIs 11-17 take day 00 (the end of the month); AI 7003 (expiry time) does not.
    code = parse_digital_link("https://x.vn/01/08936012345674/10/L1?17=271200&11=261100")
    assert code.value("17") == "271200"
    with pytest.raises(DigitalLinkError, match="day 00"):
        parse_digital_link("https://x.vn/01/08936012345674/10/L1?7003=2712001200")


def test_ai_235_is_the_gtins_other_qualifier() -> None:
    code = parse_digital_link("https://x.vn/01/08936012345674/235/TPX-1?10=L1")
    assert code.path == (("01", "08936012345674"), ("235", "TPX-1"))
    assert code.attributes == (("10", "L1"),)
    with pytest.raises(DigitalLinkError, match="cannot follow"):
        parse_digital_link("https://x.vn/01/08936012345674/10/L1/235/TPX-1")


def test_labelgens_own_codes_parse() -> None:
    url = (
        "https://truyxuat.example.vn/01/08936012345674/10/L261120/21/A1B2C3?17=271120"
        "&s=4&c=OCOP-DT-2024-0178&8030=" + "A" * 88
    )
    code = parse_digital_link(url)
    assert code.value("21") == "A1B2C3" and code.value("8030") == "A" * 88
    assert code.parameter_values("s") == ["4"]
    assert code.parameter_values("c") == ["OCOP-DT-2024-0178"]


def test_every_check_the_dictionary_names_is_implemented() -> None:
    named = {
        check
        for entry in ai_dictionary().values()
        for component in entry.components
        for check in component.checks
    }
    assert named <= VALUE_CHECKS.keys(), named - VALUE_CHECKS.keys()
    assert len(ai_dictionary()) > 500


@pytest.mark.parametrize(
    ("ai", "value", "valid"),
    [
        ("8013", "1987654Ad4X4bL5ttr2310c2K", True),  # GS1 General Specifications' GMN
        ("8013", "1987654Ad4X4bL5ttr2310c2L", False),
        ("8007", "GB82WEST12345698765432", True),  # the IBAN of ISO 13616's example
        ("8007", "GB82WEST12345698765433", False),
        ("8008", "2612011230", True),
        ("8008", "2612012530", False),
        ("8001", "02000100015010", True),
        ("8001", "02000100015030", False),  # winding 3
        ("7040", "1AB0", True),
        ("8026", "0952012345678801020", False),
        ("8026", "095201234567880102", True),
        ("8026", "095201234567880302", False),  # piece 3 of 2
        ("4330", "001234-", True),
        ("4330", "001234+", False),
        ("7041", "BX", True),
        ("7041", "QQQ", False),
        ("426", "704", True),  # Viet Nam
        ("426", "999", False),
    ],
)
def test_value_checks(ai: str, value: str, valid: bool) -> None:
    try:
        check_ai_value(entry_for(ai), value)
    except DigitalLinkError:
        assert not valid
    else:
        assert valid


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("10=L1&8030=" + "A" * 88, "needs a GTIN and a serial"),
        ("10=L1&10=L2", "more than once"),
        ("10=L1&99=X", "only 10, 21 and 17"),
        ("10=L1&17=271320", "month 13"),
        ("10=L%C3%A0", "CSET 82"),
        ("10=L1&s=4&s=5", "more than once"),
    ],
)
def test_labelgens_ocop_codes_are_read_as_strictly(query: str, reason: str) -> None:
    base = "https://truyxuat.example.vn/ocop/OCOP-DT-2024-0178"
    assert parse_unit_url(f"{base}?10=L1&21=S1&17=271231&s=4").batch == "L1"
    with pytest.raises(DigitalLinkError, match=reason):
        parse_unit_url(f"{base}?{query}")


_PIECES = ["https://a/", "01/", "09520123456788", "/10/", "/21/", "/235/", "/22/", "?", "&",
           "=", "17=", "8030=", "s=", "%", "%2", "%00", "%C3%A9", "ocop/", "99=", "/", "+", "[",
           " ", "#"]  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_any_text_is_parsed_or_refused_with_a_code_error(text: str) -> None:
    for parse in (parse_digital_link, parse_unit_url):
        try:
            parse(text)
        except CodeError as error:
            assert str(error).startswith("url: ")
