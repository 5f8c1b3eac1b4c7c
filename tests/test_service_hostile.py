"""Hostile input over HTTP: each attack ends in a clear 4xx or a harmless render, reads no file,
opens no connection, and leaves the service answering."""

from __future__ import annotations

import base64
import io
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as parse_xml
from fastapi.testclient import TestClient
from PIL import Image
from service_support import (
    PASSWD_MARKER,
    assert_problem,
    huge_png,
    service_settings,
    spec_document,
)

from labelgen.logos import MAX_SIDE_PX
from labelgen.service.app import create_app

SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
JINJA_PROBES = (
    "{{7*7}}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{ config.__class__.__init__.__globals__['os'] .popen('id').read() }}",
    "{% for x in ().__class__.__base__ .__subclasses__() %}{{ x }}{% endfor %}",
    "{{lipsum.__globals__.os.environ}}",
    "${7*7}#{7*7}<%=7*7%>",
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(service_settings())) as client:
        yield client


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A loopback port that records any connection a renderer might be tricked into opening."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def service_still_answers(client: TestClient, listener: socket.socket) -> Iterator[None]:
    yield
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/v1/check", json=spec_document()).status_code == 200
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected to it


def listener_url(listener: socket.socket, path: str = "x.png") -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}/{path}"


def with_logo(logo: str) -> dict[str, Any]:
    document = spec_document()
    document["brand"]["logo"] = logo
    return document


def svg_data_uri(document: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(document.encode()).decode()


def png_data_uri(payload: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(payload).decode()


def post(client: TestClient, document: dict[str, Any], output_format: str = "svg") -> Any:
    response = client.post(f"/api/v1/labels?format={output_format}", json=document)
    assert PASSWD_MARKER not in response.content
    return response


def assert_logo_refused(response: Any) -> str:
    body = assert_problem(response, 422, "invalid-spec")
    (problem,) = body["problems"]
    assert problem["field"] == "brand.logo"
    reason: str = problem["reason"]
    return reason


@pytest.mark.parametrize("output_format", ["svg", "png", "pdf"])
def test_a_file_url_logo_is_refused(client: TestClient, output_format: str) -> None:
    response = post(client, with_logo("file:///etc/passwd"), output_format)
    assert "data: URI" in assert_logo_refused(response)


def test_a_network_logo_is_refused_without_a_connection(
    client: TestClient, listener: socket.socket
) -> None:
    assert_logo_refused(post(client, with_logo(listener_url(listener))))


def test_a_relative_logo_path_is_refused(client: TestClient) -> None:
    assert_logo_refused(post(client, with_logo("../../../../etc/passwd.png")))


@pytest.mark.parametrize(
    "reference",
    ["file:///etc/passwd", "/etc/passwd", "LISTENER", "data:image/svg+xml;base64,PHN2Zy8+"],
)
@pytest.mark.parametrize(
    "shape",
    [
        '<image href="{ref}" width="10" height="10"/>',
        '<image xlink:href="{ref}" width="10" height="10"/>',
        '<use href="{ref}#a"/>',
        '<rect width="10" height="10" fill="url({ref})"/>',
        "<style>@import url({ref});</style>",
    ],
)
def test_an_svg_logo_referring_to_anything_outside_is_refused(
    client: TestClient, listener: socket.socket, reference: str, shape: str
) -> None:
    target = listener_url(listener) if reference == "LISTENER" else reference
    logo = svg_data_uri(f"<svg {SVG_NS}>{shape.format(ref=target)}</svg>")
    assert_logo_refused(post(client, with_logo(logo), "png"))


@pytest.mark.parametrize("entity_target", ["file:///etc/passwd", "LISTENER"])
def test_an_xxe_svg_logo_is_refused(
    client: TestClient, listener: socket.socket, entity_target: str
) -> None:
    target = listener_url(listener) if entity_target == "LISTENER" else entity_target
    logo = svg_data_uri(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "{target}">]>'
        f"<svg {SVG_NS}><text>&xxe;</text></svg>"
    )
    assert "DTD" in assert_logo_refused(post(client, with_logo(logo), "pdf"))


def test_a_billion_laughs_svg_logo_is_refused(client: TestClient) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{level} "{f"&a{level - 1};" * 10}">' for level in range(1, 10)
    )
    logo = svg_data_uri(f"<?xml version='1.0'?><!DOCTYPE svg [{entities}]><svg {SVG_NS}>&a9;</svg>")
    assert "DTD" in assert_logo_refused(post(client, with_logo(logo), "png"))


def test_a_use_fan_out_svg_logo_is_refused(client: TestClient) -> None:
    """Five levels of ten <use> each: 10^5 rectangles from 56 elements."""
    parts = ['<defs><rect id="l0" width="1" height="1"/>']
    for level in range(1, 6):
        parts.append(f'<g id="l{level}">' + f'<use href="#l{level - 1}"/>' * 10 + "</g>")
    logo = svg_data_uri(f'<svg {SVG_NS}>{"".join(parts)}</defs><use href="#l5"/></svg>')
    assert "expands" in assert_logo_refused(post(client, with_logo(logo), "png"))


