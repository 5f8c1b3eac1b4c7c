"""Verification resource: a scanned code's URL → its verdict or linkset; the public keys; the GS1 resolver description.

The service is a GS1-Conformant resolver that answers in place instead of redirecting (its
default link is the verification page itself). One URL, three answers: the consumer page (HTML,
the default), the verdict as JSON (`Accept: application/json`), and the GS1 linkset
(`?linkType=linkset`, the deprecated `?linkType=all`, or `Accept: application/linkset+json`).
Another `linkType` answers the page when the link of that type is the page, redirects (307)
to its target when it is elsewhere, and 404 when the item has no link of that type.
Every answer carries a `Link` header to the linkset; the JSON forms allow any origin (CORS);
GET, HEAD and OPTIONS are answered. The page and the JSON record a scan (no raw IP address: the
registry keeps a salted hash of the network prefix); the linkset, HEAD and OPTIONS read nothing
and record nothing. A syntactically valid code is answered 200 whatever its verdict, unknown
and forged codes included: the verdict is the answer. An address that is not valid GS1 Digital
Link syntax is answered 400 (problem+json, or a page for a browser that asks for HTML).
All links are built on the configured base URL, never on the request's Host header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from labelgen.errors import CodeError, DigitalLinkError, LabelgenError, NotFoundError
from labelgen.registry.lookup import verification_document
from labelgen.registry.signing import PUBLIC_KEYS_PATH
from labelgen.registry.verify import UnitCode, parse_unit_url, scanned_code
from labelgen.service.models import VerificationAnswer
from labelgen.service.openapi import problem_responses
from labelgen.service.pages import environment, ui_strings
from labelgen.service.problems import (
    INVALID_CODE,
    NO_SUCH_LINK,
    NOT_REGISTERED,
    REGISTRY_UNAVAILABLE,
    invalid_code_response,
    labelgen_error_response,
    problem_response,
)
from labelgen.service.registry import RegistryAccess, RegistryDep
from labelgen.service.settings import Settings
from labelgen.service.verification import (
    GS1_VOCABULARY,
    LINKSET_CONTEXT_URL,
    LINKSET_MEDIA_TYPE,
    VERIFY_CSP,
    AnswerForm,
    answer_form,
    code_url,
    linkset_context_header,
    linkset_document,
    linkset_header,
    page_language,
    render_page,
)

router = APIRouter(tags=["verification"])

# The paths of scanned codes: GS1 Digital Link, and labelgen's own for products without a GTIN.
CODE_PATH_PREFIXES = ("/01/", "/ocop/")
RESOLVER_DESCRIPTION_PATH = "/.well-known/gs1resolver"
RESOLVER_METHODS = "GET, HEAD, OPTIONS"
# A verdict is live (a revocation shows at the next scan) and each answer counts a scan.
VERDICT_HEADERS = {"Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}
# The linkset depends on the code alone, but its titles follow the language asked for.
LINKSET_HEADERS = {"Cache-Control": "public, max-age=3600", "Vary": "Accept, Accept-Language"}
# The JSON forms may be read by a page of any origin (GS1-Conformant resolvers SHALL support
# CORS); the Link header is exposed so that such a page finds the linkset.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link, Content-Language",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": RESOLVER_METHODS,
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Max-Age": "86400",
    "Allow": RESOLVER_METHODS,
}
# Keys change rarely (rotation, retirement) and offline tools fetch them in bulk.
KEYS_CACHE = "public, max-age=300"
# RFC 3986's reserved and unreserved characters, and '%' so that escapes stay as they came.
URL_SAFE_CHARS = ":/?#[]@!$&'()*+,;=%-._~"
LINKSET_LINK_TYPES = frozenset({"linkset", "all"})  # `all`: GS1's name before resolver 1.0
# How clients name GS1 link types: the CURIE and the vocabulary's URIs, old and new.
GS1_LINK_TYPE_PREFIXES = (
    "gs1:",
    GS1_VOCABULARY,
    "http://gs1.org/voc/",
    "https://ref.gs1.org/voc/",
    "https://www.gs1.org/voc/",
)
VERDICT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The verdict: the consumer page, its JSON form or the code's linkset.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/VerificationAnswer"}},
            LINKSET_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Linkset"}},
        },
    },
    307: {"description": "`linkType` names a link of the item held elsewhere: its target."},
    **problem_responses(INVALID_CODE, NO_SUCH_LINK, NOT_REGISTERED, REGISTRY_UNAVAILABLE),
}


@dataclass(frozen=True)
class ScanRequest:
    """What an answer to a scanned URL depends on, read from the request or the ASGI scope."""

    method: str
    accept: str | None
    accept_language: str | None
    link_type: str | None
    lang: str | None
    client_address: str | None
    user_agent: str | None


@router.get(
    "/01/{code_path:path}",
    summary="Verify a GS1 Digital Link code",
    response_model=VerificationAnswer,
    responses=VERDICT_RESPONSES,
)
async def verify_digital_link(code_path: str, request: Request, access: RegistryDep) -> Response:
    """The verdict on `/01/{GTIN-14}[/10/{batch}][/21/{serial}]?s=…&8030=…`: `status` is
    `valid`, `certified`, `expired`, `revoked`, `suspended`, `unknown` or `invalid-signature`.
    Send `Accept: application/json` for JSON, `?linkType=linkset` (or `Accept:
    application/linkset+json`) for the linkset, `?lang=en` for English. An address that is not
    valid GS1 Digital Link syntax (a GTIN of fewer than 14 digits included) is answered 400
    `invalid-code`."""
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


@router.api_route("/01/{code_path:path}", methods=["HEAD", "OPTIONS"], include_in_schema=False)
@router.api_route(
    "/ocop/{certificate_no:path}", methods=["HEAD", "OPTIONS"], include_in_schema=False
)
async def code_headers(request: Request) -> Response:
    """HEAD and OPTIONS on a code: headers only; nothing is read from the registry."""
    return await _answer(request, None)


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


@router.get(RESOLVER_DESCRIPTION_PATH, summary="The GS1 resolver description")
@router.api_route(RESOLVER_DESCRIPTION_PATH, methods=["HEAD", "OPTIONS"], include_in_schema=False)
async def resolver_description(request: Request) -> Response:
    """What a GS1-Conformant resolver publishes about itself: its root (the configured base
    URL), the primary key it resolves (GTIN, AI 01), the link types it uses (the GS1 Web
    Vocabulary) and where the JSON-LD context of its linksets is."""
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=PREFLIGHT_HEADERS)
    origin = _settings(request.scope).public_origin()
    return JSONResponse(
        resolver_description_document(origin),
        headers={**CORS_HEADERS, "Cache-Control": "public, max-age=86400"},
    )


def resolver_description_document(origin: str) -> dict[str, Any]:
    """The resolver description file (GS1-Conformant Resolver standard, section 2)."""
    return {
        "name": "labelgen OCOP verification service",
        "resolverRoot": origin,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            {
                "namespace": GS1_VOCABULARY,
                "prefix": "gs1:",
                "profile": GS1_VOCABULARY + "?show=linktypes",
            }
        ],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": LINKSET_CONTEXT_URL,
    }


async def _answer(request: Request, access: RegistryAccess | None) -> Response:
    query = request.query_params
    scan = ScanRequest(
        request.method,
        request.headers.get("accept"),
        request.headers.get("accept-language"),
        query.get("linkType"),
        query.get("lang"),
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )
    return await answer_scan(access, scanned_url(request.scope, _origin(request.scope)), scan)


async def answer_scan(access: RegistryAccess | None, url: str, scan: ScanRequest) -> Response:
    """The answer to any request for a scanned URL (see the module docstring); `access` is
    needed only to answer a GET with the verdict."""
    language = page_language(scan.lang, scan.accept_language)
    if scan.method == "OPTIONS":
        return Response(status_code=204, headers=PREFLIGHT_HEADERS)
    try:
        code = parse_unit_url(url)
    except DigitalLinkError as error:
        return invalid_code_answer(error, url, scan.accept, language)
    except CodeError as error:
        return labelgen_error_response(NotFoundError(str(error)))
    link = {"Link": linkset_header(url)}
    target = link_type_target(url, language, scan.link_type)
    if target is None:
        detail = f"linkType: this item has no link of type {scan.link_type!r}"
        return problem_response(NO_SUCH_LINK, detail, headers={**link, **CORS_HEADERS})
    form = answer_form(scan.accept, None)
    if target == "linkset" or (target == "here" and form == "linkset"):
        return _without_body_for_head(scan.method, _linkset(url, language))
    if target != "here":
        return RedirectResponse(target, status_code=307, headers={**link, **VERDICT_HEADERS})
    if scan.method == "HEAD":
        media_type = "application/json" if form == "json" else "text/html; charset=utf-8"
        headers = {**VERDICT_HEADERS, **link, **(CORS_HEADERS if form == "json" else {})}
        return Response(status_code=200, headers=headers, media_type=media_type)
    if access is None:
        raise AssertionError("a GET for the verdict needs the registry")
    return await answer_verdict(
        access, url, form, language, scan.client_address, scan.user_agent, code
    )


def link_type_target(url: str, language: str, link_type: str | None) -> str | None:
    """Where `?linkType=` leads: "linkset", "here" (the link is this code's own page), the
    target URL of a link held elsewhere, or None when the item has no link of that type."""
    if not link_type:
        return "here"
    if link_type in LINKSET_LINK_TYPES:
        return "linkset"
    term = next(
        (link_type[len(prefix) :] for prefix in GS1_LINK_TYPE_PREFIXES
         if link_type.startswith(prefix)),
        None,
    )  # fmt: skip
    if not term:
        return None
    (context,) = linkset_document(url, language)["linkset"]
    links: list[dict[str, Any]] = context.get(GS1_VOCABULARY + term, [])
    if not links:
        return None
    here = code_url(url)
    if any(link["href"] == here for link in links):
        return "here"
    preferred = [link for link in links if language in link.get("hreflang", [language])]
    return str((preferred or links)[0]["href"])


def invalid_code_answer(
    error: DigitalLinkError, url: str, accept: str | None, language: str
) -> Response:
    """400: problem+json, or a page saying what is wrong for a browser that asks for HTML."""
    headers = {**VERDICT_HEADERS, **CORS_HEADERS}
    if answer_form(accept, None) != "html" or "text/html" not in (accept or "").lower():
        return invalid_code_response(error, headers=headers)
    fourteen_digit_url = _fourteen_digit_url(url, error.fourteen_digit)
    html = _invalid_code_template().render(
        lang=language,
        t=ui_strings(language)["verify"],
        detail=str(error),
        fourteen_digit_url=fourteen_digit_url,
    )
    headers.pop("Access-Control-Allow-Origin")
    headers.pop("Access-Control-Expose-Headers")
    headers.update({"Content-Security-Policy": VERIFY_CSP, "Content-Language": language})
    return HTMLResponse(html, status_code=400, headers=headers)


async def answer_verdict(
    access: RegistryAccess,
    url: str,
    form: AnswerForm,
    language: str,
    client_address: str | None,
    user_agent: str | None,
    code: UnitCode | None = None,
) -> Response:
    """The page or JSON answer to a scanned URL (not the linkset); records the scan. `code`
    is the URL already parsed, when it was."""
    verifier = access.verifier
    code = code or scanned_code(url)
    now = verifier.now()
    # On the event loop, not in a thread: see labelgen.service.verifier.
    reading = verifier.read(code, now)
    verification = verifier.judge(code, reading, now, client_address, user_agent)
    headers = {**VERDICT_HEADERS, "Link": linkset_header(url)}
    if form == "json":
        return JSONResponse(
            verification_document(verification), headers={**headers, **CORS_HEADERS}
        )
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
    """ASGI middleware that answers requests for scanned URLs before FastAPI's routing.

    A scan is the service's busiest request, and measured here FastAPI's routing, dependency
    injection and request parsing cost about as much CPU as the lookup itself. This answers
    exactly as the routes do (it calls the same `answer_scan`), reading only the headers it
    needs from the ASGI scope. Everything else goes on to the app: another path or method, a
    registry not open yet (answered 503 there).
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
        client = scope.get("client")
        scan = ScanRequest(
            scope["method"],
            accept,
            accept_language,
            query.get("linkType"),
            query.get("lang"),
            client[0] if client else None,
            user_agent,
        )
        try:
            response = await answer_scan(access, scanned_url(scope, _origin(scope)), scan)
        except LabelgenError as error:
            response = labelgen_error_response(error)
        await response(scope, receive, send)

    @staticmethod
    def _access(scope: Scope) -> RegistryAccess | None:
        """The app's registry when this request is a scan to answer here, else None."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            return None
        if not scope["path"].startswith(CODE_PATH_PREFIXES):
            return None
        access: RegistryAccess | None = getattr(scope["app"].state, "registry", None)
        return access


def _settings(scope: Scope) -> Settings:
    settings: Settings = scope["app"].state.settings
    return settings


def _origin(scope: Scope) -> str:
    return _settings(scope).public_origin()


def _linkset(url: str, language: str) -> JSONResponse:
    headers = {
        **LINKSET_HEADERS,
        **CORS_HEADERS,
        "Link": f"{linkset_header(url)}, {linkset_context_header()}",
        "Content-Language": language,
    }
    return JSONResponse(
        linkset_document(url, language), media_type=LINKSET_MEDIA_TYPE, headers=headers
    )


def _without_body_for_head(method: str, response: Response) -> Response:
    if method != "HEAD":
        return response
    return Response(status_code=response.status_code, headers=dict(response.headers))


def _fourteen_digit_url(url: str, gtin14: str | None) -> str | None:
    """The path and query of `url` with its short GTIN written with 14 digits, or None."""
    if gtin14 is None:
        return None
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for position in range(len(segments) - 2, -1, -1):
        if segments[position] == "01" and segments[position + 1].zfill(14) == gtin14:
            segments[position + 1] = gtin14
            path = "/".join(segments)
            return parts._replace(scheme="", netloc="", path=path).geturl()
    return None


def _invalid_code_template() -> Any:
    return environment().get_template("invalid_code.html.j2")
