"""The designer page at `/`, its static files under `/static/`, and the YAML reader it posts to.

The page is rendered here with Jinja2 (autoescaped) from `web/templates/`, in Vietnamese or, with
`?lang=en`, in English; every word it shows comes from `web/strings/<lang>.yaml`. Its script and
style sheet are files served from `web/static/` (the page runs under `default-src 'self'`, so
nothing is inline), plus the bundled Be Vietnam Pro web fonts, so the page needs no outside
resource and works offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any, get_args

import jinja2
import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fontTools import subset
from fontTools.ttLib import TTFont
from starlette.concurrency import run_in_threadpool

from labelgen.codes import DEFAULT_PRINT_PROCESS, PrintProcessName
from labelgen.compliance.catalogue import FINISHING_PHRASES, ORIGIN_PHRASES
from labelgen.errors import Problem, SpecError, TemplateError
from labelgen.fonts import font_face, label_families
from labelgen.production.imposition import list_sheets
from labelgen.resources import bundled_dir
from labelgen.service.headers import HTML_CSP
from labelgen.service.problems import (
    INVALID_SPEC,
    REQUEST_TOO_LARGE,
    field_problems,
    problem_response,
    spec_problem_response,
)
from labelgen.spec import LOGO_MAX_BYTES, Category, Colors, decode_document
from labelgen.templates import (
    Manifest,
    bundled_template_ids,
    listed_template_ids,
    load_template,
)

router = APIRouter()

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_DIR = WEB_DIR / "static"
LANGUAGES = ("vi", "en")
DEFAULT_TEMPLATE = "ocop-classic"

# A spec file holds text and at most one logo of LOGO_MAX_BYTES as base64 (4/3 larger).
PARSE_MAX_BYTES = LOGO_MAX_BYTES * 4 // 3 + 256_000
# Bounds on the YAML structure, checked on the parser's event stream before anything is built:
# a label spec is a few dozen scalars three levels deep.
PARSE_MAX_EVENTS = 20_000
PARSE_MAX_DEPTH = 20

# libyaml walks a file with a 2 MB logo in milliseconds, the pure-Python parser in seconds.
_EVENT_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SIZE_PREFIX = re.compile(r"^.*?(?:⌀\s*)?\d+(?:[.,]\d+)?\s*(?:×\s*\d+(?:[.,]\d+)?\s*)?mm\s*")

_STATIC_MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
# The web fonts the page uses, served from the fonts bundled for labels.
_WEB_FONTS = ("BeVietnamPro-Regular.woff2", "BeVietnamPro-Bold.woff2")
# Static files change with a release, not between requests; a day keeps a phone on a slow line
# from fetching them again on every visit.
_STATIC_CACHE = "public, max-age=86400"


# What a co-op orders: labels printed on A4 decal sheets, in an office printer or a copy shop.
DEFAULT_SHEET = "A4"


@cache
def _sheet_choices(language: str) -> list[dict[str, str]]:
    """The sheets a print run can use, as the designer's sheet menu lists them, in `language`:
    plain sheets by size and use, die-cut label sheets by what they hold."""
    words: dict[str, str] = ui_strings(language)["sheets"]
    choices = []
    for sheet in list_sheets():
        size = f"{sheet.width_mm:g} × {sheet.height_mm:g} mm"
        preset = sheet.preset
        if preset is None:
            detail = words.get(sheet.name, words["plain"]).replace("{size}", size)
        else:
            label_size = (
                f"⌀ {preset.label_width_mm:g} mm"
                if preset.shape == "circle"
                else f"{preset.label_width_mm:g} × {preset.label_height_mm:g} mm"
            )
            detail = (
                words["die_cut"]
                .replace("{count}", str(preset.columns * preset.rows))
                .replace("{label}", label_size)
            )
        if language == "vi":
            detail = detail.replace(".", ",") if "mm" in detail else detail
        choices.append({"name": sheet.name, "label": f"{sheet.name} — {detail}"})
    return choices


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def designer_page(lang: str = "vi") -> HTMLResponse:
    """The label designer, in Vietnamese unless `lang=en`."""
    language = lang if lang in LANGUAGES else "vi"
    html = (
        environment()
        .get_template("designer.html.j2")
        .render(
            lang=language,
            other_lang="en" if language == "vi" else "vi",
            t=ui_strings(language),
            templates=_template_cards(language),
            back_panels=_back_panels(language),
            template_info=_template_info(language),
            default_template=DEFAULT_TEMPLATE,
            categories=get_args(Category),
            print_processes=get_args(PrintProcessName),
            default_print_process=DEFAULT_PRINT_PROCESS,
            origin_phrases=ORIGIN_PHRASES,
            finishing_phrases=FINISHING_PHRASES,
            colors=Colors().model_dump(),
            logo_max_bytes=LOGO_MAX_BYTES,
            sheets=_sheet_choices(language),
            default_sheet=DEFAULT_SHEET,
            fonts=_font_choices(),
        )
    )
    return HTMLResponse(
        html,
        headers={
            # The page loads only from this origin, plus blob: (the live preview) and data:
            # (the logo thumbnail), as HTML_CSP allows.
            "Content-Security-Policy": HTML_CSP,
            "Cache-Control": "no-cache",
            "Content-Language": language,
        },
    )


@router.get("/static/{name:path}", include_in_schema=False)
async def static_file(name: str) -> Response:
    """A file of the pages (script, style sheet, icon, sample spec, web font), by exact name.

    Served from memory: the files are few and small, and the verification page's style sheet
    is fetched by every phone that scans a code, so it must not cost a trip to a thread.
    """
    sample = _font_samples().get(name)
    if sample is not None:
        return Response(
            sample[0],
            media_type=_STATIC_MEDIA_TYPES[".woff2"],
            headers={
                "Cache-Control": _STATIC_CACHE,
                "X-Content-Type-Options": "nosniff",
                "ETag": sample[1],
            },
        )
    path = _static_files().get(name)
    if path is None:
        # Answered as every other error of the service is (problem+json, 404).
        raise HTTPException(status_code=404)
    data, etag = _static_content(path)
    return Response(
        data,
        media_type=_STATIC_MEDIA_TYPES[path.suffix],
        headers={
            "Cache-Control": _STATIC_CACHE,
            "X-Content-Type-Options": "nosniff",
            "ETag": etag,
        },
    )


@cache
def _static_content(path: Path) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, f'"{hashlib.sha256(data).hexdigest()[:32]}"'


def _font_choices() -> list[dict[str, str]]:
    """The label families a producer picks from, default first, each with its sample's key."""
    return [{"family": family, "key": _font_key(family)} for family in label_families()]


