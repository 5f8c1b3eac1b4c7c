"""Problem details (RFC 9457): every error the service answers → an application/problem+json response.

Each kind of problem has a `type` URI under `/problems/` (relative to the service, so that it
points at this deployment's own description of it: `GET /problems/{slug}`), a fixed `title` and
a status. `detail` says what went wrong with this request, in words written here or by
labelgen's own checks; no traceback, file path or library name reaches a client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from labelgen.errors import (
    AuthenticationError,
    ConflictError,
    DigitalLinkError,
    LabelgenError,
    LabelTooComplexError,
    MalformedBodyError,
    MissingCredentialsError,
    NotCompliantError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RegistryError,
    RegistryInputError,
    RegistryUnavailableError,
    RenderFailedError,
    RenderTimeoutError,
    RequestTooLargeError,
    ServiceBusyError,
    ServiceUnavailableError,
    SigningKeyError,
    SpecError,
    UnsupportedMediaTypeError,
    WorkerStartError,
)

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_PATH = "/problems/"
# Problem answers are data, never documents to render or frame.
PROBLEM_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class ProblemKind:
    """One documented kind of problem: its slug (the type URI's last part), status and title."""

    slug: str
    status: int
    title: str
    description: str

    @property
    def type_uri(self) -> str:
        return PROBLEM_PATH + self.slug


INVALID_SPEC = ProblemKind(
    "invalid-spec",
    422,
    "The spec is not valid",
    "The body is JSON but not a valid label spec. `problems` lists each bad field as "
    "{field, reason}, the field as a dotted path (`product.gtin`); a field of '' is the spec "
    "as a whole.",
)
NOT_COMPLIANT = ProblemKind(
    "not-compliant",
    422,
    "The label is not compliant",
    "The label breaks at least one rule of severity `error`, so it may not be released. "
    "`findings` holds every finding of the compliance report (the same objects as "
    "POST /api/v1/check answers), with `as_of` and `compliant`. Render with `draft=true` "
    "to get a marked draft anyway.",
)
CANNOT_RENDER = ProblemKind(
    "cannot-render",
    422,
    "The label cannot be rendered",
    "The spec is valid but this output cannot be made from it (for example a resolution "
    "that would make too many pixels for the label's size); `detail` says why.",
)
TOO_COMPLEX = ProblemKind(
    "too-complex",
    422,
    "The label is too complex to render",
    "Rendering this label needed more memory than a render may use.",
)
MALFORMED_BODY = ProblemKind(
    "malformed-body",
    400,
    "The body cannot be read",
    "The body is not a UTF-8 JSON object.",
)
INVALID_PARAMETER = ProblemKind(
    "invalid-parameter",
    400,
    "A parameter is not valid",
    "A query parameter is missing or has a value the route does not accept; `problems` "
    "lists each as {field, reason}.",
)
REQUEST_TOO_LARGE = ProblemKind(
    "request-too-large",
    413,
    "The request is too large",
    "The body is larger than the service accepts; it was refused before being read.",
)
UNSUPPORTED_MEDIA_TYPE = ProblemKind(
    "unsupported-media-type",
    415,
    "Unsupported media type",
    "A spec is sent as JSON: `Content-Type: application/json`.",
)
NOT_FOUND = ProblemKind("not-found", 404, "Not found", "Nothing is served at this address.")
METHOD_NOT_ALLOWED = ProblemKind(
    "method-not-allowed",
    405,
    "Method not allowed",
    "The address exists but not for this method; `Allow` lists the methods it takes.",
)
BUSY = ProblemKind(
    "busy",
    429,
    "The service is busy",
    "Every render worker is busy and the queue is full. Try again after the number of "
    "seconds in `Retry-After`.",
)
UNAVAILABLE = ProblemKind(
    "unavailable",
    503,
    "The service is unavailable",
    "No render worker can take the request now (the service is starting or shutting "
    "down). Try again after `Retry-After`.",
)
RENDER_TIMEOUT = ProblemKind(
    "render-timeout",
    504,
    "The render took too long",
    "The render ran past the service's time limit and was stopped. The service goes on "
    "serving; a simpler label (a smaller logo, a lower resolution) renders in time.",
)
INTERNAL = ProblemKind(
    "internal",
    500,
    "Internal error",
    "The service failed for a reason of its own. It has been logged; nothing about it is "
    "shown here.",
)
HTTP_ERROR = ProblemKind("http-error", 400, "Bad request", "The request cannot be served.")
UNAUTHORIZED = ProblemKind(
    "unauthorized",
    401,
    "An API key is needed",
    "The route acts for an issuer or a producer: send `Authorization: Bearer KEY` with a key "
    "made by `labelgen registry key create`. The key was missing, malformed, unknown or revoked.",
)
FORBIDDEN = ProblemKind(
    "forbidden",
    403,
    "Not allowed for this key",
    "The key is valid but its role may not do this (certificates are changed by issuers; "
    "products, batches and serials by producers).",
)
NOT_REGISTERED = ProblemKind(
    "not-registered",
    404,
    "No such record",
    "The registry holds no such certificate, product or batch, or it belongs to another "
    "producer (the two are answered alike).",
)
CONFLICT = ProblemKind(
    "conflict",
    409,
    "Conflicts with the registry",
    "The change clashes with what the registry holds: a certificate number or GTIN already "
    "taken, a batch registered with other dates, a status change that is not allowed.",
)
INVALID_REQUEST = ProblemKind(
    "invalid-request",
    422,
    "The request is not valid",
    "The JSON body is readable but a field is missing or wrong; `problems` lists each as "
    "{field, reason}.",
)
INVALID_CODE = ProblemKind(
    "invalid-code",
    400,
    "Not a valid GS1 Digital Link",
    "The scanned address breaks GS1 Digital Link URI Syntax 1.4 or the GS1 Barcode Syntax "
    "Dictionary (or the form of labelgen's own /ocop/ codes): `ai` names the Application "
    "Identifier at fault when there is one, and `detail` says why. A GTIN written with fewer "
    "than 14 digits is answered so too, with `gtin14` holding its 14-digit form.",
)
NO_SUCH_LINK = ProblemKind(
    "no-such-link",
    404,
    "No link of that type",
    "The item has no link of the type `linkType` asks for; its linkset "
    "(`?linkType=linkset`) lists those it has.",
)
CERTIFICATE_NOT_REGISTERED = ProblemKind(
    "certificate-not-registered",
    422,
    "The certificate is not in the registry",
    "The label cites an OCOP certificate the registry does not hold for this product, or holds "
    "with other stars, or that is not in force; `problems` names the field "
    "(`certification.certificate_no` or `certification.stars`). Asked for when the service "
    "runs with LABELGEN_REQUIRE_REGISTERED_CERTIFICATES=true, and for serialised labels.",
)
SIGNING_UNAVAILABLE = ProblemKind(
    "signing-unavailable",
    503,
    "Codes cannot be signed now",
    "The registry has no usable signing key (none made yet, or its private key file is "
    "missing); the operator makes one with `labelgen registry keys rotate`.",
)
REGISTRY_UNAVAILABLE = ProblemKind(
    "registry-unavailable",
    503,
    "The registry is unavailable",
    "The certificate registry's database cannot be reached or used now. Try again later.",
)

PROBLEM_KINDS: tuple[ProblemKind, ...] = (
    INVALID_SPEC,
    NOT_COMPLIANT,
    CANNOT_RENDER,
    TOO_COMPLEX,
    MALFORMED_BODY,
    INVALID_PARAMETER,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    BUSY,
    UNAVAILABLE,
    RENDER_TIMEOUT,
    INTERNAL,
    HTTP_ERROR,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_REGISTERED,
    CONFLICT,
    INVALID_REQUEST,
    CERTIFICATE_NOT_REGISTERED,
    INVALID_CODE,
    NO_SUCH_LINK,
    SIGNING_UNAVAILABLE,
    REGISTRY_UNAVAILABLE,
)
PROBLEM_KINDS_BY_SLUG = {kind.slug: kind for kind in PROBLEM_KINDS}


def problem_response(
    kind: ProblemKind,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    status: int | None = None,
    **extensions: Any,
) -> JSONResponse:
    """An application/problem+json response of `kind`, with extension members after the four."""
    status = status or kind.status
    body: dict[str, Any] = {
        "type": kind.type_uri,
        "title": kind.title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**PROBLEM_HEADERS, **(headers or {})},
    )


