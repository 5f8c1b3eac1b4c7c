"""Benchmark: the evaluation corpus (tests/corpus) → how many labels fit the template or set their
producer picked, per template or set, for the dev, holdout and fresh parts and overall.

A spec fits when its label is compliant (laid out and checked with `check_spec`) AND every
mandatory item's value is really printed: the PDF from `render` is read back with `pdftotext` and
each value (product name, producer and address, origin, net quantity, dates, ingredients, batch,
ethanol… as its category requires) is looked for, NFC-normalised, case folded and with white
space removed. When the report carries `suggestions` (the templates or sets the label would be
compliant on), each non-fitting spec is tried again on the first one.

The fresh parts (tests/corpus/fresh, fresh2, fresh3) were written after dev and holdout and are not
split: they are reported beside them, and `all` counts every part measured.

Usage: benchmarks/bench_fit.py [--json] [--as-of YYYY-MM-DD] [--part dev|holdout|fresh|fresh2|fresh3]
       [--no-suggestions]. `--json` prints the results as JSON on stdout and the table on stderr.
A measurement, not a test: it exits 0 whatever the rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from labelgen import LabelgenError, LabelSpec, check_spec, load_spec, render
from labelgen.compliance import RULES_BY_ID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus_support import (  # noqa: E402  (the corpus helpers live with the tests)
    ALL_PARTS,
    AS_OF,
    corpus_paths,
    misplaced_files,
    missing_items,
    pdf_texts,
    pdftotext_available,
    template_key,
)

SHOWN_RULES = 3  # error rule ids shown for a label that does not fit


@dataclass
class Trial:
    """One spec on one template or set: checked, rendered and read back."""

    template: str
    panels: int
    compliant: bool | None = None
    errors: list[str] = field(default_factory=list)  # distinct error rule ids, report order
    spec_errors: list[str] = field(default_factory=list)  # those no template can cure
    missing: list[str] = field(default_factory=list)  # mandatory fields not found in the PDF
    failure: str | None = None  # an exception while checking or rendering
    suggestions: list[str] | None = None  # None: the report has no `suggestions`

    @property
    def fits(self) -> bool:
        return self.compliant is True and not self.missing and self.failure is None

    def reason(self) -> str:
        if self.failure is not None:
            return self.failure
        if self.compliant is False:
            shown = ", ".join(self.errors[:SHOWN_RULES])
            more = len(self.errors) - SHOWN_RULES
            return shown + (f" (+{more})" if more > 0 else "")
        return "not in the PDF: " + ", ".join(self.missing)


@dataclass
class Outcome:
    """A corpus spec: what it is, how it did on its own template, and on the first suggestion."""

    name: str
    part: str
    category: str | None
    bilingual: bool
    trial: Trial
    suggested: Trial | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "name": self.name,
            "part": self.part,
            "category": self.category,
            "bilingual": self.bilingual,
            "fits": self.trial.fits,
            **asdict(self.trial),
        }
        result["suggested"] = (
            None
            if self.suggested is None
            else {**asdict(self.suggested), "fits": self.suggested.fits}
        )
        return result


def try_spec(spec: LabelSpec, spec_dir: Path, as_of: dt.date) -> Trial:
    """Check `spec`, and when compliant render its PDF and look for every mandatory item."""
    template = template_key(spec.template)
    panels = 1 if isinstance(spec.template, str) else len(spec.template)
    trial = Trial(template=template, panels=panels)
    try:
        report = check_spec(spec, as_of=as_of, spec_dir=spec_dir)
    except Exception as error:  # a crash is a result to report, not a reason to stop
        trial.failure = f"check raised {type(error).__name__}: {error}"
        return trial
    trial.compliant = report.compliant
    trial.errors = list(dict.fromkeys(finding.rule for finding in report.errors))
    trial.spec_errors = [
        rule for rule in trial.errors if rule in RULES_BY_ID and RULES_BY_ID[rule].stage == "spec"
    ]
    suggestions = getattr(report, "suggestions", None)
    if suggestions is not None:
        trial.suggestions = [template_key(list(suggestion)) for suggestion in suggestions]
    if not report.compliant:
        return trial
    try:
        pdf = render(spec, "pdf", spec_dir=spec_dir, as_of=as_of)
        if pdftotext_available():
            trial.missing = missing_items(spec, pdf_texts(pdf))
    except Exception as error:
        trial.failure = f"render raised {type(error).__name__}: {error}"
    return trial


def with_template(spec: LabelSpec, template: str) -> LabelSpec:
    """The spec on another template or set (a key such as 'round-jar+back-panel')."""
    panels = template.split("+")
    chosen: str | list[str] = panels[0] if len(panels) == 1 else panels
    return spec.model_copy(update={"template": chosen, "size": None})


def evaluate(path: Path, part: str, as_of: dt.date, suggest: bool) -> Outcome:
    try:
        spec = load_spec(path)
    except LabelgenError as error:
        trial = Trial(template="?", panels=0, failure=f"invalid spec: {error}")
        return Outcome(path.stem, part, None, False, trial)
    outcome = Outcome(
        path.stem, part, spec.product.category, spec.bilingual, try_spec(spec, path.parent, as_of)
    )
    if suggest and not outcome.trial.fits and outcome.trial.suggestions:
        first = outcome.trial.suggestions[0]
        outcome.suggested = try_spec(with_template(spec, first), path.parent, as_of)
    return outcome


# --- the report ---------------------------------------------------------------------------------


def rate(fits: int, count: int) -> str:
    return f"{100 * fits / count:5.1f} %" if count else "    –  "


def counts(outcomes: Iterable[Outcome]) -> tuple[int, int]:
    listed = list(outcomes)
    return len(listed), sum(outcome.trial.fits for outcome in listed)


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    by_template: dict[str, dict[str, Any]] = {}
    for key in sorted({o.trial.template for o in outcomes}, key=lambda k: (k.count("+"), k)):
        row: dict[str, Any] = {}
        for part in (*ALL_PARTS, "all"):
            count, fits = counts(
                o for o in outcomes if o.trial.template == key and part in (o.part, "all")
            )
            row[part] = {"count": count, "fits": fits}
        by_template[key] = row
    overall = {}
    for part in (*ALL_PARTS, "all"):
        count, fits = counts(o for o in outcomes if part in (o.part, "all"))
        overall[part] = {"count": count, "fits": fits, "rate": fits / count if count else None}
    fitting = [o for o in outcomes if o.trial.fits]
    not_fitting = [o for o in outcomes if not o.trial.fits]
    with_suggestion = [o for o in not_fitting if o.suggested is not None]
    return {
        "by_template": by_template,
        "overall": overall,
        "fits_on_several_panels": sum(o.trial.panels > 1 for o in fitting),
        "fits": len(fitting),
        "not_fitting": len(not_fitting),
        "not_fitting_spec_level": sum(bool(o.trial.spec_errors) for o in not_fitting),
        "suggestions_supported": any(o.trial.suggestions is not None for o in outcomes),
        "not_fitting_with_suggestion": len(with_suggestion),
        "fixed_by_first_suggestion": sum(
            o.suggested is not None and o.suggested.fits for o in with_suggestion
        ),
    }


def print_report(outcomes: Sequence[Outcome], totals: dict[str, Any], out: TextIO) -> None:
    def say(line: str = "") -> None:
        print(line, file=out)

    width = max([len("template or set"), *(len(key) for key in totals["by_template"])])
    header = "".join(f"{part:>16}" for part in (*ALL_PARTS, "all"))
    say(f"{'template or set':<{width}}{header}{'fit rate':>11}")
    say(f"{'':<{width}}" + f"{'count  fits':>16}" * (len(ALL_PARTS) + 1))
    for key, row in totals["by_template"].items():
        cells = "".join(f"{row[p]['count']:>10}{row[p]['fits']:>6}" for p in (*ALL_PARTS, "all"))
        say(f"{key:<{width}}{cells}{rate(row['all']['fits'], row['all']['count']):>11}")
    say()
    for part in (*ALL_PARTS, "all"):
        numbers = totals["overall"][part]
        fraction = f"{numbers['fits']}/{numbers['count']}"
        say(f"fit rate, {part:<8}{fraction:>8}  {rate(numbers['fits'], numbers['count'])}")
    say(
        f"fits on a set of more than one panel: {totals['fits_on_several_panels']} "
        f"of {totals['fits']} fitting labels"
    )
    not_fitting = [o for o in outcomes if not o.trial.fits]
    if not_fitting:
        say()
        say(
            f"not fitting ({len(not_fitting)}; {totals['not_fitting_spec_level']} with a "
            "spec-level error no template can cure): first error rule ids"
        )
        name_width = max(len(o.name) for o in not_fitting)
        for o in not_fitting:
            say(
                f"  {o.name:<{name_width}}  {o.part:<7}  {o.trial.template:<{width}}  {o.trial.reason()}"
            )
    say()
    if not totals["suggestions_supported"]:
        say("suggestions: the report has no `suggestions` yet")
    else:
        say(
            f"suggestions: {totals['not_fitting_with_suggestion']} of {totals['not_fitting']} "
            f"not-fitting labels have one; {totals['fixed_by_first_suggestion']} fit on the first"
        )
        for o in not_fitting:
            if o.suggested is not None:
                verdict = "fits" if o.suggested.fits else f"does not fit ({o.suggested.reason()})"
                say(f"  {o.name}: {o.suggested.template} {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    parser.add_argument(
        "--part", choices=ALL_PARTS, action="append", help="only this part (repeatable)"
    )
    parser.add_argument("--no-suggestions", action="store_true", help="do not try suggestions")
    args = parser.parse_args(argv)
    parts = args.part or list(ALL_PARTS)
    table_out = sys.stderr if args.json else sys.stdout

    started = time.perf_counter()
    outcomes = [
        evaluate(path, part, args.as_of, not args.no_suggestions)
        for part in parts
        for path in corpus_paths(part)
    ]
    elapsed_s = time.perf_counter() - started
    totals = summary(outcomes)

    print(
        f"corpus tests/corpus ({', '.join(parts)}), checked as of {args.as_of.isoformat()}, "
        f"{len(outcomes)} specs in {elapsed_s:.1f} s",
        file=table_out,
    )
    if not pdftotext_available():
        print(
            "note: pdftotext not found; printed text NOT verified (fit = compliant)", file=table_out
        )
    misplaced = misplaced_files()
    if misplaced:
        print(f"note: not where the split rule puts them: {', '.join(misplaced)}", file=table_out)
    print(file=table_out)
    print_report(outcomes, totals, table_out)
    if args.json:
        document = {
            "as_of": args.as_of.isoformat(),
            "parts": parts,
            "pdf_text_checked": pdftotext_available(),
            "seconds": round(elapsed_s, 1),
            "summary": totals,
            "specs": [outcome.to_dict() for outcome in outcomes],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
