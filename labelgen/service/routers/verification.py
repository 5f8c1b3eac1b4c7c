"""Verification resource: the URL a label's QR code holds (`/01/…`, `/ocop/…`) → its verdict; the public keys.

One URL, three answers: the consumer page (HTML, the default), the verdict as JSON
(`Accept: application/json`), and the GS1 linkset (`?linkType=all`, or `Accept:
application/linkset+json`). The page and the JSON record a scan (no raw IP address: the registry
keeps a salted hash of the network prefix); the linkset reads nothing and records nothing.
Every verdict is answered 200, unknown and forged codes included: the verdict is the answer.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from labelgen.errors import CodeError, NotFoundError
from labelgen.registry.lookup import verification_document
from labelgen.registry.service import Registry
from labelgen.registry.signing import PUBLIC_KEYS_PATH
from labelgen.registry.verify import parse_unit_url
from labelgen.service.models import VerificationAnswer
from labelgen.service.openapi import problem_responses
from labelgen.service.problems import NOT_REGISTERED, REGISTRY_UNAVAILABLE
from labelgen.service.registry import RegistryDep
from labelgen.service.verification import (
    LINKSET_MEDIA_TYPE,
    VERIFY_CSP,
    answer_form,
    linkset_document,
    linkset_header,
    page_language,
    render_page,
)

router = APIRouter(tags=["verification"])

# A verdict is live (a revocation shows at the next scan) and each answer counts a scan.
VERDICT_HEADERS = {"Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}
# Keys change rarely (rotation, retirement) and offline tools fetch them in bulk.
KEYS_CACHE = "public, max-age=300"
# RFC 3986's reserved and unreserved characters, and '%' so that escapes stay as they came.
URL_SAFE_CHARS = ":/?#[]@!$&'()*+,;=%-._~"
VERDICT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The verdict: the consumer page, its JSON form or the code's linkset.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/VerificationAnswer"}},
            LINKSET_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Linkset"}},
        },
    },
    **problem_responses(NOT_REGISTERED, REGISTRY_UNAVAILABLE),
}


@router.get(
    "/01/{code_path:path}",
    summary="Verify a GS1 Digital Link code",
    response_model=VerificationAnswer,
    responses=VERDICT_RESPONSES,
)
async def verify_digital_link(code_path: str, request: Request, access: RegistryDep) -> Response:
    """The verdict on `/01/{GTIN-14}[/10/{batch}][/21/{serial}]?s=…&8030=…`: `status` is
    `valid`, `expired`, `revoked`, `suspended`, `unknown` or `invalid-signature`. Send
    `Accept: application/json` for JSON, `?linkType=all` for the linkset, `?lang=en` for English."""
    return await _answer(request, access)


@router.get(
    "/ocop/{certificate_no:path}",
    summary="Verify a code without a GTIN",
    response_model=VerificationAnswer,
    responses=VERDICT_RESPONSES,
)
async def verify_certificate_link(
    certificate_no: str, request: Request, access: RegistryDep
) -> Response:
    """The verdict on `/ocop/{certificate_no}[?10={batch}&21={serial}]`, the form of a label
    whose product has no GTIN; answered as the Digital Link form is."""
    return await _answer(request, access)


@router.get(
    PUBLIC_KEYS_PATH,
    summary="The public keys that verify signed codes",
    responses=problem_responses(REGISTRY_UNAVAILABLE),
)
async def public_keys(access: RegistryDep) -> JSONResponse:
    """Every signing key as a JWK (Ed25519, `kid`, `status` active or retired): what
    `labelgen verify URL --keys FILE` needs to check a code offline."""
    document = await access.call(access.registry.public_keys_document)
    return JSONResponse(document, headers={"Cache-Control": KEYS_CACHE})


async def _answer(request: Request, access: RegistryDep) -> Response:
    url = scanned_url(request)
    query = request.query_params
    form = answer_form(request.headers.get("accept"), query.get("linkType"))
    language = page_language(query.get("lang"), request.headers.get("accept-language"))
    if form == "linkset":
        return _linkset(url, language)
    # One trip to a thread for the lookup and the page together: each trip costs about as much
    # as rendering the page.
    return await access.call(
        _verdict,
        access.registry,
        url,
        form,
        language,
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )


def _verdict(
    registry: Registry,
    url: str,
    form: str,
    language: str,
    client_address: str | None,
    user_agent: str | None,
) -> Response:
    verification = registry.look_up(url, client_address=client_address, user_agent=user_agent)
    headers = {**VERDICT_HEADERS, "Link": linkset_header(url)}
    if form == "json":
        return JSONResponse(verification_document(verification), headers=headers)
    html = render_page(verification, language, url)
    headers.update({"Content-Security-Policy": VERIFY_CSP, "Content-Language": language})
    return HTMLResponse(html, headers=headers)


def scanned_url(request: Request) -> str:
    """The URL as the client sent it, still percent-encoded (as the QR code holds it), and
    ASCII whatever it held, since it goes into a header."""
    scope = request.scope
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    url = f"{request.url.scheme}://{request.url.netloc}{path.decode('latin-1')}"
    if query:
        url += "?" + query.decode("latin-1")
    return quote(url, safe=URL_SAFE_CHARS)


def _linkset(url: str, language: str) -> JSONResponse:
    try:
        parse_unit_url(url)
    except CodeError:
        raise NotFoundError("url: not a code this service resolves") from None
    return JSONResponse(
        linkset_document(url, language),
        media_type=LINKSET_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=3600", "Vary": "Accept"},
    )
