#!/usr/bin/env bash
# Renders every example spec to out/ as SVG, PNG and PDF. A spec that is not compliant is
# refused by `labelgen render`; its report is shown once and it is rendered as a marked draft.
# Then a small print run: the serials of examples/serials.csv on SRA3 sheets in CMYK.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
status=0
for spec in examples/*.yaml; do
  name=$(basename "$spec" .yaml)
  draft=()
  suffix=""
  .venv/bin/labelgen check "$spec" > "out/$name.report.txt"
  case $? in
    0) ;;
    1) cat "out/$name.report.txt"
       echo "  → $name is not compliant: rendering out/$name.draft.* instead"
       draft=(--draft)
       suffix=".draft" ;;
    *) status=1; continue ;;
  esac
  for format in svg png pdf; do
    .venv/bin/labelgen render "$spec" -o "out/$name$suffix.$format" "${draft[@]}" || status=1
  done
  if grep -q '^package:' "$spec"; then  # a carton: its folded box and listing image too
    .venv/bin/labelgen render "$spec" -o "out/$name$suffix.folded.png" --view folded "${draft[@]}" || status=1
  fi
done
rm -f out/hat-sen-say-run.*  # a new run each time (a run never reuses an earlier run's files)
.venv/bin/labelgen batch examples/hat-sen-say.yaml --serials examples/serials.csv \
  --sheet SRA3 --cmyk -o out/hat-sen-say-run.pdf || status=1
exit $status
