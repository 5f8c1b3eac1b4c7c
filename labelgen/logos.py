"""Logo sanitiser: a data: URI of PNG, JPEG, WebP or SVG → a data: URI of a re-encoded, size-capped PNG."""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
import xml.etree.ElementTree as ElementTree
from functools import lru_cache

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely
from PIL import Image, ImageOps

from labelgen.errors import Problem, SpecError

FIELD = "brand.logo"
LOGO_MAX_BYTES = 2_000_000  # the file as sent, and the PNG that replaces it
# A logo is printed a few centimetres wide: 16 megapixels is far more than any press can use,
# and bounds what decoding one may cost (64 MB as RGBA).
DEFAULT_MAX_PIXELS = 16_000_000
# The re-encoded PNG's longest side: 1200 px is a 40 mm logo at 760 dpi.
MAX_SIDE_PX = 1200
# What an SVG logo may expand to once every reference (<use>, url(#…), href="#…") is followed:
# real logos have a few hundred elements; a fan-out of nested <use> reaches billions.
SVG_MAX_EXPANDED_ELEMENTS = 20_000
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
# Elements that run code, embed other documents or pull in media: no logo needs them.
SVG_REFUSED_ELEMENTS = frozenset(
    {"script", "foreignobject", "iframe", "embed", "object", "video", "audio", "handler"}
)

_DATA_URI = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)(?:;[\w-]+=[\w.-]+)*;base64,(?P<data>.*)$", re.S
)
_URL_REFERENCE = re.compile(r"url\(\s*(['\"]?)(?P<target>[^'\")]*)\1\s*\)", re.I)
_LENGTH = re.compile(
    r"^\s*(?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*$"
)

_max_pixels = DEFAULT_MAX_PIXELS

ElementTree.register_namespace("", SVG_NAMESPACE)
ElementTree.register_namespace("xlink", XLINK_NAMESPACE)


def limit_logo_pixels(max_pixels: int) -> None:
    """Set the pixel cap for this process (the service's workers take it from their settings)."""
    global _max_pixels
    _max_pixels = max_pixels
    # Pillow's own guard then refuses at the same size (its warning is made an error below).
    Image.MAX_IMAGE_PIXELS = max_pixels


def sanitize_logo(data_uri: str) -> str:
    """The logo re-encoded as a PNG data: URI, or SpecError naming `brand.logo`.

    The bytes are decoded and sniffed (the declared media type is not trusted); PNG, JPEG and
    WebP are decoded by Pillow under a pixel cap and written again as a fresh PNG, so nothing of
    the original file (metadata, extra chunks, a crafted stream) reaches a renderer. An SVG is
    parsed without DTDs or entities, refused if it refers to anything outside itself, runs code
    or fans out, and is rasterised from bytes at a capped size.
    """
    return _sanitized(data_uri, _max_pixels)


@lru_cache(maxsize=8)
def _sanitized(data_uri: str, max_pixels: int) -> str:
    # The designer page re-sends the same logo with every keystroke; decoding it once is enough.
    raw = _decode_data_uri(data_uri)
    kind = sniff_image_kind(raw)
    png = _svg_to_png(raw) if kind == "svg" else _raster_to_png(raw, kind, max_pixels)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def sniff_image_kind(raw: bytes) -> str:
    """'png', 'jpeg', 'webp' or 'svg' from the file's first bytes; SpecError for anything else."""
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if raw.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and b"<svg" in raw[:4096]:
        return "svg"
    raise _refusal("is not a PNG, JPEG, WebP or SVG image")


def _decode_data_uri(data_uri: str) -> bytes:
    match = _DATA_URI.match(data_uri.strip())
    if match is None:
        raise _refusal("must be a base64 data: URI of PNG, JPEG, WebP or SVG")
    payload = re.sub(r"\s+", "", match["data"])
    if len(payload) > LOGO_MAX_BYTES * 4 // 3 + 4:
        raise _refusal(f"is larger than {LOGO_MAX_BYTES // 1_000_000} MB")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _refusal("is not valid base64") from None


def _raster_to_png(raw: bytes, kind: str, max_pixels: int) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[kind.upper()]) as image:
                pixels = image.width * image.height
                if pixels > max_pixels:
                    raise _too_many_pixels(image.width, image.height, max_pixels)
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _encode_png(_plain_mode(upright))
    except SpecError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refusal(f"has more than {max_pixels:,} pixels") from None
    except Exception:
        # Whatever a crafted file makes the decoder raise, the answer is the same refusal; the
        # decoder's own message (library names, offsets) is of no use to the person sending it.
        raise _refusal(f"cannot be read as a {kind.upper()} image") from None