def test_a_script_in_an_svg_logo_is_refused(client: TestClient) -> None:
    logo = svg_data_uri(f"<svg {SVG_NS}><script>fetch('/etc/passwd')</script></svg>")
    assert "<script>" in assert_logo_refused(post(client, with_logo(logo)))


def test_a_huge_svg_canvas_logo_renders_harmlessly(client: TestClient) -> None:
    logo = svg_data_uri(
        f'<svg {SVG_NS} width="20000" height="20000"><rect width="20000" height="20000"/></svg>'
    )
    response = post(client, with_logo(logo))
    assert response.status_code == 200
    embedded = re.search(rb'href="data:image/png;base64,([^"]+)"', response.content)
    assert embedded is not None, "the logo is not in the label"
    width_px, height_px = Image.open(io.BytesIO(base64.b64decode(embedded.group(1)))).size
    assert max(width_px, height_px) <= MAX_SIDE_PX


def test_a_huge_png_canvas_logo_is_refused(client: TestClient) -> None:
    payload = huge_png(20_000, 20_000)
    assert len(payload) < 100_000
    assert "pixels" in assert_logo_refused(post(client, with_logo(png_data_uri(payload)), "png"))


def test_a_decompression_bomb_png_logo_is_refused(client: TestClient) -> None:
    output = io.BytesIO()
    Image.new("1", (10_000, 10_000), 0).save(output, "PNG")
    assert output.tell() < 50_000, "the bomb should be tiny on the wire"
    response = post(client, with_logo(png_data_uri(output.getvalue())), "pdf")
    assert "pixels" in assert_logo_refused(response)


def label_text(svg: bytes) -> str:
    """Every character of text drawn on the label, in document order, without spaces."""
    return "".join(parse_xml(svg).itertext()).replace(" ", "")


@pytest.mark.parametrize("probe", JINJA_PROBES)
def test_template_syntax_in_text_is_printed_not_evaluated(client: TestClient, probe: str) -> None:
    document = spec_document()
    document["producer"]["name"] = f"HTX {probe}"
    # A draft: what is checked here is the drawing, whatever the compliance rules say.
    response = post(client, document, "svg&draft=true")
    assert response.status_code == 200, response.text
    drawn = label_text(response.content)
    assert probe.replace(" ", "") in drawn
    # What evaluating any probe would print: a class list, the process environment, `id`.
    for evaluated in ("<class", "&lt;class", "environ({", "uid=", "PATH"):
        assert evaluated not in drawn
    assert client.post("/api/v1/check", json=document).status_code == 200


@pytest.mark.parametrize("output_format", ["png", "pdf"])
def test_template_syntax_renders_harmlessly_in_every_format(
    client: TestClient, output_format: str
) -> None:
    document = spec_document()
    document["producer"]["name"] = "HTX " + " ".join(JINJA_PROBES)
    assert post(client, document, f"{output_format}&draft=true").status_code == 200


def test_a_word_too_wide_for_its_slot_is_a_finding_not_a_crash(client: TestClient) -> None:
    """A word that cannot fit its slot even at the smallest size is the compliance report's to
    flag (text overflow), not a crash: labelgen.text gives such a block an infinite height."""
    document = spec_document()
    document["producer"]["name"] = "HTX " + "x" * 90
    response = client.post("/api/v1/check", json=document)
    assert response.status_code == 200
    assert not response.json()["compliant"]


def test_markup_in_text_stays_text(client: TestClient) -> None:
    document = spec_document()
    markup = "<script>alert(1)</script> ]]> &xxe; <image href='file:///etc/passwd'/>"
    document["producer"]["name"] = f"HTX {markup}"
    response = post(client, document, "svg&draft=true")
    assert response.status_code == 200
    root = parse_xml(response.content)
    names = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert "script" not in names
    assert b"file:///etc/passwd'/>" not in response.content
    assert markup.replace(" ", "") in label_text(response.content)


@pytest.mark.parametrize("template", ["/etc/passwd", "../../../../etc", "/proc/self"])
def test_a_template_path_is_refused(client: TestClient, template: str) -> None:
    document = spec_document()
    document["template"] = template
    body = assert_problem(post(client, document), 422, "invalid-spec")
    assert [problem["field"] for problem in body["problems"]] == ["template"]


def test_a_font_path_is_refused(client: TestClient) -> None:
    document = spec_document()
    document["brand"]["font"] = "../../../../etc/passwd"
    body = assert_problem(post(client, document), 422, "invalid-spec")
    assert [problem["field"] for problem in body["problems"]] == ["brand.font"]


def test_a_file_base_url_is_refused(client: TestClient) -> None:
    document = spec_document()
    document["traceability"] = {"base_url": "file:///etc/passwd"}
    body = assert_problem(post(client, document), 422, "invalid-spec")
    assert [problem["field"] for problem in body["problems"]] == ["traceability.base_url"]


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b'{"n": ' + b"9" * 10_000 + b"}"],
)
def test_pathological_json_is_a_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/check", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed-body")
