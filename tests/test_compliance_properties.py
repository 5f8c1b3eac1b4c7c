"""Property tests: GTIN check digits, date order and shelf life, OCOP validity boundaries."""

from __future__ import annotations

import datetime as dt

from compliance_specs import DELETE, report_for, rules_in
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgen.compliance import make_finding
from labelgen.gtin import gtin_check_digit
from labelgen.spec import add_months

FEW = settings(max_examples=25, deadline=None)
DATA_DIGITS = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda length: st.text(alphabet="0123456789", min_size=length, max_size=length)
)
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
DECISION_DATES = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 11, 28))


@FEW
@given(DATA_DIGITS)
def test_a_gtin_with_its_check_digit_passes(data_digits: str) -> None:
    gtin = data_digits + str(gtin_check_digit(data_digits))
    assert "GS1-GTIN-CHECK-DIGIT" not in rules_in(report_for({"product.gtin": gtin}))


@FEW
@given(DATA_DIGITS, st.integers(min_value=1, max_value=9))
def test_any_other_last_digit_fails_and_names_the_right_one(data_digits: str, shift: int) -> None:
    right = gtin_check_digit(data_digits)
    gtin = data_digits + str((right + shift) % 10)
    report = report_for({"product.gtin": gtin})
    [finding] = [item for item in report.findings if item.rule == "GS1-GTIN-CHECK-DIGIT"]
    assert finding.message_vi.endswith(f"chữ số cuối phải là {right}.")


@FEW
@given(DATES, st.integers(min_value=1, max_value=240))
def test_a_shelf_life_never_puts_expiry_before_manufacture(made: dt.date, months: int) -> None:
    changes = {
        "product.manufactured_on": made.isoformat(),
        "product.shelf_life": {"months": months},
    }
    assert "VN-LBL-DATE-ORDER" not in rules_in(report_for(changes, as_of=made))


@FEW
@given(DATES, st.integers(min_value=0, max_value=3650))
def test_an_expiry_on_or_before_manufacture_is_an_error(made: dt.date, days_before: int) -> None:
    expiry = made - dt.timedelta(days=days_before)
    changes = {
        "product.manufactured_on": made.isoformat(),
        "product.shelf_life": DELETE,
        "product.expires_on": expiry.isoformat(),
    }
    report = report_for(changes, as_of=made)
    assert "VN-LBL-DATE-ORDER" in rules_in(report)
    assert not report.compliant


@FEW
@given(DECISION_DATES)
def test_a_certificate_is_valid_through_36_months_and_not_a_day_more(decided: dt.date) -> None:
    changes = {"certification.issued_on": decided.isoformat()}
    last_day = add_months(decided, 36)
    assert "OCOP-CERT-EXPIRED" not in rules_in(report_for(changes, as_of=last_day))
    day_after = last_day + dt.timedelta(days=1)
    assert "OCOP-CERT-EXPIRED" in rules_in(report_for(changes, as_of=day_after))


@FEW
@given(DECISION_DATES, st.integers(min_value=0, max_value=60))
def test_renewal_is_due_only_in_the_last_30_days(decided: dt.date, days_before_end: int) -> None:
    changes = {"certification.issued_on": decided.isoformat()}
    as_of = add_months(decided, 36) - dt.timedelta(days=days_before_end)
    due = "OCOP-CERT-RENEWAL" in rules_in(report_for(changes, as_of=as_of))
    assert due is (days_before_end < 30)


@FEW
@given(DECISION_DATES, st.integers(min_value=1, max_value=400))
def test_a_valid_until_past_36_months_is_an_error(decided: dt.date, extra_days: int) -> None:
    valid_until = add_months(decided, 36) + dt.timedelta(days=extra_days)
    changes = {
        "certification.issued_on": decided.isoformat(),
        "certification.valid_until": valid_until.isoformat(),
    }
    assert "OCOP-VALID-UNTIL" in rules_in(report_for(changes, as_of=decided))


@FEW
@given(DATES)
def test_dates_in_messages_are_written_per_language(day: dt.date) -> None:
    finding = make_finding("VN-LBL-DATE-ORDER", "product.expires_on", expiry=day, manufactured=day)
    assert f"({day.day:02d}/{day.month:02d}/{day.year})" in finding.message_vi
    assert f"({day.isoformat()})" in finding.message_en
