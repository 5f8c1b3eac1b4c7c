"""The API against its own OpenAPI description: generated requests (valid and invalid) never get a
5xx, and every answer's status, media type and body are the ones documented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from service_support import service_settings

from labelgen.service.app import create_app

# One worker: schemathesis starts the app afresh for each operation, and the requests come one
# at a time.
APP = create_app(service_settings(render_workers=1))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def stop_the_workers() -> Iterator[None]:
    """Schemathesis starts the app's lifespan (and so its render workers) when an operation is
    first called and ends it after each test; this ends any left running with the module."""
    yield
    asgi.shutdown_lifespans()


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_to_its_description(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