def field_problems(problems: list[Problem] | tuple[Problem, ...]) -> list[dict[str, str]]:
    return [{"field": problem.field, "reason": problem.reason} for problem in problems]


def spec_problem_response(error: SpecError) -> JSONResponse:
    count = len(error.problems)
    summary = "; ".join(str(problem) for problem in error.problems[:3])
    more = f" (and {count - 3} more)" if count > 3 else ""
    return problem_response(
        INVALID_SPEC,
        f"the spec has {count} problem(s): {summary}{more}",
        problems=field_problems(error.problems),
    )


def not_compliant_response(error: NotCompliantError) -> JSONResponse:
    report = error.report.to_dict()
    errors = [finding for finding in report["findings"] if finding["severity"] == "error"]
    rules = ", ".join(sorted({finding["rule"] for finding in errors}))
    return problem_response(
        NOT_COMPLIANT,
        f"the label breaks {len(errors)} rule(s) of severity error: {rules}",
        compliant=report["compliant"],
        as_of=report["as_of"],
        findings=report["findings"],
    )


def registry_error_response(error: RegistryError) -> JSONResponse:
    """The problem answer for a registry refusal: 401, 403, 404, 409, 422 or 503."""
    if isinstance(error, AuthenticationError):
        # RFC 6750: a bare challenge when no key came, `invalid_token` when a bad one did.
        missing = isinstance(error, MissingCredentialsError)
        challenge = "Bearer" if missing else 'Bearer error="invalid_token"'
        return problem_response(UNAUTHORIZED, str(error), headers={"WWW-Authenticate": challenge})
    if isinstance(error, RegistryInputError):
        kind = (
            CERTIFICATE_NOT_REGISTERED
            if any(problem.field.startswith("certification.") for problem in error.problems)
            else INVALID_REQUEST
        )
        return problem_response(kind, str(error), problems=field_problems(error.problems))
    simple = {
        PermissionDeniedError: FORBIDDEN,
        NotFoundError: NOT_REGISTERED,
        ConflictError: CONFLICT,
        SigningKeyError: SIGNING_UNAVAILABLE,
    }
    for error_class, kind in simple.items():
        if isinstance(error, error_class):
            return problem_response(kind, str(error))
    if not isinstance(error, RegistryUnavailableError):
        logger.error("registry error: %s", error)
    return problem_response(
        REGISTRY_UNAVAILABLE,
        "the registry cannot serve this request now",
        headers={"Retry-After": "5"},
    )