def _plain_mode(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode_png(image: Image.Image) -> bytes:
    """A PNG no larger than LOGO_MAX_BYTES, its longest side at most MAX_SIDE_PX."""
    image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    while True:
        output = io.BytesIO()
        image.save(output, "PNG", optimize=False, compress_level=6)
        if output.tell() <= LOGO_MAX_BYTES or max(image.size) <= 64:
            return output.getvalue()
        # A photograph can stay over the budget at 1200 px; smaller is still sharp in print.
        smaller = (max(1, image.width * 7 // 10), max(1, image.height * 7 // 10))
        image = image.resize(smaller, Image.Resampling.LANCZOS)


def _svg_to_png(raw: bytes) -> bytes:
    root = _parse_svg(raw)
    check_svg_logo(root)
    width_px, height_px = _raster_size(root)
    checked = ElementTree.tostring(root, encoding="utf-8")
    # The bundled-fonts configuration must be in place before cairo first loads fontconfig.
    from labelgen.fonts import use_bundled_fonts_only

    use_bundled_fonts_only()
    import cairosvg

    try:
        # Bytes in, no url= and never unsafe=True: CairoSVG resolves nothing outside the text.
        png: bytes = cairosvg.svg2png(
            bytestring=checked, output_width=width_px, output_height=height_px
        )
    except Exception:
        raise _refusal("is an SVG that cannot be drawn") from None
    return png


def _parse_svg(raw: bytes) -> ElementTree.Element:
    try:
        root = parse_xml_safely(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _refusal("is an SVG with a DTD or entities, which are not accepted") from None
    except ElementTree.ParseError:
        raise _refusal("is not well-formed SVG") from None
    if _local_name(root.tag) != "svg":
        raise _refusal("is not an SVG image (its root element is not <svg>)")
    return root


def check_svg_logo(root: ElementTree.Element) -> None:
    """Refuse an SVG that runs code, refers outside itself, or expands past a few thousand
    elements once its references are followed; SpecError naming `brand.logo` otherwise."""
    elements_by_id: dict[str, ElementTree.Element] = {}
    for element in root.iter():
        name = _local_name(element.tag)
        if name.lower() in SVG_REFUSED_ELEMENTS:
            raise _refusal(f"is an SVG holding <{name}>, which a logo may not use")
        for attribute, value in element.attrib.items():
            _check_attribute(_local_name(attribute), value)
        if name == "style" and element.text:
            _check_style_text(element.text)
        if "id" in element.attrib:
            elements_by_id[element.attrib["id"]] = element
    expanded = _expanded_count(root, elements_by_id, {}, set())
    if expanded > SVG_MAX_EXPANDED_ELEMENTS:
        raise _refusal(
            f"is an SVG that expands to more than {SVG_MAX_EXPANDED_ELEMENTS:,} elements "
            "(nested <use> or references)"
        )


def _check_attribute(name: str, value: str) -> None:
    if name.lower().startswith("on"):
        raise _refusal(f"is an SVG with an event handler ({name}), which a logo may not use")
    if name == "href" and not value.strip().startswith("#"):
        raise _refusal("is an SVG that refers to a file or address; only #fragments are allowed")
    for match in _URL_REFERENCE.finditer(value):
        if not match["target"].strip().startswith("#"):
            raise _refusal("is an SVG that refers to a file or address in url(…)")


def _check_style_text(text: str) -> None:
    if "@import" in text.lower():
        raise _refusal("is an SVG whose style sheet imports another one")
    for match in _URL_REFERENCE.finditer(text):
        if not match["target"].strip().startswith("#"):
            raise _refusal("is an SVG whose style sheet refers to a file or address")


def _expanded_count(
    element: ElementTree.Element,
    elements_by_id: dict[str, ElementTree.Element],
    counted: dict[int, int],
    open_elements: set[int],
) -> int:
    """How many elements a renderer draws for `element`, following every #reference.

    Memoised per element, so the walk itself stays linear; a reference back into an element
    being counted is a cycle, which a renderer would follow forever.
    """
    key = id(element)
    if key in counted:
        return counted[key]
    if key in open_elements:
        raise _refusal("is an SVG whose references loop back on themselves")
    open_elements.add(key)
    total = 1
    for child in element:
        total += _expanded_count(child, elements_by_id, counted, open_elements)
        if total > SVG_MAX_EXPANDED_ELEMENTS:
            break
    for target_id in _referenced_ids(element):
        target = elements_by_id.get(target_id)
        if target is not None:
            total += _expanded_count(target, elements_by_id, counted, open_elements)
        if total > SVG_MAX_EXPANDED_ELEMENTS:
            break
    open_elements.discard(key)
    counted[key] = total
    return total


def _referenced_ids(element: ElementTree.Element) -> list[str]:
    targets = []
    for attribute, value in element.attrib.items():
        if _local_name(attribute) == "href":
            targets.append(value.strip().removeprefix("#"))
        targets += [
            match["target"].strip().removeprefix("#") for match in _URL_REFERENCE.finditer(value)
        ]
    return targets


def _raster_size(root: ElementTree.Element) -> tuple[int, int]:
    """The PNG size for an SVG logo: its aspect ratio, the longest side MAX_SIDE_PX, whatever
    canvas size it declares (a 20 000 px canvas costs no more than a small one)."""
    aspect = _aspect_ratio(root)
    if aspect >= 1:
        return MAX_SIDE_PX, max(1, round(MAX_SIDE_PX / aspect))
    return max(1, round(MAX_SIDE_PX * aspect)), MAX_SIDE_PX


def _aspect_ratio(root: ElementTree.Element) -> float:
    """Width over height, from the viewBox or else width and height; 1 when neither says."""
    view_box = root.attrib.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        try:
            width, height = float(view_box[2]), float(view_box[3])
        except ValueError:
            width = height = 0.0
        if width > 0 and height > 0:
            return _bounded_ratio(width / height)
    width_match = _LENGTH.match(root.attrib.get("width", ""))
    height_match = _LENGTH.match(root.attrib.get("height", ""))
    if width_match and height_match:
        width, height = float(width_match["number"]), float(height_match["number"])
        if width > 0 and height > 0:
            return _bounded_ratio(width / height)
    return 1.0


def _bounded_ratio(ratio: float) -> float:
    return min(max(ratio, 1 / MAX_SIDE_PX), float(MAX_SIDE_PX))


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _too_many_pixels(width: int, height: int, max_pixels: int) -> SpecError:
    return _refusal(
        f"is {width} × {height} pixels ({width * height:,}); at most {max_pixels:,} are accepted"
    )


def _refusal(reason: str) -> SpecError:
    return SpecError([Problem(FIELD, reason)])
