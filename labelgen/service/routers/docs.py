"""Docs resource: GET /docs → the interactive OpenAPI page, its script and style served from the package (no CDN)."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.exceptions import HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
TITLE = "labelgen API"


@router.get("/docs")
async def docs_page() -> HTMLResponse:
    """Swagger UI for /openapi.json; the one inline script it needs is allowed by its hash."""
    html, script_hash = _docs_page()
    csp = (
        f"default-src 'self'; script-src 'self' '{script_hash}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> FileResponse:
    """One of the page's files, by exact name (an allow-list: no path is built from input)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status_code=404)
    return FileResponse(
        ASSETS_DIR / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )


@cache
def _docs_page() -> tuple[str, str]:
    response = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=TITLE,
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(response.body).decode("utf-8")
    inline = re.search(r"<script>(.*?)</script>", html, re.S)
    script = inline.group(1) if inline else ""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return html, f"sha256-{digest}"