def labelgen_error_response(error: LabelgenError) -> JSONResponse:
    """The problem answer for one of labelgen's own errors."""
    if isinstance(error, RegistryError):
        return registry_error_response(error)
    if isinstance(error, SpecError):
        return spec_problem_response(error)
    if isinstance(error, NotCompliantError):
        return not_compliant_response(error)
    if isinstance(error, RequestTooLargeError):
        return problem_response(
            REQUEST_TOO_LARGE,
            f"the body may hold at most {error.limit_bytes:,} bytes",
            headers={"Connection": "close"},
        )
    if isinstance(error, ServiceBusyError):
        return problem_response(BUSY, str(error), headers={"Retry-After": str(error.retry_after_s)})
    if isinstance(error, ServiceUnavailableError | WorkerStartError):
        retry_after_s = getattr(error, "retry_after_s", 5)
        return problem_response(
            UNAVAILABLE, str(error), headers={"Retry-After": str(retry_after_s)}
        )
    if isinstance(error, RenderTimeoutError):
        return problem_response(RENDER_TIMEOUT, str(error))
    if isinstance(error, DigitalLinkError):
        return invalid_code_response(error)
    if isinstance(error, RenderFailedError):
        return problem_response(INTERNAL, "the render failed; the failure has been logged")
    simple = {
        UnsupportedMediaTypeError: UNSUPPORTED_MEDIA_TYPE,
        MalformedBodyError: MALFORMED_BODY,
        LabelTooComplexError: TOO_COMPLEX,
    }
    for error_class, kind in simple.items():
        if isinstance(error, error_class):
            return problem_response(kind, str(error))
    # RenderError, TemplateError, FontError, CodeError: labelgen's own words about the label.
    return problem_response(CANNOT_RENDER, str(error))


def invalid_code_response(
    error: DigitalLinkError, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The 400 answer to a scanned address that is not valid Digital Link syntax."""
    extensions: dict[str, Any] = {"ai": error.ai} if error.ai else {}
    if error.fourteen_digit:
        extensions["gtin14"] = error.fourteen_digit
    return problem_response(INVALID_CODE, str(error), headers=headers, **extensions)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem+json: labelgen's, FastAPI's, Starlette's and the unexpected."""
    app.add_exception_handler(LabelgenError, _handle_labelgen_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _handle_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _handle_unexpected)


async def _handle_labelgen_error(request: Request, error: LabelgenError) -> JSONResponse:
    return labelgen_error_response(error)


async def _handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [_validation_problem(item) for item in error.errors()]
    summary = "; ".join(str(problem) for problem in problems[:3])
    return problem_response(
        INVALID_PARAMETER,
        f"{len(problems)} parameter problem(s): {summary}",
        problems=field_problems(problems),
    )


def _validation_problem(item: dict[str, Any]) -> Problem:
    location = [str(part) for part in item.get("loc", ())]
    # ("query", "format") → "format": the name the client wrote.
    if location and location[0] in ("query", "path", "header", "cookie", "body"):
        location = location[1:]
    reason = str(item.get("msg", "is not valid"))
    if item.get("type") == "missing":
        reason = "is required"
    elif reason.startswith("Input should"):
        reason = "should" + reason.removeprefix("Input should")
    return Problem(".".join(location), reason)


async def _handle_http_exception(request: Request, error: StarletteHTTPException) -> JSONResponse:
    headers = dict(error.headers or {})
    if error.status_code == 404:
        return problem_response(NOT_FOUND, f"nothing is served at {request.url.path}")
    if error.status_code == 405:
        return problem_response(
            METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed here",
            headers=headers,
        )
    kind = next((kind for kind in PROBLEM_KINDS if kind.status == error.status_code), HTTP_ERROR)
    detail = error.detail if isinstance(error.detail, str) else kind.title
    return problem_response(kind, detail, headers=headers, status=error.status_code)


async def _handle_unexpected(request: Request, error: Exception) -> JSONResponse:
    # The traceback goes to the service's log; the client learns only that it failed.
    logger.error(
        "unexpected error answering %s %s",
        request.method,
        request.url.path,
        exc_info=(type(error), error, error.__traceback__),
    )
    return problem_response(INTERNAL, "the service could not complete the request")
