"""Logo sanitiser: allowed images are re-encoded as capped PNGs; hostile ones are refused by name."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from service_support import huge_png

from labelgen.errors import SpecError
from labelgen.logos import (
    MAX_SIDE_PX,
    SVG_MAX_EXPANDED_ELEMENTS,
    sanitize_logo,
    sniff_image_kind,
)
from labelgen.spec import parse_spec

SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def data_uri(payload: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(payload).decode("ascii")


def image_bytes(image: Image.Image, image_format: str, **options: object) -> bytes:
    output = io.BytesIO()
    image.save(output, image_format, **options)
    return output.getvalue()


def decoded_png(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "PNG"
    return image


def refusal(uri: str) -> str:
    with pytest.raises(SpecError) as caught:
        sanitize_logo(uri)
    (problem,) = caught.value.problems
    assert problem.field == "brand.logo"
    return problem.reason


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_raster_logos_come_back_as_png_with_the_same_picture(
    image_format: str, media_type: str
) -> None:
    original = Image.new("RGB", (40, 24), (11, 110, 79))
    result = decoded_png(sanitize_logo(data_uri(image_bytes(original, image_format), media_type)))
    assert result.size == (40, 24)
    assert result.convert("RGB").getpixel((20, 12)) == pytest.approx((11, 110, 79), abs=6)


def test_metadata_of_the_original_does_not_survive() -> None:
    original = Image.new("RGB", (8, 8), "white")
    exif = Image.Exif()
    exif[0x010E] = "root:x:0:0 secret description"  # ImageDescription
    payload = image_bytes(original, "JPEG", exif=exif.tobytes())
    assert b"root:x:0:0" in payload
    result = sanitize_logo(data_uri(payload, "image/jpeg"))
    assert b"root:x:0:0" not in base64.b64decode(result.split(",", 1)[1])


def test_transparency_is_kept() -> None:
    original = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    result = decoded_png(sanitize_logo(data_uri(image_bytes(original, "PNG"))))
    assert result.mode == "RGBA"
    pixel = result.getpixel((5, 5))
    assert isinstance(pixel, tuple) and pixel[3] == 0


def test_a_large_logo_is_scaled_down_to_the_cap() -> None:
    original = Image.new("RGB", (3000, 1500), "white")
    result = decoded_png(sanitize_logo(data_uri(image_bytes(original, "PNG"))))
    assert result.size == (MAX_SIDE_PX, MAX_SIDE_PX // 2)


def test_a_canvas_over_the_cap_is_refused_with_its_size() -> None:
    payload = image_bytes(Image.new("1", (5000, 4000), 0), "PNG")
    assert "5000 × 4000" in refusal(data_uri(payload))


def test_the_declared_type_is_not_trusted() -> None:
    """A PNG sent as image/jpeg is read as what its bytes are."""
    payload = image_bytes(Image.new("RGB", (4, 4), "red"), "PNG")
    assert decoded_png(sanitize_logo(data_uri(payload, "image/jpeg"))).size == (4, 4)


@pytest.mark.parametrize(
    "payload",
    [b"GIF89a\x01\x00\x01\x00", b"<html><body>hello</body></html>", b"root:x:0:0:root:/root"],
)
def test_other_files_are_refused(payload: bytes) -> None:
    assert "PNG, JPEG, WebP or SVG" in refusal(data_uri(payload))


def test_broken_image_data_is_refused_without_the_decoder_speaking() -> None:
    reason = refusal(data_uri(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40))
    assert reason == "cannot be read as a PNG image"


def test_bad_base64_is_refused() -> None:
    assert "base64" in refusal("data:image/png;base64,@@@not-base64@@@")


def test_a_huge_canvas_is_refused_before_decoding() -> None:
    payload = huge_png(20_000, 20_000)
    assert len(payload) < 100_000, "the test image should be tiny on the wire"
    assert "16,000,000" in refusal(data_uri(payload))


def test_a_decompression_bomb_made_by_pillow_is_refused() -> None:
    payload = image_bytes(Image.new("1", (10_000, 10_000), 0), "PNG")
    assert len(payload) < 50_000
    assert "16,000,000" in refusal(data_uri(payload))


def test_sniffing_knows_the_four_kinds() -> None:
    assert sniff_image_kind(image_bytes(Image.new("RGB", (2, 2)), "WEBP")) == "webp"
    assert sniff_image_kind(b"\xef\xbb\xbf  <?xml version='1.0'?><svg/>") == "svg"


# SVG logos


def svg_logo(body: str, attributes: str = 'width="40" height="20"') -> str:
    return data_uri(f"<svg {SVG_NS} {attributes}>{body}</svg>".encode(), "image/svg+xml")


def test_an_svg_logo_is_rasterised_at_its_aspect_ratio() -> None:
    result = decoded_png(sanitize_logo(svg_logo('<rect width="40" height="20" fill="#B0306A"/>')))
    assert result.size == (MAX_SIDE_PX, MAX_SIDE_PX // 2)
    assert result.convert("RGB").getpixel((600, 300)) == pytest.approx((176, 48, 106), abs=4)


def test_internal_references_are_fine() -> None:
    body = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
        '<rect id="r" width="10" height="10"/></defs>'
        '<use href="#r" x="5"/><rect width="40" height="20" fill="url(#g)"/>'
    )
    decoded_png(sanitize_logo(svg_logo(body)))


def test_a_huge_svg_canvas_costs_no_more_than_a_small_one() -> None:
    body = '<rect width="20000" height="20000" fill="black"/>'
    result = decoded_png(sanitize_logo(svg_logo(body, 'width="20000" height="20000"')))
    assert result.size == (MAX_SIDE_PX, MAX_SIDE_PX)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<image href="file:///etc/passwd" width="1" height="1"/>', "only #fragments"),
        ('<image xlink:href="http://127.0.0.1:9/x.png" width="1" height="1"/>', "only #fragments"),
        ('<use href="file:///etc/passwd#x"/>', "only #fragments"),
        ('<rect width="1" height="1" fill="url(file:///etc/passwd)"/>', "url("),
        ('<rect width="1" height="1" style="fill:url(http://127.0.0.1:9/p)"/>', "url("),
        ("<style>@import url(file:///etc/passwd);</style>", "imports"),
        ("<style>rect{fill:url('http://127.0.0.1:9/x')}</style>", "style sheet"),
        ("<script>alert(1)</script>", "<script>"),
        ('<rect width="1" height="1" onload="alert(1)"/>', "event handler"),
        ("<foreignObject><p>hi</p></foreignObject>", "<foreignObject>"),
    ],
)
def test_svg_references_outside_the_logo_and_code_are_refused(body: str, expected: str) -> None:
    assert expected in refusal(svg_logo(body))


def test_an_xxe_svg_is_refused() -> None:
    document = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<svg {SVG_NS}><text>&xxe;</text></svg>"
    )
    assert "DTD" in refusal(data_uri(document.encode(), "image/svg+xml"))


def test_a_billion_laughs_svg_is_refused() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{level} "{("&lol" + str(level - 1) + ";") * 10 if level > 1 else "&lol;" * 10}">'
        for level in range(1, 10)
    )
    document = f"<?xml version='1.0'?><!DOCTYPE svg [{entities}]><svg {SVG_NS}>&lol9;</svg>"
    assert "DTD" in refusal(data_uri(document.encode(), "image/svg+xml"))


def use_fan_out(levels: int, fan: int) -> str:
    """`fan` ** `levels` drawn rectangles from a few dozen elements of nested <use>."""
    parts = ['<defs><rect id="l0" width="1" height="1"/>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(fan))
        parts.append(f'<g id="l{level}">{uses}</g>')
    parts.append(f'</defs><use href="#l{levels}"/>')
    return "".join(parts)


def test_a_use_fan_out_of_ten_to_the_fifth_is_refused() -> None:
    assert SVG_MAX_EXPANDED_ELEMENTS < 10**5
    assert "expands to more than" in refusal(svg_logo(use_fan_out(levels=5, fan=10)))


def test_a_small_use_fan_out_is_drawn() -> None:
    decoded_png(sanitize_logo(svg_logo(use_fan_out(levels=2, fan=10))))


def test_a_use_cycle_is_refused() -> None:
    body = '<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'
    assert "loop" in refusal(svg_logo(body))


def test_a_root_that_is_not_svg_is_refused() -> None:
    assert "root element" in refusal(data_uri(b"<html><svg/></html>", "image/svg+xml"))


# The command line gets the same treatment through parse_spec.


def minimal_document(logo: str) -> dict[str, object]:
    return {
        "brand": {"name": "Sen Hồng", "logo": logo},
        "product": {"name": "Hạt sen", "category": "food"},
        "producer": {"name": "HTX Sen", "address": "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp"},
    }


def test_a_logo_file_next_to_the_spec_is_sanitised(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(
        f'<svg {SVG_NS} width="10" height="10"><rect width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    spec = parse_spec(minimal_document("logo.svg"), base_dir=tmp_path)
    assert spec.brand.logo is not None
    decoded_png(spec.brand.logo)


def test_a_hostile_logo_file_is_refused_by_parse_spec(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(
        f'<svg {SVG_NS}><image href="file:///etc/passwd"/></svg>', encoding="utf-8"
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(minimal_document("logo.svg"), base_dir=tmp_path)
    assert [problem.field for problem in caught.value.problems] == ["brand.logo"]
