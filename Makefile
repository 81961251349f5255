# The two commands of the README: `make demo` (the main job) and `make test` (the tests).
# Each creates what it needs: a pinned uv in .tools/, then the locked environment in .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: install demo test lint typecheck check clean-data help

help:
	@echo "make demo   - run the annual cycle on generated data (embedded warehouse unless WAREHOUSE_URL is set)"
	@echo "make test   - run the test suite"
	@echo "make lint   - ruff (lint + format check) and mypy"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python "$$(command -v $(PYTHON))"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/welfare demo $(ARGS)

test: install
	$(VENV)/bin/python -m pytest $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

check: lint test

clean-data:
	-$(VENV)/bin/welfare warehouse stop
	rm -rf data out