def _font_key(family: str) -> str:
    """The family as the style sheet names its sample: Noto Serif Display → noto-serif-display."""
    return re.sub(r"[^a-z0-9]+", "-", family.lower()).strip("-")


@cache
def _font_samples() -> dict[str, tuple[bytes, str]]:
    """A web font per label family holding only the letters of its sample line, by static name.

    The designer shows each family's sample in that family: a few kilobytes each, where the
    whole regular face would cost a phone some 70 kB per family it may never choose.
    """
    text = "".join(ui_strings(language)["fields"]["font_sample"] for language in LANGUAGES)
    samples: dict[str, tuple[bytes, str]] = {}
    for family in label_families():
        options = subset.Options()
        options.layout_features = ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        with TTFont(str(font_face(family).path)) as font:
            subsetter.subset(font)
            font.flavor = "woff2"
            output = io.BytesIO()
            font.save(output)
        data = output.getvalue()
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        samples[f"fonts/sample-{_font_key(family)}.woff2"] = (data, etag)
    return samples


@router.post("/designer/parse", include_in_schema=False)
async def parse_yaml(request: Request) -> Response:
    """A YAML spec file's text → the same document as JSON, for the page to fill its form from.

    Only reads: `yaml.safe_load` builds plain data (no tags that run code), aliases are refused
    (a few lines of them expand to gigabytes of JSON), and size and depth are bounded. The
    document is not validated here; the page sends it on to the API, which names bad fields.
    """
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > PARSE_MAX_BYTES:
            return problem_response(
                REQUEST_TOO_LARGE, f"a spec file may hold at most {PARSE_MAX_BYTES:,} bytes"
            )
    # Reading a file with a large embedded logo takes about a second of pure-Python parsing:
    # off the event loop, so other requests are not held up.
    return await run_in_threadpool(_parse_yaml_answer, bytes(raw))


