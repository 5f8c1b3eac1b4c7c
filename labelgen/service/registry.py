"""The registry in the service: one Registry per app, its calls off the event loop, a request's API key → its Principal.

Registry calls are blocking database work. They run in threads of the service's own process,
at most `registry_threads` at once (each holds a database connection), never in the render
workers: those are separate processes that only draw labels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy.exc import InterfaceError, OperationalError

from labelgen.errors import (
    MissingCredentialsError,
    PermissionDeniedError,
    RegistryUnavailableError,
    ServiceUnavailableError,
)
from labelgen.registry.apikeys import Principal, Role
from labelgen.registry.service import Registry
from labelgen.service.settings import Settings
from labelgen.service.verifier import Verifier

T = TypeVar("T")
BEARER_PREFIX = "bearer "


class RegistryAccess:
    """The app's registry, its verifier of scanned codes and the thread limit their calls run under."""

    def __init__(self, registry: Registry, threads: int, verifier: Verifier) -> None:
        self.registry = registry
        self.verifier = verifier
        self._limiter = anyio.CapacityLimiter(threads)

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in a worker thread; a database that cannot be reached is
        answered RegistryUnavailableError (503), not as the service's own failure."""
        try:
            return await anyio.to_thread.run_sync(
                partial(function, *args, **kwargs), limiter=self._limiter
            )
        except (OperationalError, InterfaceError) as error:
            raise RegistryUnavailableError(
                f"the registry's database failed: {error.orig}"
            ) from None


def open_registry(settings: Settings, registry: Registry | None) -> tuple[Registry, bool]:
    """The registry to serve, migrated, and whether the app owns it (and so closes it)."""
    owned = registry is None
    registry = registry or Registry(settings.registry_settings())
    registry.migrate()
    return registry, owned


async def get_registry(request: Request) -> RegistryAccess:
    access: RegistryAccess | None = getattr(request.app.state, "registry", None)
    if access is None:
        raise ServiceUnavailableError("the registry is not open yet", retry_after_s=2)
    return access


RegistryDep = Annotated[RegistryAccess, Depends(get_registry)]


def bearer_secret(authorization: str | None) -> str | None:
    """The key in an `Authorization: Bearer KEY` header; None when there is no such header."""
    if not authorization or not authorization.lower().startswith(BEARER_PREFIX):
        return None
    return authorization[len(BEARER_PREFIX) :].strip() or None


async def get_principal(request: Request, access: RegistryDep) -> Principal:
    """The caller behind the request's API key: 401 when none or not a valid one."""
    secret = bearer_secret(request.headers.get("authorization"))
    if secret is None:
        raise MissingCredentialsError("send an API key as Authorization: Bearer KEY")
    return await access.call(access.registry.authenticate, secret)


async def get_optional_principal(request: Request, access: RegistryDep) -> Principal | None:
    """The caller when the request carries an API key (401 for a bad one), else None."""
    if request.headers.get("authorization") is None:
        return None
    return await get_principal(request, access)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


def require_role(principal: Principal, role: Role, doing: str) -> None:
    """403 unless the caller has `role`; checked before the body is read, so a caller of the
    wrong role learns nothing from the body's validation."""
    if principal.role != role:
        article = "an" if role == "issuer" else "a"
        raise PermissionDeniedError(f"only {article} {role} may {doing}")
