"""`python -m labelgen.compliance` → docs/rules.md on standard output."""

from __future__ import annotations

import sys

from labelgen.compliance.catalogue import render_rules_markdown

if __name__ == "__main__":
    sys.stdout.write(render_rules_markdown())
