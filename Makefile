# The two commands of the README: `make examples` and `make test`. Both set up the machine first.
PYTHON := .venv/bin/python

.PHONY: setup examples test lint bench

setup:
	@scripts/setup.sh

examples: setup
	@scripts/render-examples.sh

test: setup
	$(PYTHON) -m ruff check labelgen tests benchmarks
	$(PYTHON) -m ruff format --check labelgen tests benchmarks
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest -q

lint: setup
	$(PYTHON) -m ruff check labelgen tests benchmarks
	$(PYTHON) -m ruff format --check labelgen tests benchmarks

bench: setup
	$(PYTHON) benchmarks/bench_render.py
	$(PYTHON) benchmarks/bench_service.py