def _parse_yaml_answer(raw: bytes) -> Response:
    try:
        _check_yaml_shape(raw)
        document = decode_document(raw, "spec.yaml")
        if not isinstance(document, dict):
            raise SpecError([Problem("", "the spec must be a mapping of fields (an object)")])
        content = _jsonable(document)
    except SpecError as error:
        return spec_problem_response(error)
    except ValueError as error:
        return _whole_file_problem(str(error))
    except RecursionError:
        return _whole_file_problem("the spec file is nested too deeply")
    return JSONResponse(content, headers={"Cache-Control": "no-store"})


@cache
def ui_strings(language: str) -> dict[str, Any]:
    """Every word the page shows in `language`, from web/strings/<language>.yaml."""
    text = (WEB_DIR / "strings" / f"{language}.yaml").read_text(encoding="utf-8")
    strings: dict[str, Any] = yaml.safe_load(text)
    return strings


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the service's pages: web/templates/, autoescaped, strict."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _static_files() -> dict[str, Path]:
    """Every name /static/ answers, mapped to its file: an allow-list, so no path is ever built
    from the request."""
    files = {
        path.relative_to(STATIC_DIR).as_posix(): path
        for path in STATIC_DIR.rglob("*")
        if path.is_file() and path.suffix in _STATIC_MEDIA_TYPES
    }
    fonts = bundled_dir("fonts")
    for font in _WEB_FONTS:
        if (fonts / font).is_file():
            files[f"fonts/{font}"] = fonts / font
    return files


@cache
def _template_cards(language: str) -> list[dict[str, Any]]:
    """The templates a producer picks a label from, as the page shows them: name, size,
    description, outline, and whether it is two-sided (a hang tag and its back)."""
    cards = []
    manifests = _listed_manifests()
    # The default first: it is what most producers need, and what the page starts with. A back
    # panel comes last: it is added to a front label more often than used alone.
    ordered = sorted(
        manifests,
        key=lambda name: (name != DEFAULT_TEMPLATE, manifests[name].role == "back"),
    )
    for template_id in ordered:
        manifest = manifests[template_id]
        cards.append(
            {
                "id": template_id,
                "name": _template_name(template_id, manifest, language),
                "description": _without_size(getattr(manifest.description, language)),
                "size": _size_text(manifest),
                "outline": _outline(manifest),
                "role": manifest.role,
                "sides": len(manifest.sides) + 1,
            }
        )
    return cards


@cache
def _back_panels(language: str) -> list[dict[str, Any]]:
    """The back panels a front label can be completed with: "Thêm nhãn mặt sau"."""
    return [
        {
            "id": template_id,
            "name": _template_name(template_id, manifest, language),
            "size": _size_text(manifest),
        }
        for template_id, manifest in _listed_manifests().items()
        if manifest.role == "back"
    ]


@cache
def _template_info(language: str) -> dict[str, dict[str, Any]]:
    """Every bundled template, sides included, as the script needs it to work out the panels of
    a set (a hang tag brings its back), caption their previews and name suggested sets."""
    info: dict[str, dict[str, Any]] = {}
    for template_id in bundled_template_ids():
        try:
            manifest = load_template(template_id).manifest
        except TemplateError:
            continue
        info[template_id] = {
            "name": _template_name(template_id, manifest, language),
            "size": _size_text(manifest),
            "role": manifest.role,
            "sides": list(manifest.sides),
            "side_of": manifest.side_of,
            "width_mm": manifest.width_mm,
            "height_mm": manifest.height_mm,
            # A round label's preview is cut to its circle inside the drawing's bleed.
            "shape": manifest.shape.kind,
            "bleed_mm": manifest.bleed_mm,
            # What each text slot prints, so that a layout finding on a slot holding one item
            # (the brand, the product name) is shown under that item's field.
            "slots": {name: list(slot.content) for name, slot in manifest.text_slots.items()},
        }
    return info


