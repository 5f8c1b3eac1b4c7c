"""A certification and a day → the problems the OCOP rules of `check` find with it, as the registry refuses them."""

from __future__ import annotations

import datetime as dt

from labelgen.errors import Problem, RegistryInputError
from labelgen.registry.models import Certificate
from labelgen.spec import Certification, LabelSpec

# About printing on a given day, not about the decision: an expired certificate is still a
# record (its codes answer `expired`), and a renewal notice is advice to the producer.
PRINTING_DAY_RULES = frozenset({"OCOP-CERT-EXPIRED", "OCOP-CERT-RENEWAL"})
CERTIFICATION_PREFIX = "certification."


def certificate_problems(certification: Certification, today: dt.date) -> list[Problem]:
    """The error findings of the OCOP rules (labelgen.compliance.ocop_rules) on a certificate,
    each naming the registry's field (`issued_by`, not `certification.issued_by`)."""
    # Imported here: the rules load the country's administrative units (30 ms), which a print
    # run's registry process, opened on the critical path of the run's start, never needs.
    from labelgen.compliance.ocop_rules import CHECKS

    # The OCOP rules read a spec's certification block only.
    spec = LabelSpec.model_construct(certification=certification)
    problems = []
    for rule, check in CHECKS.items():
        if rule in PRINTING_DAY_RULES:
            continue
        for finding in check(spec, today):
            if finding.severity == "error":
                field = finding.field.removeprefix(CERTIFICATION_PREFIX)
                problems.append(Problem(field, finding.message_en))
    return problems


def require_rules_met(certification: Certification, today: dt.date) -> None:
    """RegistryInputError naming each field an OCOP rule refuses."""
    problems = certificate_problems(certification, today)
    if problems:
        raise RegistryInputError(problems)


def stored_certification(certificate: Certificate) -> Certification:
    """A stored certificate as the spec's certification block, for the rules (not validated
    again: the row holds what was accepted, or what a change is about to write)."""
    return Certification.model_construct(
        scheme="OCOP",
        stars=certificate.stars,
        certificate_no=certificate.certificate_no,
        decision_no=certificate.decision_no,
        issued_by=certificate.issued_by,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        province=certificate.province,
        mark=None,
    )
