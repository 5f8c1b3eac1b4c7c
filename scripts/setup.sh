#!/usr/bin/env bash
# Installs what labelgen needs on a fresh Debian 12 machine: system libraries, then a virtualenv
# in .venv with labelgen and its development tools. Safe to run again; it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

system_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2  # WeasyPrint and CairoSVG
  poppler-utils                                                    # pdftotext/pdftoppm in tests
  ghostscript qpdf                                                 # separations and PDF checks in tests
  chromium                                                         # browser tests
  wrk                                                              # benchmarks/bench_verify.py
  postgresql                                                       # a throw-away server for the tests when none runs
)
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.labelgen-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
