"""Print colour stage: real labels converted to press CMYK, checked object by object, by picture,
by decoding their QR, and for a truthful OutputIntent and PDF/X-4 metadata."""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pikepdf
import pytest
from imaging import compare_images, decode_codes, rasterise_pdf
from PIL import Image, ImageCms
from weasyprint import HTML

from labelgen.errors import ColourError
from labelgen.production import colour

if TYPE_CHECKING:
    from conftest import LabelCase

PROFILE_PATH = colour.profile_path()
RGB_OPERATORS = {"rg", "RG"}
CREATED_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def converted(pdf_bytes: bytes) -> pikepdf.Pdf:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    colour.convert_pdf_to_cmyk(pdf)
    return pdf


def saved(pdf: pikepdf.Pdf) -> bytes:
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


def press_value(red: int, green: int, blue: int) -> tuple[float, ...]:
    """What LittleCMS makes of an 8-bit sRGB colour on the press profile, computed here anew."""
    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.getOpenProfile(str(PROFILE_PATH)),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), (red, green, blue)), transform)
    assert pixel is not None
    values = pixel.getpixel((0, 0))
    assert isinstance(values, tuple)
    return tuple(round(value / 255, 4) for value in values)


# --- an independent look for RGB: every object in the file, not the module's walk ------------


def nested(obj: pikepdf.Object, depth: int = 0) -> Iterator[pikepdf.Object]:
    """`obj` and the direct objects inside it (indirect ones are visited on their own)."""
    yield obj
    if depth > 20:
        return
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for value in obj.values():
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                yield from nested(value, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                yield from nested(value, depth + 1)


def content_streams(pdf: pikepdf.Pdf) -> Iterator[tuple[str, object]]:
    for number, page in enumerate(pdf.pages, start=1):
        yield f"page {number}", page
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and (
            obj.get("/Subtype") == pikepdf.Name.Form or int(obj.get("/PatternType", 0)) == 1
        ):
            yield f"object {obj.objgen}", obj


def rgb_anywhere(pdf: pikepdf.Pdf) -> list[str]:
    """Every RGB colour space name, RGB ICC profile and RGB operator in the whole file."""
    found = []
    for top in pdf.objects:
        for obj in nested(top):
            if isinstance(obj, pikepdf.Name) and str(obj) in ("/DeviceRGB", "/CalRGB"):
                found.append(f"{obj!s} in object {top.objgen}")
            if (
                isinstance(obj, pikepdf.Stream)
                and int(obj.get("/N", 0)) == 3
                and "/Subtype" not in obj
            ):
                found.append(f"an RGB ICC profile, object {obj.objgen}")
    for where, source in content_streams(pdf):
        for instruction in pikepdf.parse_content_stream(source):  # type: ignore[arg-type]
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                found.append(f"an inline image in {where}")
            elif str(instruction.operator) in RGB_OPERATORS:
                found.append(f"{instruction.operator} in {where}")
    return found


def colour_operators(source: object) -> list[tuple[str, tuple[float, ...]]]:
    return [
        (str(instruction.operator), tuple(float(value) for value in instruction.operands))
        for instruction in pikepdf.parse_content_stream(source)  # type: ignore[arg-type]
        if str(instruction.operator) in ("rg", "RG", "k", "K", "g", "G")
    ]


# --- the method -------------------------------------------------------------------------------


def test_black_is_k_only_and_white_no_ink() -> None:
    assert colour.rgb_to_cmyk(0.0, 0.0, 0.0) == (0.0, 0.0, 0.0, 1.0)
    assert colour.rgb_to_cmyk(1.0, 1.0, 1.0) == (0.0, 0.0, 0.0, 0.0)


def test_greys_are_k_only_and_darker_greys_get_more_k() -> None:
    tints = [colour.rgb_to_cmyk(level / 10, level / 10, level / 10) for level in range(11)]
    assert all(tint[:3] == (0.0, 0.0, 0.0) for tint in tints)
    blacks = [tint[3] for tint in tints]
    assert blacks == sorted(blacks, reverse=True)
    assert len(set(blacks)) == 11
    # The warm near-black the templates use for text is a grey too: one plate, no registration.
    cyan, magenta, yellow, black = colour.rgb_to_cmyk(29 / 255, 29 / 255, 27 / 255)
    assert (cyan, magenta, yellow) == (0.0, 0.0, 0.0)
    assert black > 0.9


def test_a_brand_colour_is_the_profiles_value() -> None:
    assert colour.rgb_to_cmyk(176 / 255, 48 / 255, 106 / 255) == press_value(176, 48, 106)
    assert colour.rgb_to_cmyk(46 / 255, 125 / 255, 50 / 255) == press_value(46, 125, 50)


def test_no_colour_exceeds_the_ink_limit() -> None:
    steps = [step / 6 for step in range(7)]
    totals = [sum(colour.rgb_to_cmyk(r, g, b)) for r in steps for g in steps for b in steps]
    assert max(totals) <= 3.0
    assert max(totals) > 2.5  # the darkest colours do go up to the limit


def test_a_component_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ColourError, match="outside"):
        colour.rgb_to_cmyk(1.2, 0.0, 0.0)


