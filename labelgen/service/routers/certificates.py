"""Certificates resource: issuers register, renew, suspend, reinstate and revoke OCOP certificates; anyone reads one.

A certificate number may hold '/' (`2150/QĐ-UBND` style numbers exist), so it is one path segment
percent-encoded (`%2F`), and the routes take the rest of the path. The routes that end in an
action word are declared before the plain GET, so that `…/history` is never read as a number.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from labelgen.errors import Problem, RegistryInputError
from labelgen.registry.apikeys import Principal
from labelgen.registry.inputs import CertificateInput, RenewalInput, parse_input
from labelgen.registry.records import CertificateRecord
from labelgen.service.models import CertificateSummary, HistoryEntryModel
from labelgen.service.openapi import json_request_body, problem_responses
from labelgen.service.problems import (
    CONFLICT,
    FORBIDDEN,
    INVALID_REQUEST,
    MALFORMED_BODY,
    NOT_REGISTERED,
    REGISTRY_UNAVAILABLE,
    REQUEST_TOO_LARGE,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.registry import PrincipalDep, RegistryAccess, RegistryDep, require_role
from labelgen.service.registry_documents import (
    certificate_document,
    certificate_location,
    history_document,
    read_json_object,
)

router = APIRouter(prefix="/api/v1/certificates", tags=["certificates"])

NO_STORE = {"Cache-Control": "no-store"}
MAX_REASON_CHARS = 500
BODY_PROBLEMS = (MALFORMED_BODY, REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INVALID_REQUEST)
CHANGE_PROBLEMS = (
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_REGISTERED,
    CONFLICT,
    *BODY_PROBLEMS,
    REGISTRY_UNAVAILABLE,
)
REASON_BODY = json_request_body(
    "StatusChange", "Why (kept in the certificate's history); the body may be left out.", False
)


@router.post(
    "",
    status_code=201,
    summary="Register a certificate (issuer)",
    response_model=CertificateSummary,
    responses={
        201: {
            "description": "Registered; `Location` is its address.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        **problem_responses(
            UNAUTHORIZED, FORBIDDEN, CONFLICT, *BODY_PROBLEMS, REGISTRY_UNAVAILABLE
        ),
    },
    openapi_extra=json_request_body(
        "CertificateInput",
        "The spec's `certification` fields, plus the `producer` and the `product` "
        "(`name`, optional `gtin`); both are made when new.",
    ),
)
async def register_certificate(
    request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """Record a decision of the OCOP council: its number, stars, issuer, dates, product."""
    require_role(principal, "issuer", "register certificates")
    certificate = parse_input(CertificateInput, await read_json_object(request))
    record = await access.call(access.registry.register_certificate, principal, certificate)
    return JSONResponse(
        await _summary(access, record),
        status_code=201,
        headers={"Location": certificate_location(record.certificate_no), **NO_STORE},
    )


@router.get(
    "/{certificate_no:path}/history",
    summary="A certificate's history (issuer, or its producer)",
    response_model=list[HistoryEntryModel],
    responses=problem_responses(UNAUTHORIZED, NOT_REGISTERED, REGISTRY_UNAVAILABLE),
)
async def certificate_history(
    certificate_no: str, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """Every change, oldest first, each chained to the one before by its hash. Another
    producer's certificate is answered 404, as if it did not exist."""
    entries = await access.call(access.registry.certificate_history, principal, certificate_no)
    return JSONResponse(history_document(entries), headers=NO_STORE)


@router.post(
    "/{certificate_no:path}/revoke",
    summary="Revoke a certificate (issuer)",
    response_model=CertificateSummary,
    responses=problem_responses(*CHANGE_PROBLEMS),
    openapi_extra=REASON_BODY,
)
async def revoke_certificate(
    certificate_no: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """For good: its codes answer `revoked` from the next scan on."""
    return await _change_status(request, access, principal, certificate_no, "revoke")


@router.post(
    "/{certificate_no:path}/suspend",
    summary="Suspend a certificate (issuer)",
    response_model=CertificateSummary,
    responses=problem_responses(*CHANGE_PROBLEMS),
    openapi_extra=REASON_BODY,
)
async def suspend_certificate(
    certificate_no: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """Its codes answer `suspended` from the next scan on, until it is reinstated."""
    return await _change_status(request, access, principal, certificate_no, "suspend")


@router.post(
    "/{certificate_no:path}/reinstate",
    summary="Lift a suspension (issuer)",
    response_model=CertificateSummary,
    responses=problem_responses(*CHANGE_PROBLEMS),
    openapi_extra=REASON_BODY,
)
async def reinstate_certificate(
    certificate_no: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """A suspended certificate becomes active again."""
    return await _change_status(request, access, principal, certificate_no, "reinstate")


@router.post(
    "/{certificate_no:path}/renew",
    summary="Renew a certificate (issuer)",
    response_model=CertificateSummary,
    responses=problem_responses(*CHANGE_PROBLEMS),
    openapi_extra=json_request_body(
        "RenewalRequest",
        "The new decision (number, date), and its validity, stars or issuer when they change.",
    ),
)
async def renew_certificate(
    certificate_no: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """A re-recognition: new decision and validity (36 months unless given), maybe new stars."""
    require_role(principal, "issuer", "renew certificates")
    document = await read_json_object(request)
    reason = _reason(document.pop("reason", None))
    renewal = parse_input(RenewalInput, document)
    record = await access.call(
        access.registry.renew_certificate, principal, certificate_no, renewal, reason
    )
    return JSONResponse(await _summary(access, record), headers=NO_STORE)


@router.get(
    "/{certificate_no:path}",
    summary="A certificate (public)",
    response_model=CertificateSummary,
    responses=problem_responses(NOT_REGISTERED, REGISTRY_UNAVAILABLE),
)
async def get_certificate(certificate_no: str, access: RegistryDep) -> JSONResponse:
    """What the consumer page shows of a certificate; anyone may read it."""
    record = await access.call(access.registry.get_certificate, certificate_no)
    # Short-lived: a revocation must show within a minute even through a cache.
    return JSONResponse(
        await _summary(access, record), headers={"Cache-Control": "public, max-age=60"}
    )


async def _change_status(
    request: Request,
    access: RegistryAccess,
    principal: Principal,
    certificate_no: str,
    action: str,
) -> JSONResponse:
    require_role(principal, "issuer", f"{action} certificates")
    document = await read_json_object(request, required=False)
    unknown = sorted(set(document) - {"reason"})
    if unknown:
        raise RegistryInputError(
            [Problem(name, "is not a known field (check the spelling)") for name in unknown]
        )
    change = {
        "revoke": access.registry.revoke_certificate,
        "suspend": access.registry.suspend_certificate,
        "reinstate": access.registry.reinstate_certificate,
    }[action]
    reason = _reason(document.get("reason"))
    record = await access.call(change, principal, certificate_no, reason)
    return JSONResponse(await _summary(access, record), headers=NO_STORE)


async def _summary(access: RegistryAccess, record: CertificateRecord) -> dict[str, Any]:
    return certificate_document(record, access.registry.today())


def _reason(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_REASON_CHARS:
        raise RegistryInputError(
            [Problem("reason", f"must be text of at most {MAX_REASON_CHARS} characters")]
        )
    return value.strip() or None
