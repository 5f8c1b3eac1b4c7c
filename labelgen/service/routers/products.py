"""Products resource: producers register their products and batches, allocate serials and sign their units' codes.

A product is named in the path by its GTIN (8, 12, 13 or 14 digits) or, when it has none, by
its registry id. Another producer's product or batch is answered 404 exactly as one that does
not exist, so a producer cannot learn what others have registered. A batch code may hold '/'
(GS1 allows it): it is one percent-encoded path segment.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from labelgen.errors import Problem, RegistryInputError
from labelgen.registry.inputs import AllocationInput, BatchInput, ProductInput, parse_input
from labelgen.registry.verify import is_codable
from labelgen.service.dispatch import SettingsDep
from labelgen.service.models import (
    BatchSummary,
    ProductSummary,
    SerialAllocationSummary,
    SignedCodes,
)
from labelgen.service.openapi import json_request_body, problem_responses
from labelgen.service.problems import (
    CONFLICT,
    FORBIDDEN,
    INVALID_REQUEST,
    MALFORMED_BODY,
    NOT_REGISTERED,
    REGISTRY_UNAVAILABLE,
    REQUEST_TOO_LARGE,
    SIGNING_UNAVAILABLE,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.registry import PrincipalDep, RegistryDep, require_role
from labelgen.service.registry_documents import (
    PRODUCTS_PATH,
    allocation_document,
    batch_document,
    product_document,
    product_key,
    read_json_object,
)

router = APIRouter(prefix=PRODUCTS_PATH, tags=["products"])

NO_STORE = {"Cache-Control": "no-store"}
MAX_CODES_PER_REQUEST = 1000
ALLOCATION_SCHEMA_REF = {"$ref": "#/components/schemas/SerialAllocationSummary"}
ProductPath = Annotated[str, Path(description="the product's GTIN, or its id when it has none")]
BODY_PROBLEMS = (MALFORMED_BODY, REQUEST_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INVALID_REQUEST)
PRODUCER_PROBLEMS = (UNAUTHORIZED, FORBIDDEN, NOT_REGISTERED, REGISTRY_UNAVAILABLE)


def _created(document: Any, location: str | None = None) -> JSONResponse:
    headers = {**NO_STORE, **({"Location": location} if location else {})}
    return JSONResponse(document, status_code=201, headers=headers)


@router.get(
    "",
    summary="List products (producer: its own; issuer: all)",
    response_model=list[ProductSummary],
    responses=problem_responses(UNAUTHORIZED, REGISTRY_UNAVAILABLE),
)
async def list_products(access: RegistryDep, principal: PrincipalDep) -> JSONResponse:
    """A producer sees its own products only; an issuer sees every product."""
    products = await access.call(access.registry.list_products, principal)
    return JSONResponse([product_document(product) for product in products], headers=NO_STORE)


@router.post(
    "",
    status_code=201,
    summary="Register a product (producer)",
    response_model=ProductSummary,
    responses={
        201: {"description": "Registered (or already registered with this GTIN)."},
        **problem_responses(UNAUTHORIZED, FORBIDDEN, CONFLICT, *BODY_PROBLEMS),
        **problem_responses(REGISTRY_UNAVAILABLE),
    },
    openapi_extra=json_request_body("ProductInput", "The product's name and optional GTIN."),
)
async def register_product(
    request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """One of the caller's products; registering the same GTIN again returns it unchanged."""
    require_role(principal, "producer", "register products")
    product = parse_input(ProductInput, await read_json_object(request))
    record = await access.call(access.registry.register_product, principal, product)
    location = f"{PRODUCTS_PATH}/{record.gtin or record.id}"
    return _created(product_document(record), location)