# --- real labels ------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", ["hat-sen-say-on-ocop-classic", "hat-sen-say-on-round-jar"])
def test_a_label_has_no_rgb_left(label_cases: dict[str, LabelCase], case_id: str) -> None:
    original = pikepdf.open(io.BytesIO(label_cases[case_id].pdf))
    assert rgb_anywhere(original), "the WeasyPrint PDF was expected to hold RGB"
    assert colour.find_rgb(original)
    pdf = converted(label_cases[case_id].pdf)
    assert rgb_anywhere(pdf) == []
    assert colour.find_rgb(pdf) == []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.Transparency:
            assert obj.get("/CS") in (None, pikepdf.Name.DeviceCMYK, pikepdf.Name.DeviceGray)


def test_each_rgb_operator_became_its_cmyk_value(label_cases: dict[str, LabelCase]) -> None:
    case = label_cases["hat-sen-say-on-ocop-classic"]
    original = pikepdf.open(io.BytesIO(case.pdf))
    pdf = converted(case.pdf)
    before = colour_operators(original.pages[0])
    after = colour_operators(pdf.pages[0])
    assert len(before) == len(after)
    pairs = list(zip(before, after, strict=True))
    assert ("rg", (0.0, 0.0, 0.0)) in before  # the QR's modules
    for (operator, rgb), (new_operator, cmyk) in pairs:
        if operator == "rg":
            assert new_operator == "k"
            assert sum(cmyk) <= 3.0
            if rgb == (0.0, 0.0, 0.0):
                assert cmyk == (0.0, 0.0, 0.0, 1.0)
            if rgb == (0.690196, 0.188235, 0.415686):  # the brand's primary, #B0306A
                assert cmyk == press_value(176, 48, 106)
        if operator == "k":
            assert (new_operator, cmyk) == (operator, rgb)  # CMYK already (the die line) stays


def test_a_converted_label_looks_the_same_and_its_code_reads(
    label_cases: dict[str, LabelCase],
) -> None:
    case = label_cases["hat-sen-say-on-ocop-classic"]
    pdf_bytes = saved(converted(case.pdf))
    before = rasterise_pdf(case.pdf, 72)
    after = rasterise_pdf(pdf_bytes, 72)
    # Poppler shows CMYK without the profile, so colours move a little; shapes must not.
    difference = compare_images(after, before, threshold=96, blur_px=1.0)
    assert difference.worst_channel_mean < 12, difference.describe()
    assert difference.large_fraction < 0.01, difference.describe()
    assert decode_codes(rasterise_pdf(pdf_bytes, 300)).get("QRCode") == [case.layout.qr_content]


def test_output_intent_and_metadata_agree(label_cases: dict[str, LabelCase]) -> None:
    pdf = converted(label_cases["hat-sen-say-on-round-jar"].pdf)
    colour.add_output_intent(pdf)
    colour.set_pdfx4_metadata(pdf, "Hạt sen sấy giòn — run 7", created_at=CREATED_AT)
    reopened = pikepdf.open(io.BytesIO(saved(pdf)))
    assert reopened.pdf_version >= "1.6"
    assert not reopened.is_encrypted
    intents = reopened.Root.OutputIntents
    assert len(intents) == 1
    intent = intents[0]
    assert intent.S == pikepdf.Name.GTS_PDFX
    assert str(intent.OutputConditionIdentifier) == "FOGRA39"
    assert str(intent.RegistryName) == "http://www.color.org"
    embedded = intent.DestOutputProfile.read_bytes()
    assert embedded == PROFILE_PATH.read_bytes()
    profile = ImageCms.ImageCmsProfile(io.BytesIO(embedded))
    assert str(intent.Info) == ImageCms.getProfileDescription(profile).strip()
    assert profile.profile.xcolor_space == "CMYK"
    assert int(intent.DestOutputProfile.N) == 4

    info = reopened.docinfo
    assert info.Trapped == pikepdf.Name("/False")
    assert str(info.Title) == "Hạt sen sấy giòn — run 7"
    assert str(info.CreationDate) == str(info.ModDate) == "D:20261128093000Z"
    with reopened.open_metadata() as metadata:
        assert metadata["{http://www.npes.org/pdfx/ns/id/}GTS_PDFXVersion"] == "PDF/X-4"
        assert metadata["pdf:Trapped"] == "False"
        assert metadata["dc:title"] == "Hạt sen sấy giòn — run 7"
        created = datetime.fromisoformat(metadata["xmp:CreateDate"])
        assert created == CREATED_AT
        assert datetime.fromisoformat(metadata["xmp:ModifyDate"]) == CREATED_AT
        assert datetime.fromisoformat(metadata["xmp:MetadataDate"]) == CREATED_AT
    assert colour.find_rgb(reopened) == []


