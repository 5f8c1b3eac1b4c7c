"""A check's report + the app's registry → the report with the registry's warnings (labelgen.compliance.registry_rules).

The service always has a registry, and the codes it prints point at its own verification page:
so its check (and the designer, which shows that check) warns about a cited certificate, a
product or a batch the registry does not know, whose QR code would answer "not in the system".
"""

from __future__ import annotations

import logging

from fastapi import Request

from labelgen.compliance import Report
from labelgen.compliance.registry_rules import registry_findings, with_findings
from labelgen.errors import RegistryUnavailableError
from labelgen.service.registry import RegistryAccess
from labelgen.spec import LabelSpec

logger = logging.getLogger(__name__)


async def with_registry_warnings(
    request: Request, report: Report, spec: LabelSpec | None
) -> Report:
    """`report` with the registry's warnings on `spec`; as it is when the registry is not open
    yet or cannot be read (the check itself does not need it)."""
    access: RegistryAccess | None = getattr(request.app.state, "registry", None)
    if access is None or spec is None:
        return report
    try:
        registration = await access.call(access.registry.registration, spec)
    except RegistryUnavailableError as error:
        logger.warning("check answered without the registry's warnings: %s", error)
        return report
    return with_findings(report, registry_findings(spec, registration))