@cache
def _listed_manifests() -> dict[str, Manifest]:
    """The manifests of the templates a producer picks from (a tag's back comes with its front)."""
    try:
        template_ids = listed_template_ids()
    except TemplateError:
        template_ids = bundled_template_ids()  # one does not load: list those that do
    manifests = {}
    for template_id in template_ids:
        try:
            manifest = load_template(template_id).manifest
        except TemplateError:
            continue  # a broken bundled template is a test failure, not a reason to lose the page
        if manifest.side_of is None:
            manifests[template_id] = manifest
    return manifests


def _template_name(template_id: str, manifest: Manifest, language: str) -> str:
    names: dict[str, str] = ui_strings(language)["template_names"]
    return names.get(template_id, manifest.name)


def _without_size(description: str) -> str:
    """A manifest's description without the name and size the card already shows.

    "Nhãn mặt sau 80 × 120 mm — đầy đủ nội dung…" → "Đầy đủ nội dung…";
    "Thẻ treo 55 × 90 mm cho hàng thủ công…" → "Cho hàng thủ công…".
    """
    _, dash, tail = description.partition(" — ")
    if not dash:
        tail = _SIZE_PREFIX.sub("", description, count=1)
    tail = tail.strip()
    return tail[:1].upper() + tail[1:] if tail else description


def _size_text(manifest: Manifest) -> str:
    if manifest.shape.kind == "circle":
        return f"⌀ {manifest.width_mm:g} mm"
    return f"{manifest.width_mm:g} × {manifest.height_mm:g} mm"


def _outline(manifest: Manifest) -> dict[str, Any]:
    """The template's shape scaled into a 48 × 48 box, for a small drawing on its card."""
    scale = 44 / max(manifest.width_mm, manifest.height_mm)
    width = manifest.width_mm * scale
    height = manifest.height_mm * scale
    outline: dict[str, Any] = {
        "kind": manifest.shape.kind,
        "x": round((48 - width) / 2, 2),
        "y": round((48 - height) / 2, 2),
        "width": round(width, 2),
        "height": round(height, 2),
        "radius": round(manifest.shape.corner_radius_mm * scale, 2),
        "hole": None,
    }
    shape = manifest.shape
    if shape.hole_center_mm is not None and shape.hole_diameter_mm is not None:
        outline["hole"] = {
            "cx": round(outline["x"] + shape.hole_center_mm[0] * scale, 2),
            "cy": round(outline["y"] + shape.hole_center_mm[1] * scale, 2),
            "r": round(shape.hole_diameter_mm * scale / 2, 2),
        }
    return outline


def _check_yaml_shape(raw: bytes) -> None:
    """Refuse aliases, deep nesting and huge documents by walking the parser's events, which
    builds nothing and recurses nowhere. A syntax error is reported here too, worded as
    decode_document words it, so that a malformed file is never handed to the recursive
    pure-Python loader."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return
    depth = 0
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_EVENT_LOADER)):
            if count > PARSE_MAX_EVENTS:
                raise SpecError([Problem("", "the spec file is too long")])
            if isinstance(event, yaml.AliasEvent):
                raise SpecError([Problem("", "YAML aliases (*name) are not accepted")])
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > PARSE_MAX_DEPTH:
                    raise SpecError([Problem("", "the spec file is nested too deeply")])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise SpecError([Problem("", f"not valid YAML: {problem}{where}")]) from None


def _jsonable(value: Any) -> Any:
    """A YAML document as JSON data: dates as ISO text, keys as text, NFC strings."""
    if isinstance(value, dict):
        return {_key_text(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    raise ValueError("the spec file holds binary data or another value JSON cannot carry")


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, str | int | float | dt.date):
        return key.isoformat() if isinstance(key, dt.date) else str(key)
    raise ValueError("the spec file has a key that is not text")


def _whole_file_problem(reason: str) -> Response:
    return problem_response(INVALID_SPEC, reason, problems=field_problems([Problem("", reason)]))