def test_pdfx4_is_not_claimed_without_an_output_intent(label_cases: dict[str, LabelCase]) -> None:
    pdf = converted(label_cases["hat-sen-say-on-round-jar"].pdf)
    with pytest.raises(ColourError, match="OutputIntent"):
        colour.set_pdfx4_metadata(pdf, "No intent")
    assert "/Metadata" not in pdf.Root


def test_pdfx4_is_not_claimed_with_javascript(label_cases: dict[str, LabelCase]) -> None:
    pdf = converted(label_cases["hat-sen-say-on-round-jar"].pdf)
    colour.add_output_intent(pdf)
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action]))
    )
    with pytest.raises(ColourError, match="JavaScript"):
        colour.set_pdfx4_metadata(pdf, "Scripted")


# --- what else WeasyPrint can make: gradients, opacity, masks, images, patterns --------------


def data_uri(image: Image.Image, kind: str) -> str:
    output = io.BytesIO()
    image.save(output, kind)
    return f"data:image/{kind.lower()};base64,{base64.b64encode(output.getvalue()).decode()}"


@pytest.fixture(scope="module")
def rich_artwork() -> bytes:
    photo = Image.new("RGBA", (24, 24), (200, 30, 60, 128))
    photo.paste((20, 90, 200, 255), (0, 0, 12, 24))
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="60mm"
      viewBox="0 0 100 60"><defs>
      <linearGradient id="lg" x1="0" x2="1"><stop offset="0" stop-color="#ff0000"/>
        <stop offset="0.5" stop-color="#00ff00"/>
        <stop offset="1" stop-color="#0000ff" stop-opacity="0.5"/></linearGradient>
      <radialGradient id="rg"><stop offset="0" stop-color="#ffff00"/>
        <stop offset="1" stop-color="#000080"/></radialGradient>
      <pattern id="pt" width="4" height="4" patternUnits="userSpaceOnUse">
        <rect width="2" height="2" fill="#123456"/></pattern>
      <mask id="mk"><rect width="100" height="60" fill="#808080"/></mask></defs>
      <rect width="30" height="10" fill="url(#lg)"/>
      <circle cx="50" cy="10" r="8" fill="url(#rg)"/>
      <rect y="20" width="20" height="20" fill="url(#pt)"/>
      <g opacity="0.5"><rect x="30" y="20" width="20" height="20" fill="#ff8800"/></g>
      <rect x="60" y="20" width="20" height="20" fill="#33aa33" mask="url(#mk)"/>
      <image x="0" y="45" width="10" height="10" href="{data_uri(photo, "PNG")}"/>
      <image x="15" y="45" width="10" height="10"
        href="{data_uri(photo.convert("RGB"), "JPEG")}"/>
    </svg>"""
    html = f"<html><head><style>@page{{size:110mm 70mm;margin:0}}</style></head><body>{svg}</body>"
    result = HTML(string=html + "</html>").write_pdf()
    assert result is not None
    return result


def test_gradients_masks_images_and_patterns_are_converted(rich_artwork: bytes) -> None:
    original = pikepdf.open(io.BytesIO(rich_artwork))
    assert len(colour.find_rgb(original)) > 5
    pdf = converted(rich_artwork)
    assert rgb_anywhere(pdf) == []
    images = [obj for obj in pdf.objects if obj.get("/Subtype") == pikepdf.Name.Image]
    colour_images = [image for image in images if image.ColorSpace == pikepdf.Name.DeviceCMYK]
    assert len(colour_images) == 2
    assert any("/SMask" in image for image in colour_images)  # the PNG keeps its alpha
    masks = [
        obj.SMask
        for top in pdf.objects
        for obj in nested(top)
        if isinstance(obj, pikepdf.Dictionary) and isinstance(obj.get("/SMask"), pikepdf.Dictionary)
    ]
    assert masks
    for mask in masks:
        assert pikepdf.Name.DeviceGray == mask.G.Group.CS
    grey_fills = [
        operands
        for mask in masks
        for operator, operands in colour_operators(mask.G)
        if operator == "g"
    ]
    assert (0.502,) in grey_fills  # the SVG mask's #808080, as luminosity, exactly
    before = rasterise_pdf(rich_artwork, 72)
    after = rasterise_pdf(saved(pdf), 72)
    difference = compare_images(after, before, threshold=96, blur_px=1.0)
    assert difference.worst_channel_mean < 12, difference.describe()


def test_a_cmyk_shading_keeps_every_component_within_the_ink_limit(rich_artwork: bytes) -> None:
    pdf = converted(rich_artwork)
    shadings = [
        obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/ShadingType" in obj
    ]
    assert any(shading.ColorSpace == pikepdf.Name.DeviceCMYK for shading in shadings)
    for shading in shadings:
        for function in nested(shading.Function):
            if isinstance(function, pikepdf.Dictionary) and function.get("/FunctionType") == 2:
                for key in ("/C0", "/C1"):
                    values = [float(value) for value in function[key]]
                    assert sum(values) <= 3.0


# --- what cannot be converted is refused, by name -----------------------------------------------


def page_with(pdf: pikepdf.Pdf, content: bytes, resources: pikepdf.Dictionary) -> pikepdf.Page:
    page = pdf.add_blank_page(page_size=(200, 200))
    page.obj.Resources = resources
    page.obj.Contents = pdf.make_stream(content)
    return page


def test_a_sampled_shading_function_is_refused_naming_it() -> None:
    pdf = pikepdf.new()
    function = pdf.make_stream(
        bytes([255, 0, 0, 0, 0, 255]),
        FunctionType=0,
        Domain=[0, 1],
        Range=[0, 1, 0, 1, 0, 1],
        Size=[2],
        BitsPerSample=8,
    )
    shading = pikepdf.Dictionary(
        ShadingType=2,
        ColorSpace=pikepdf.Name.DeviceRGB,
        Coords=[0, 0, 100, 0],
        Function=function,
    )
    page_with(pdf, b"/Sh0 sh", pikepdf.Dictionary(Shading=pikepdf.Dictionary(Sh0=shading)))
    with pytest.raises(ColourError, match=r"page 1 › Shading /Sh0: a sampled colour function"):
        colour.convert_pdf_to_cmyk(pdf)


def test_an_inline_rgb_image_and_a_named_rgb_space_are_converted() -> None:
    pdf = pikepdf.new()
    pixels = bytes([255, 0, 0] * 8 + [0, 0, 0] * 8)
    icc = pdf.make_stream(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), N=3)
    resources = pikepdf.Dictionary(
        ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Array([pikepdf.Name.ICCBased, icc]))
    )
    content = (
        b"q 40 0 0 40 10 10 cm BI /W 4 /H 4 /CS /RGB /BPC 8 /F /AHx ID "
        + base64.b16encode(pixels)
        + b"> EI Q /CS0 cs 0 0 0 sc 0 0 5 5 re f"
    )
    page_with(pdf, content, resources)
    assert len(colour.find_rgb(pdf)) >= 2
    colour.convert_pdf_to_cmyk(pdf)
    pdf = pikepdf.open(io.BytesIO(saved(pdf)))  # saving drops the profile nothing refers to now
    assert rgb_anywhere(pdf) == []
    fills = [
        (str(instruction.operator), list(instruction.operands))
        for instruction in pikepdf.parse_content_stream(pdf.pages[0])
        if str(instruction.operator) in ("cs", "sc")
    ]
    assert fills == [("cs", [pikepdf.Name.DeviceCMYK]), ("sc", [0, 0, 0, 1])]
    (image,) = (obj for obj in pdf.objects if obj.get("/Subtype") == pikepdf.Name.Image)
    assert image.ColorSpace == pikepdf.Name.DeviceCMYK
    samples = zlib.decompress(image.read_raw_bytes())
    # A picture with colour goes through the profile as a whole, its black included.
    assert samples[:4] == bytes(round(value * 255) for value in press_value(255, 0, 0))
    assert samples[-4:] == bytes(round(value * 255) for value in press_value(0, 0, 0))


def test_a_picture_of_greys_is_k_only() -> None:
    picture = Image.new("RGB", (3, 1))
    picture.putdata([(0, 0, 0), (128, 128, 128), (255, 255, 255)])
    cmyk = colour.rgb_image_to_cmyk(picture)
    assert [cmyk.getpixel((x, 0)) for x in range(3)] == [
        (0, 0, 0, 255),
        (0, 0, 0, round(colour.rgb_to_cmyk(128 / 255, 128 / 255, 128 / 255)[3] * 255)),
        (0, 0, 0, 0),
    ]
