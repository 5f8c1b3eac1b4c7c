"""Counterfeit reports: the verification page's form (and its JSON twin) → a stored report; issuers list them.

A consumer who doubts a product reports it from the page its QR code opened: one reason from a
fixed list and an optional short text. The form is a plain HTML POST (no script) answered with
a thank-you page; apps send the same as JSON. Nothing about the reporter is kept (see
labelgen.registry.reports). The verdict stored with a report is worked out here again, without
recording a scan, so that a report cannot claim a verdict the page never showed.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from labelgen.errors import (
    MalformedBodyError,
    Problem,
    RegistryInputError,
    RequestTooLargeError,
    UnsupportedMediaTypeError,
)
from labelgen.registry.reports import (
    MAX_REPORT_BODY_BYTES,
    MAX_REPORT_URL_CHARS,
    FakeReportRecord,
    parse_report,
)
from labelgen.registry.verify import scanned_code
from labelgen.service.models import FakeReport
from labelgen.service.openapi import json_request_body, problem_responses
from labelgen.service.problems import (
    BUSY,
    FORBIDDEN,
    INVALID_REQUEST,
    MALFORMED_BODY,
    REGISTRY_UNAVAILABLE,
    REQUEST_TOO_LARGE,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.registry import PrincipalDep, RegistryAccess, RegistryDep, require_role
from labelgen.service.registry_documents import read_json_object
from labelgen.service.routers.verification import CODE_PATH_PREFIXES, URL_SAFE_CHARS
from labelgen.service.verification import (
    REPORT_FORM_PATH,
    VERIFY_CSP,
    code_url,
    page_language,
    render_thanks,
)

router = APIRouter(tags=["reports"])

REPORTS_PATH = "/api/v1/reports"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store"}
REPORT_PROBLEMS = (
    INVALID_REQUEST,
    MALFORMED_BODY,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    BUSY,
    REGISTRY_UNAVAILABLE,
)


@router.post(
    REPORT_FORM_PATH,
    summary="Report a suspected fake (the verification page's form)",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The thank-you page.", "content": {"text/html": {}}},
        **problem_responses(*REPORT_PROBLEMS),
    },
)
async def report_from_page(request: Request, access: RegistryDep) -> HTMLResponse:
    """The form POST of the verification page (`application/x-www-form-urlencoded`): `code`
    (the code's path and query, as the page holds it), `reason`, optional `text` and `lang`."""
    fields = await read_form(request)
    language = page_language(fields.get("lang"), request.headers.get("accept-language"))
    record = await file_report(request, access, fields.get("code"), fields)
    html = render_thanks(language, _path_and_query(record.code_url))
    headers = {**NO_STORE, "Content-Security-Policy": VERIFY_CSP, "Content-Language": language}
    return HTMLResponse(html, headers=headers)


@router.post(
    REPORTS_PATH,
    status_code=201,
    summary="Report a suspected fake (JSON, for apps)",
    response_model=FakeReport,
    responses={
        201: {"description": "The report as stored."},
        **problem_responses(*REPORT_PROBLEMS),
    },
    openapi_extra=json_request_body(
        "FakeReportInput",
        "`url`: the scanned code's URL (or its path); `reason`: code-mismatch, "
        "unusual-packaging, suspicious-seller or other; `text`: optional, 500 characters at most.",
    ),
)
async def report_from_app(request: Request, access: RegistryDep) -> JSONResponse:
    """The same report as the page's form, as JSON; no API key (a consumer has none)."""
    _refuse_large(request)
    document = await read_json_object(request)
    _require_small(len(await request.body()))
    url = document.pop("url", None)
    record = await file_report(request, access, url, document)
    return JSONResponse(report_document(record), status_code=201, headers=NO_STORE)


@router.get(
    REPORTS_PATH,
    summary="List counterfeit reports (issuer)",
    response_model=list[FakeReport],
    responses=problem_responses(UNAUTHORIZED, FORBIDDEN, INVALID_REQUEST, REGISTRY_UNAVAILABLE),
)
async def list_reports(
    access: RegistryDep,
    principal: PrincipalDep,
    gtin: Annotated[str | None, Query(pattern=r"^\d{8}$|^\d{12,14}$")] = None,
) -> JSONResponse:
    """Every report, newest first; `?gtin=` keeps one product's."""
    require_role(principal, "issuer", "read counterfeit reports")
    records = await access.call(access.registry.list_fake_reports, principal, gtin)
    return JSONResponse([report_document(record) for record in records], headers=NO_STORE)


async def read_form(request: Request) -> dict[str, str]:
    """The small urlencoded body of the report form, as one value per field."""
    _refuse_large(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_MEDIA_TYPE:
        raise UnsupportedMediaTypeError(f"send the report as {FORM_MEDIA_TYPE}")
    body = await request.body()
    _require_small(len(body))
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise MalformedBodyError("the form body is not URL-encoded") from None
    return dict(pairs)


async def file_report(
    request: Request, access: RegistryAccess, code: object, fields: dict[str, Any]
) -> FakeReportRecord:
    """Validate and store one report; the verdict is the one the code gets now."""
    url = resolved_code_url(code, request.app.state.settings.public_origin())
    reason, text = parse_report({"reason": fields.get("reason"), "text": fields.get("text")})
    verifier = access.verifier
    verification = verifier.verdict(scanned_code(url), verifier.now())
    return await access.call(
        access.registry.record_fake_report, url, reason, text, verification.status
    )


def resolved_code_url(code: object, origin: str) -> str:
    """The code's URL as its page shows it (the public origin, the page's own parameters left
    out) from a path or a URL on that origin; RegistryInputError naming `url` otherwise."""
    if not isinstance(code, str) or not code:
        raise RegistryInputError([Problem("url", "is required")])
    url = origin + code if code.startswith("/") else code
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path.startswith(
        CODE_PATH_PREFIXES
    ):
        raise RegistryInputError([Problem("url", "is not a code this service verifies")])
    url = quote(code_url(url), safe=URL_SAFE_CHARS)
    if len(url) > MAX_REPORT_URL_CHARS:
        raise RegistryInputError(
            [Problem("url", f"must be at most {MAX_REPORT_URL_CHARS} characters")]
        )
    return url


def report_document(record: FakeReportRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": record.code_url,
        "gtin": record.gtin,
        "batch": record.batch,
        "serial": record.serial,
        "reason": record.reason,
        "text": record.text,
        "status": record.status,
        "created_at": record.created_at.isoformat(),
    }


def _refuse_large(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        _require_small(int(declared))


def _require_small(size: int) -> None:
    # A report is a few hundred bytes; the service's general limit is sized for logos.
    if size > MAX_REPORT_BODY_BYTES:
        raise RequestTooLargeError(MAX_REPORT_BODY_BYTES)


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme="", netloc="").geturl()
