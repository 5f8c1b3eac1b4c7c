"""A LabelSpec + what the configured registry holds on it → warnings when its QR would answer unknown.

The spec-stage rules judge the label alone; these compare it with a certificate registry, which
only the caller can reach (`labelgen check` when a registry is set up, the service's check and
so the designer). The caller asks the registry (`Registry.registration`) and hands the answer
here, so this module stays free of any database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from labelgen.compliance.catalogue import Bilingual, make_finding
from labelgen.compliance.report import Finding, Report, sort_findings
from labelgen.spec import LabelSpec

CertificateRegistration = Literal["registered", "missing", "other-product"]
# What the offered command names when the spec has no file name (the service, the designer).
SPEC_PLACEHOLDER = "SPEC"
_CERTIFICATE_PROBLEMS: dict[CertificateRegistration, Bilingual] = {
    "missing": Bilingual("chưa được đăng ký", "is not registered"),
    "other-product": Bilingual(
        "được đăng ký cho một sản phẩm khác", "is registered for another product"
    ),
}


@dataclass(frozen=True)
class Registration:
    """What the registry holds on a label: its cited certificate (None when it cites none),
    its product by GTIN (None without a GTIN) and its batch (None when the spec names none or
    its product is not registered)."""

    certificate: CertificateRegistration | None
    product_registered: bool | None
    batch_registered: bool | None


def batch_command(spec_name: str) -> str:
    """The one command that registers a spec's product and batch."""
    return f"labelgen registry batch add --from-spec {spec_name}"


def registry_findings(
    spec: LabelSpec, registration: Registration | None, spec_name: str = SPEC_PLACEHOLDER
) -> list[Finding]:
    """The warnings for each part of the label the registry does not know, in catalogue order;
    none when the registry is not in use (`registration` None)."""
    findings: list[Finding] = []
    if registration is None:
        return findings
    certification = spec.certification
    if certification is not None and registration.certificate in _CERTIFICATE_PROBLEMS:
        findings.append(
            make_finding(
                "OCOP-REGISTRY-CERTIFICATE",
                "certification.certificate_no",
                certificate_no=certification.certificate_no,
                problem=_CERTIFICATE_PROBLEMS[registration.certificate],
            )
        )
    command = batch_command(spec_name)
    if registration.product_registered is False and spec.product.gtin is not None:
        findings.append(
            make_finding(
                "OCOP-REGISTRY-PRODUCT", "product.gtin", gtin=spec.product.gtin, command=command
            )
        )
    if registration.batch_registered is False and spec.product.batch is not None:
        findings.append(
            make_finding(
                "OCOP-REGISTRY-BATCH", "product.batch", batch=spec.product.batch, command=command
            )
        )
    return findings


def with_findings(report: Report, findings: list[Finding]) -> Report:
    """`report` with `findings` added in severity order (a warning never changes `compliant`)."""
    if not findings:
        return report
    return dataclasses.replace(report, findings=sort_findings([*report.findings, *findings]))
