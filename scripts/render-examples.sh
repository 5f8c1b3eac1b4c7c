#!/usr/bin/env bash
# Renders every example spec to out/ as SVG, PNG and PDF. A spec that is not compliant is
# refused by `labelgen render` (exit 1, report printed); it is then rendered as a marked draft.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
status=0
for spec in examples/*.yaml; do
  name=$(basename "$spec" .yaml)
  for format in svg png pdf; do
    .venv/bin/labelgen render "$spec" -o "out/$name.$format"
    code=$?
    if [ "$code" -eq 1 ]; then
      echo "  → $name is not compliant: writing out/$name.draft.$format instead"
      .venv/bin/labelgen render "$spec" -o "out/$name.draft.$format" --draft || status=1
    elif [ "$code" -ne 0 ]; then
      status=1
    fi
  done
done
exit $status
