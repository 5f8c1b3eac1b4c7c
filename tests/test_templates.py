"""Templates: bundled manifests are valid, and a user's own template folder works — safely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from labelgen.errors import TemplateError
from labelgen.layout import layout_label
from labelgen.pipeline import render
from labelgen.resources import bundled_dir
from labelgen.spec import parse_spec
from labelgen.templates import Box, bundled_template_ids, listed_template_ids, load_template

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def spec_document(template: str) -> dict:
    document = yaml.safe_load((EXAMPLES / "hat-sen-say.yaml").read_text(encoding="utf-8"))
    document["template"] = template
    return document


def copy_template(tmp_path: Path, drawing: str | None = None) -> Path:
    folder = tmp_path / "my-template"
    shutil.copytree(bundled_dir("templates") / "ocop-classic", folder)
    if drawing is not None:
        (folder / "label.svg.j2").write_text(drawing, encoding="utf-8")
    return folder


def test_five_bundled_templates_with_their_sizes() -> None:
    """Five templates to pick from; the hang tag is two-sided, its back a panel of its own."""
    sizes = {
        template_id: (
            load_template(template_id).manifest.width_mm,
            load_template(template_id).manifest.height_mm,
        )
        for template_id in bundled_template_ids()
    }
    assert sizes == {
        "ocop-classic": (100, 70),
        "round-jar": (60, 60),
        "bottle-wrap": (200, 70),
        "back-panel": (80, 120),
        "hang-tag": (55, 90),
        "hang-tag-back": (55, 90),
    }
    assert listed_template_ids() == sorted(set(sizes) - {"hang-tag-back"})


def test_user_template_folder_renders(tmp_path: Path) -> None:
    folder = copy_template(tmp_path)
    spec = parse_spec(spec_document("my-template"), tmp_path)
    svg = render(spec, "svg", spec_dir=tmp_path).decode()
    assert "Hạt sen sấy giòn" in svg
    assert layout_label(spec, spec_dir=tmp_path).template.folder == folder.resolve()


@pytest.mark.parametrize(
    "probe",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ n.__globals__ }}",
        "{{ colors.__class__.__init__.__globals__['os'] }}",
    ],
)
def test_user_template_runs_in_the_sandbox(tmp_path: Path, probe: str) -> None:
    copy_template(tmp_path, drawing=probe + "{{ content }}")
    spec = parse_spec(spec_document("my-template"), tmp_path)
    with pytest.raises(TemplateError, match="my-template"):
        render(spec, "svg", spec_dir=tmp_path)


def test_spec_text_is_escaped_not_evaluated(tmp_path: Path) -> None:
    document = spec_document("ocop-classic")
    document["product"]["name"] = "{{ 7*7 }} <script>alert(1)</script> & co"
    svg = render(parse_spec(document, EXAMPLES), "svg", draft=True).decode()
    assert "{{ 7*7 }}" in svg
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_undefined_name_in_a_drawing_is_a_template_error(tmp_path: Path) -> None:
    copy_template(tmp_path, drawing="{{ no_such_value }}{{ content }}")
    spec = parse_spec(spec_document("my-template"), tmp_path)
    with pytest.raises(TemplateError, match="no_such_value"):
        render(spec, "svg", spec_dir=tmp_path)


def test_invalid_manifest_names_the_problem(tmp_path: Path) -> None:
    folder = copy_template(tmp_path)
    manifest = folder / "template.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "max_size_pt: 7", "max_size_pt: 7\n    min_size_pt: 4"
        ),
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="6"):
        load_template(str(folder))


@pytest.mark.parametrize("template_id", bundled_template_ids())
def test_text_that_grows_never_reaches_a_code_or_the_badge(template_id: str) -> None:
    """Chained slots grow down to the bottom of their chain, and flow slots fill their box: the
    room either may take is clear of every graphic slot, so growing text never covers a code."""
    manifest = load_template(template_id).manifest
    slots = manifest.text_slots
    for name, slot in slots.items():
        chain = [name]
        while follower := next((n for n, s in slots.items() if s.follows == chain[-1]), None):
            chain.append(follower)
        if slot.follows is not None or (len(chain) == 1 and not slot.flow):
            continue  # measured from the chain's first slot; a lone fixed slot keeps its box
        region = Box(
            x_mm=min(slots[member].box.x_mm for member in chain),
            y_mm=slot.box.y_mm,
            width_mm=max(slots[m].box.right_mm for m in chain)
            - min(slots[m].box.x_mm for m in chain),
            height_mm=max(slots[m].box.bottom_mm for m in chain) - slot.box.y_mm,
        )
        for graphic_name, graphic in manifest.graphic_slots.items():
            assert not region.overlaps(graphic.box), (template_id, name, graphic_name)


@pytest.mark.parametrize("template_id", listed_template_ids())
def test_every_listed_template_says_what_it_is_for(template_id: str) -> None:
    manifest = load_template(template_id).manifest
    assert manifest.quantity_range is not None
    for side in manifest.sides:
        side_manifest = load_template(side).manifest
        assert side_manifest.side_of == template_id
        assert (side_manifest.width_mm, side_manifest.height_mm) == (
            manifest.width_mm,
            manifest.height_mm,
        )
