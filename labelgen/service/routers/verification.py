"""Verification resource: the URL a label's QR code holds (`/01/…`, `/ocop/…`) → its verdict; the public keys.

One URL, three answers: the consumer page (HTML, the default), the verdict as JSON
(`Accept: application/json`), and the GS1 linkset (`?linkType=all`, or `Accept:
application/linkset+json`). The page and the JSON record a scan (no raw IP address: the registry
keeps a salted hash of the network prefix); the linkset reads nothing and records nothing.
Every verdict is answered 200, unknown and forged codes included: the verdict is the answer.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from labelgen.errors import CodeError, LabelgenError, NotFoundError
from labelgen.registry.lookup import verification_document
from labelgen.registry.signing import PUBLIC_KEYS_PATH
from labelgen.registry.verify import parse_unit_url, scanned_code
from labelgen.service.models import VerificationAnswer
from labelgen.service.openapi import problem_responses
from labelgen.service.problems import (
    NOT_REGISTERED,
    REGISTRY_UNAVAILABLE,
    labelgen_error_response,
)
from labelgen.service.registry import RegistryAccess, RegistryDep
from labelgen.service.settings import Settings
from labelgen.service.verification import (
    LINKSET_MEDIA_TYPE,
    VERIFY_CSP,
    AnswerForm,
    answer_form,
    linkset_document,
    linkset_header,
    page_language,
    render_page,
)

router = APIRouter(tags=["verification"])

# The paths of scanned codes: GS1 Digital Link, and labelgen's own for products without a GTIN.
CODE_PATH_PREFIXES = ("/01/", "/ocop/")
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
    url = scanned_url(request.scope, _settings(request.scope).public_origin())
    query = request.query_params
    form = answer_form(request.headers.get("accept"), query.get("linkType"))
    language = page_language(query.get("lang"), request.headers.get("accept-language"))
    if form == "linkset":
        return _linkset(url, language)
    client_address = request.client.host if request.client else None
    return await answer_verdict(
        access, url, form, language, client_address, request.headers.get("user-agent")
    )


async def answer_verdict(
    access: RegistryAccess,
    url: str,
    form: AnswerForm,
    language: str,
    client_address: str | None,
    user_agent: str | None,
) -> Response:
    """The page or JSON answer to a scanned URL (not the linkset); records the scan."""
    verifier = access.verifier
    code = scanned_code(url)
    now = verifier.now()
    # On the event loop, not in a thread: see labelgen.service.verifier.
    reading = verifier.read(code, now)
    verification = verifier.judge(code, reading, now, client_address, user_agent)
    headers = {**VERDICT_HEADERS, "Link": linkset_header(url)}
    if form == "json":
        return JSONResponse(verification_document(verification), headers=headers)
    html = render_page(verification, language, url)
    headers.update({"Content-Security-Policy": VERIFY_CSP, "Content-Language": language})
    return HTMLResponse(html, headers=headers)


def scanned_url(scope: Scope, origin: str) -> str:
    """The URL the QR code holds: the configured public origin (never the Host header, which
    the client chooses and the page, the `Link` header and the linkset would repeat), then the
    path and query as the client sent them, still percent-encoded; ASCII whatever it held,
    since it goes into a header."""
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    url = f"{origin}{path.decode('latin-1')}"
    if query:
        url += "?" + query.decode("latin-1")
    return quote(url, safe=URL_SAFE_CHARS)


class VerdictFastPath:
    """ASGI middleware that answers the scanned URL's page and JSON before FastAPI's routing.

    A scan is the service's busiest request, and measured here FastAPI's routing, dependency
    injection and request parsing cost about as much CPU as the lookup itself. This answers
    exactly as the route does (it calls the same `answer_verdict`), reading only the headers it
    needs from the ASGI scope. Everything else goes on to the app: another path or method, the
    linkset, a registry not open yet (answered 503 there).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        access = self._access(scope)
        if access is None:
            await self.app(scope, receive, send)
            return
        accept = accept_language = user_agent = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        form = answer_form(accept, query.get("linkType"))
        if form == "linkset":
            await self.app(scope, receive, send)
            return
        language = page_language(query.get("lang"), accept_language)
        client = scope.get("client")
        try:
            response = await answer_verdict(
                access,
                scanned_url(scope, _settings(scope).public_origin()),
                form,
                language,
                client[0] if client else None,
                user_agent,
            )
        except LabelgenError as error:
            response = labelgen_error_response(error)
        await response(scope, receive, send)

    @staticmethod
    def _access(scope: Scope) -> RegistryAccess | None:
        """The app's registry when this request is a scan to answer here, else None."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if not scope["path"].startswith(CODE_PATH_PREFIXES):
            return None
        access: RegistryAccess | None = getattr(scope["app"].state, "registry", None)
        return access


def _settings(scope: Scope) -> Settings:
    settings: Settings = scope["app"].state.settings
    return settings


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