@router.get(
    "/{product}/batches",
    summary="List a product's batches (producer)",
    response_model=list[BatchSummary],
    responses=problem_responses(*PRODUCER_PROBLEMS),
)
async def list_batches(
    product: ProductPath, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """The batches of one of the caller's products."""
    require_role(principal, "producer", "list batches")
    batches = await access.call(access.registry.list_batches, principal, product_key(product))
    return JSONResponse([batch_document(batch) for batch in batches], headers=NO_STORE)


@router.post(
    "/{product}/batches",
    status_code=201,
    summary="Register a batch (producer)",
    response_model=BatchSummary,
    responses={
        201: {"description": "Registered (or already registered with these dates)."},
        **problem_responses(*PRODUCER_PROBLEMS, CONFLICT, *BODY_PROBLEMS),
    },
    openapi_extra=json_request_body("BatchInput", "The batch code (AI 10) and its NSX / HSD."),
)
async def register_batch(
    product: ProductPath, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """A production batch of one of the caller's products, with its dates."""
    require_role(principal, "producer", "register batches")
    batch = parse_input(BatchInput, await read_json_object(request))
    record = await access.call(
        access.registry.register_batch, principal, product_key(product), batch
    )
    return _created(batch_document(record))


@router.post(
    "/{product}/batches/{batch:path}/serials",
    status_code=201,
    summary="Allocate serials to a batch (producer)",
    response_model=SerialAllocationSummary,
    responses={
        200: {
            "description": "The `request_id` was used before: the serials it got then.",
            "content": {"application/json": {"schema": ALLOCATION_SCHEMA_REF}},
        },
        201: {"description": "New serials: random, unguessable, never used for this GTIN."},
        **problem_responses(*PRODUCER_PROBLEMS, CONFLICT, *BODY_PROBLEMS),
    },
    openapi_extra=json_request_body(
        "AllocationInput",
        "How many serials, and a `request_id` that makes a retried request safe.",
    ),
)
async def allocate_serials(
    product: ProductPath,
    batch: str,
    request: Request,
    access: RegistryDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """`count` new serials for the batch; the same `request_id` again returns the same ones."""
    require_role(principal, "producer", "allocate serials")
    allocation = parse_input(AllocationInput, await read_json_object(request))
    record = await access.call(
        access.registry.allocate_serials, principal, product_key(product), batch, allocation
    )
    status = 201 if record.created else 200
    return JSONResponse(allocation_document(record), status_code=status, headers=NO_STORE)


@router.post(
    "/{product}/batches/{batch:path}/codes",
    summary="Signed QR URLs of allocated serials (producer)",
    response_model=SignedCodes,
    responses=problem_responses(*PRODUCER_PROBLEMS, CONFLICT, *BODY_PROBLEMS, SIGNING_UNAVAILABLE),
    openapi_extra=json_request_body("CodesRequest", "The serials (allocated to this batch)."),
)
async def sign_codes(
    product: ProductPath,
    batch: str,
    request: Request,
    access: RegistryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> JSONResponse:
    """The signed QR URL of each serial, to print on its unit (Ed25519 in GS1 AI 8030)."""
    require_role(principal, "producer", "sign codes")
    serials = _serials(await read_json_object(request))
    urls = await access.call(
        access.registry.signed_unit_urls,
        principal,
        product_key(product),
        batch,
        serials,
        settings.base_url,
    )
    codes = [{"serial": serial, "url": url} for serial, url in zip(serials, urls, strict=True)]
    return JSONResponse({"codes": codes}, headers=NO_STORE)


def _serials(document: dict[str, Any]) -> list[str]:
    serials = document.get("serials")
    unknown = sorted(set(document) - {"serials"})
    problems = [Problem(name, "is not a known field (check the spelling)") for name in unknown]
    if (
        not isinstance(serials, list)
        or not 1 <= len(serials) <= MAX_CODES_PER_REQUEST
        or not all(isinstance(serial, str) and is_codable(serial) for serial in serials)
    ):
        problems.append(
            Problem(
                "serials", f"must be a list of 1 to {MAX_CODES_PER_REQUEST} serials (GS1 AI 21)"
            )
        )
    if problems:
        raise RegistryInputError(problems)
    assert isinstance(serials, list)
    return [str(serial) for serial in serials]
