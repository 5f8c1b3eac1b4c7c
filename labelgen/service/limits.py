"""Request limits: an ASGI app → the same app behind a body cap (413 before parsing); JSON bytes → too deep or not."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelgen.errors import RequestTooLargeError
from labelgen.service.problems import MALFORMED_BODY, labelgen_error_response, problem_response


class BodySizeLimitMiddleware:
    """Refuse a body larger than `max_body_bytes`, before any route reads it.

    A declared Content-Length over the cap is answered 413 at once, without reading a byte. A
    body without one (chunked) is counted as it streams in, and the read that crosses the cap
    raises RequestTooLargeError, which the problem handlers answer 413; the route never sees
    the bytes.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared == -1:
            response = problem_response(MALFORMED_BODY, "Content-Length must be a number of bytes")
            await response(scope, receive, send)
            return
        if declared is not None and declared > self.max_body_bytes:
            response = labelgen_error_response(RequestTooLargeError(self.max_body_bytes))
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received_bytes = 0

        async def counted_receive() -> Message:
            nonlocal received_bytes
            message = await receive()
            if message["type"] == "http.request":
                received_bytes += len(message.get("body", b""))
                if received_bytes > self.max_body_bytes:
                    raise RequestTooLargeError(self.max_body_bytes)
            return message

        return counted_receive


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number, None when absent, -1 when not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 20 else -1
    return None


# A label spec nests four levels deep; the parsers and validators behind it recurse once a level,
# and a few kilobytes of brackets would otherwise cost a render worker its life.
MAX_JSON_DEPTH = 32
# Whole strings (whose brackets are text) or a single bracket: the only tokens depth depends on.
_DEPTH_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON in `body` nests objects and arrays more than `max_depth` levels.

    Reads the bytes without parsing them (nothing is built, nothing recurses); malformed JSON
    is left for the parser to name.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _DEPTH_TOKENS.finditer(body):
        token = match[0]
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False
