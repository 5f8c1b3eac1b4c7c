"""Response headers: an ASGI app → the same app with security headers, and redirects under the public origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An HTML page may load only what this service serves (no CDN, no outside font or script), may
# not be framed, and posts only back to the service.
HTML_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Anything else (JSON, a label file, a script) is data: if a browser is ever tricked into
# treating it as a document, it may load and run nothing.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Add the security headers a response lacks; a route that sets its own (a page with a
    stricter or looser CSP) keeps them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders) -> None:
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    content_type = headers.get("content-type", "")
    is_html = content_type.startswith("text/html")
    headers.setdefault("Content-Security-Policy", HTML_CSP if is_html else DATA_CSP)


class PublicLocationMiddleware:
    """Point every redirect (a trailing slash's above all) at the configured public origin.

    Starlette builds a redirect's absolute `Location` from the request's Host header, which any
    client may forge: a link to another site answered from this one. Only the path and query of
    such a location are kept; scheme and host are the configured base URL's. A location on
    another host than the one the request named is a redirect the service chose (a linkset's
    link held elsewhere) and is left as it is.
    """

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.origin = origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        hosts = [value for name, value in scope["headers"] if name == b"host"]
        requested_host = hosts[0].decode("latin-1").lower() if hosts else None

        async def send_with_location(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                location = headers.get("location")
                # A relative location (a created resource's) names no host: left as it is.
                netloc = urlsplit(location).netloc.lower() if location else ""
                if location and netloc and requested_host in (None, netloc):
                    headers["location"] = public_location(location, self.origin)
            await send(message)

        await self.app(scope, receive, send_with_location)


def public_location(location: str, origin: str) -> str:
    """The absolute `location` with its scheme and host replaced by `origin`'s."""
    parts = urlsplit(location)
    return origin + parts._replace(scheme="", netloc="").geturl()
