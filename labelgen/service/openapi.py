"""OpenAPI description: the app's routes → one document with the spec schema, problem types and every status.

FastAPI documents what it can see; the rest is added here: the request body (the LabelSpec
schema, read as raw bytes by the routes so that size and parsing stay under the service's
control), every error status as `application/problem+json`, and the problem types themselves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from labelgen.registry.inputs import AllocationInput, BatchInput, CertificateInput, ProductInput
from labelgen.service.models import (
    CodesRequest,
    FakeReportInput,
    Linkset,
    ProblemDetails,
    RenewalRequest,
    StatusChange,
)
from labelgen.service.problems import PROBLEM_KINDS, PROBLEM_MEDIA_TYPE, ProblemKind
from labelgen.spec import MAX_PANELS, LabelSpec
from labelgen.templates import bundled_template_ids

REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/ProblemDetails"}
SPEC_SCHEMA_REF = {"$ref": "#/components/schemas/LabelSpec"}
# FastAPI's own validation-error schemas: every 4xx here is a ProblemDetails instead.
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")
REQUEST_MODELS = (
    CertificateInput,
    RenewalRequest,
    StatusChange,
    ProductInput,
    BatchInput,
    AllocationInput,
    CodesRequest,
    FakeReportInput,
    # Answered as files or linksets, so FastAPI does not see them: referenced by $ref.
    Linkset,
)
UNAUTHORIZED_HEADERS = {
    "WWW-Authenticate": {
        "description": '`Bearer` (RFC 6750), with `error="invalid_token"` for a bad key',
        "schema": {"type": "string"},
    }
}


def spec_request_body(description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads a label spec from its JSON body."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": SPEC_SCHEMA_REF}},
        }
    }


def json_request_body(schema: str, description: str, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route that reads a JSON body described by the named schema
    (one of REQUEST_MODELS; the routes read the body themselves, to answer its problems as
    problem+json)."""
    return {
        "requestBody": {
            "required": required,
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=schema)}}
            },
        }
    }


def problem_responses(*kinds: ProblemKind) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these problem kinds, one per status, naming each type."""
    by_status: dict[int, list[ProblemKind]] = defaultdict(list)
    for kind in kinds:
        by_status[kind.status].append(kind)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, status_kinds in sorted(by_status.items()):
        lines = "; ".join(f"`{kind.type_uri}`: {kind.title}" for kind in status_kinds)
        responses[status] = {
            "description": lines,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA_REF}},
        }
    return responses


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once and kept."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _add_model_schemas(schemas)
    for name in _UNUSED_SCHEMAS:
        schemas.pop(name, None)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            _keep_problem_content_only(operation)
            _document_challenge(operation)
    document["tags"] = [
        {"name": "labels", "description": "Render and check labels"},
        {"name": "templates", "description": "The bundled templates"},
        {
            "name": "certificates",
            "description": "OCOP certificates: issuers change them (`Authorization: Bearer "
            "KEY`), anyone reads one",
        },
        {
            "name": "products",
            "description": "A producer's products, batches, serials and signed codes",
        },
        {
            "name": "runs",
            "description": "Print runs: many serialised labels imposed on sheets in one print "
            "PDF, made in the background",
        },
        {
            "name": "verification",
            "description": "What a label's QR code opens: the verdict as a page, JSON or a "
            "GS1 linkset, and the public keys that check signatures offline",
        },
        {"name": "service", "description": "Health, readiness and problem types"},
    ]
    app.openapi_schema = document
    return document


def _add_model_schemas(schemas: dict[str, Any]) -> None:
    spec_schema = LabelSpec.model_json_schema(ref_template=REF_TEMPLATE)
    schemas.update(spec_schema.pop("$defs", {}))
    # Over HTTP only a bundled template may be named: a folder would be a path on the server.
    bundled = {"type": "string", "enum": bundled_template_ids()}
    spec_schema["properties"]["template"] = {
        "anyOf": [
            bundled,
            {"type": "array", "items": bundled, "minItems": 1, "maxItems": MAX_PANELS},
        ],
        "default": "ocop-classic",
        "description": "a bundled template (GET /api/v1/templates lists them), or a list of "
        "them: the panels of one package (a label set), in print order",
    }
    logo = schemas["Brand"]["properties"]["logo"]
    logo["description"] = (
        "a base64 data: URI of a PNG, JPEG, WebP or SVG image (re-encoded as PNG; "
        "SVG without scripts or outside references)"
    )
    schemas["LabelSpec"] = spec_schema
    problem_schema = ProblemDetails.model_json_schema(ref_template=REF_TEMPLATE)
    schemas.update(problem_schema.pop("$defs", {}))
    problem_schema["description"] = problem_schema.get("description", "") + "\n\n" + _types_table()
    schemas["ProblemDetails"] = problem_schema
    for model in REQUEST_MODELS:
        model_schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema


def _types_table() -> str:
    rows = [
        f"- `{kind.type_uri}` ({kind.status}) {kind.title}: {kind.description}"
        for kind in PROBLEM_KINDS
    ]
    return "Problem types:\n" + "\n".join(rows)


def _document_challenge(operation: dict[str, Any]) -> None:
    response = operation.get("responses", {}).get("401")
    if response is not None:
        response["headers"] = UNAUTHORIZED_HEADERS


def _keep_problem_content_only(operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith(("4", "5")):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA_REF}}
