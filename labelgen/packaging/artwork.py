"""Panel artwork: a spec with `package:` → its Dieline and each face laid out by the label-set
engine (a Carton), and the compliance report over the box."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from labelgen.compliance import Report, check
from labelgen.compliance.limits import SAFE_ZONE_MM
from labelgen.compliance.printed_rules import check_label_set
from labelgen.compliance.report import Finding
from labelgen.errors import PackageError, TemplateError
from labelgen.layout import LabelSet, Layout, layout_set
from labelgen.packaging.structures import Dieline, Face, Panel, Rect, build_dieline
from labelgen.resources import bundled_dir
from labelgen.spec import LabelSpec, Size
from labelgen.templates import Description, read_manifest
from labelgen.traceability import DEFAULT_BASE_URL

CARTON_MANIFEST = "carton.yaml"
MM_PER_PT = 25.4 / 72
# A code closer than this to a fold or a glue area may be bent or glued over, and then does
# not scan: the print-shop safe distance, kept from folds as it is from cut edges.
CODE_CLEARANCE_MM = SAFE_ZONE_MM


class CartonStyleManifest(BaseModel):
    """A carton artwork style (`carton.yaml`): the panel template that dresses each face."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    description: Description
    faces: dict[Face, str]  # face → panel template folder beside carton.yaml
    codes: str  # the panel template folder of the face that carries the QR and the EAN-13
    codes_wide: str | None = None  # the same for a landscape face, if the style has one
    codes_faces: list[Face]  # the faces that may carry it, the first one the structure has


@dataclass(frozen=True)
class CartonStyle:
    manifest: CartonStyleManifest
    folder: Path


@dataclass(frozen=True)
class PanelArt:
    """One face's artwork laid out at the face's size, and where it goes on the flat."""

    panel: Panel
    layout: Layout


@dataclass(frozen=True)
class Carton:
    """A carton ready to draw: its flat blank, the artwork of each dressed face, and the faces'
    layouts as one label set (what compliance judges)."""

    spec: LabelSpec
    dieline: Dieline
    art: tuple[PanelArt, ...]
    label_set: LabelSet

    def art_for(self, face: Face) -> PanelArt | None:
        return next((art for art in self.art if art.panel.face == face), None)


def bundled_carton_styles() -> list[str]:
    root = bundled_dir("templates")
    return sorted(path.parent.name for path in root.glob(f"*/{CARTON_MANIFEST}"))


def load_carton_style(reference: str, spec_dir: Path | None = None) -> CartonStyle:
    """The carton style `template:` names: a bundled id (`carton-classic`) or a folder holding
    `carton.yaml` and its panel templates."""
    if reference in bundled_carton_styles():
        return _load_style(bundled_dir("templates") / reference)
    folder = Path(reference)
    if not folder.is_absolute() and spec_dir is not None:
        folder = spec_dir / folder
    if not (folder / CARTON_MANIFEST).is_file():
        known = ", ".join(bundled_carton_styles())
        raise PackageError(
            "template",
            f"'{reference}' is not a carton style: a carton takes a bundled carton template "
            f"({known}) or a folder holding {CARTON_MANIFEST}",
        )
    return _load_style(folder.resolve())


@cache
def _load_style(folder: Path) -> CartonStyle:
    manifest = read_manifest(folder, CARTON_MANIFEST, CartonStyleManifest)
    folders = {*manifest.faces.values(), manifest.codes, manifest.codes_wide or manifest.codes}
    for panel_folder in folders:
        resolved = (folder / panel_folder).resolve()
        if resolved.parent != folder:
            raise TemplateError(
                f"template {folder.name}: panel '{panel_folder}' must be a folder beside "
                f"{CARTON_MANIFEST}"
            )
    return CartonStyle(manifest, folder)


def layout_carton(
    spec: LabelSpec,
    *,
    spec_dir: Path | None = None,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    qr_url: str | None = None,
) -> Carton:
    """Build the carton's dieline and lay every dressed face out at its own size.

    Each face is one panel of the label-set engine, sized to the face on the flat blank; the
    back takes the full mandatory text, the codes panel the QR and the EAN-13.
    """
    if spec.package is None:
        raise PackageError("package", "this spec describes a label, not a carton")
    if len(spec.template_ids) != 1:
        raise PackageError("template", "a carton names one carton style (e.g. carton-classic)")
    if spec.size is not None:
        raise PackageError("size", "a carton's faces take their sizes from package:")
    style = load_carton_style(spec.template_ids[0], spec_dir)
    dieline = build_dieline(spec.package)
    faces = _dressed_faces(style, dieline)
    art: list[PanelArt] = []
    sets: dict[Face, LabelSet] = {}
    for face, folder in faces.items():
        panel = dieline.panel(face)
        trial = spec.model_copy(
            update={
                "template": str(style.folder / folder),
                "size": Size(width_mm=panel.rect.width_mm, height_mm=panel.rect.height_mm),
            }
        )
        panel_set = layout_set(
            trial, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url, qr_url=qr_url
        )
        sets[face] = panel_set
        art.append(PanelArt(panel, panel_set.panels[0]))
    # The mandatory text flows on the back alone: what it could not hold is what the box leaves
    # out (the other faces have no flowing slot, so their own leftovers say nothing).
    back = sets.get("back")
    label_set = LabelSet(
        tuple(item.layout for item in art),
        back.unplaced if back else (),
        back.english_left_out if back else (),
    )
    return Carton(spec, dieline, tuple(art), label_set)


def _dressed_faces(style: CartonStyle, dieline: Dieline) -> dict[Face, str]:
    present = {panel.face for panel in dieline.panels}
    manifest = style.manifest
    faces = {face: folder for face, folder in manifest.faces.items() if face in present}
    codes_face = next((face for face in manifest.codes_faces if face in present), None)
    if codes_face is None:
        raise PackageError(
            "package.style",
            f"a {dieline.package.style} carton has none of the faces {manifest.codes_faces} "
            f"that template {manifest.id} puts its codes on",
        )
    codes_rect = dieline.panel(codes_face).rect
    landscape = codes_rect.width_mm > codes_rect.height_mm
    faces[codes_face] = (manifest.codes_wide if landscape else None) or manifest.codes
    order: list[Face] = ["front", "back", "left", "right", "top", "bottom"]
    return {face: faces[face] for face in order if face in faces}


def check_carton(carton: Carton, as_of: dt.date | None = None) -> Report:
    """The labels' rules judged on every face, plus where the codes sit on the blank."""
    findings = check_label_set(carton.label_set, carton.spec) + code_placement_findings(carton)
    return check(carton.spec, as_of=as_of, layout_findings=findings)


def code_placement_findings(carton: Carton) -> list[Finding]:
    """A QR or EAN-13 within CODE_CLEARANCE_MM of a fold or a glue area is a finding: a bent or
    glued-over code does not scan."""
    from labelgen.compliance.catalogue import make_finding

    findings = []
    for art in carton.art:
        for element, box in _code_boxes(art):
            distance = _clearance_mm(box, carton.dieline)
            if distance < CODE_CLEARANCE_MM:
                findings.append(
                    make_finding(
                        "PRINT-CODE-ON-FOLD",
                        f"layout.{element}",
                        face=art.panel.face,
                        distance_mm=round(max(distance, 0.0), 2),
                    )
                )
    return findings


def _code_boxes(art: PanelArt) -> list[tuple[str, Rect]]:
    """The codes of one face, with their quiet zones, as rectangles on the flat."""
    layout = art.layout
    boxes: list[tuple[str, Rect]] = []
    if layout.qr is not None:
        qr = layout.qr
        boxes.append(("qr", Rect(qr.x_mm, qr.y_mm, qr.size_mm, qr.size_mm)))
    if layout.barcode is not None:
        bar = layout.barcode
        # The human-readable digits hang under the bars: one line of their size, leading 1.2.
        height_mm = bar.bar_height_mm + bar.digits_size_pt * MM_PER_PT * 1.2
        boxes.append(("barcode", Rect(bar.x_mm, bar.y_mm, bar.width_mm, height_mm)))
    return [(name, on_flat(art.panel, box)) for name, box in boxes]


def on_flat(panel: Panel, box: Rect) -> Rect:
    """A rectangle in a panel's own coordinates, placed on the flat blank (turned with it)."""
    rect = panel.rect
    if panel.rotation == 180:
        return Rect(
            rect.right_mm - box.x_mm - box.width_mm,
            rect.bottom_mm - box.y_mm - box.height_mm,
            box.width_mm,
            box.height_mm,
        )
    return Rect(rect.x_mm + box.x_mm, rect.y_mm + box.y_mm, box.width_mm, box.height_mm)


def _clearance_mm(box: Rect, dieline: Dieline) -> float:
    distances = [_segment_distance(box, crease.start, crease.end) for crease in dieline.creases]
    distances += [_rect_distance(box, area) for area in dieline.glue_areas]
    return min(distances, default=float("inf"))


def _rect_distance(a: Rect, b: Rect) -> float:
    dx = max(b.x_mm - a.right_mm, a.x_mm - b.right_mm, 0.0)
    dy = max(b.y_mm - a.bottom_mm, a.y_mm - b.bottom_mm, 0.0)
    return float((dx * dx + dy * dy) ** 0.5)


def _segment_distance(box: Rect, start: tuple[float, float], end: tuple[float, float]) -> float:
    """Exact distance from a rectangle to a segment: zero when they meet, else the least of the
    segment's ends to the rectangle and the rectangle's corners to the segment."""
    if _segment_meets_rect(box, start, end):
        return 0.0
    point_box = [_point_rect_distance(box, point) for point in (start, end)]
    corner_segment = [_point_segment_distance(corner, start, end) for corner in _corners(box)]
    return min(point_box + corner_segment)


def _corners(box: Rect) -> list[tuple[float, float]]:
    return [
        (box.x_mm, box.y_mm),
        (box.right_mm, box.y_mm),
        (box.right_mm, box.bottom_mm),
        (box.x_mm, box.bottom_mm),
    ]


def _point_rect_distance(box: Rect, point: tuple[float, float]) -> float:
    dx = max(box.x_mm - point[0], point[0] - box.right_mm, 0.0)
    dy = max(box.y_mm - point[1], point[1] - box.bottom_mm, 0.0)
    return float((dx * dx + dy * dy) ** 0.5)


def _point_segment_distance(
    point: tuple[float, float], start: tuple[float, float], end: tuple[float, float]
) -> float:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length_sq = dx * dx + dy * dy
    t = (
        0.0
        if length_sq == 0
        else ((point[0] - start[0]) * dx + (point[1] - start[1]) * dy) / length_sq
    )
    t = min(max(t, 0.0), 1.0)
    nearest = (start[0] + t * dx, start[1] + t * dy)
    return float(((point[0] - nearest[0]) ** 2 + (point[1] - nearest[1]) ** 2) ** 0.5)


def _segment_meets_rect(box: Rect, start: tuple[float, float], end: tuple[float, float]) -> bool:
    """Liang–Barsky clipping: whether any part of the segment lies inside the rectangle."""
    t0, t1 = 0.0, 1.0
    dx, dy = end[0] - start[0], end[1] - start[1]
    for p, q in (
        (-dx, start[0] - box.x_mm),
        (dx, box.right_mm - start[0]),
        (-dy, start[1] - box.y_mm),
        (dy, box.bottom_mm - start[1]),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True
