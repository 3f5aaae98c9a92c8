# Developer commands. Needs only Python 3.11+ and make: every target creates the venv it uses.
#
#   make test            the test suite on Airflow 3 (.venv)
#   make test-airflow2   the same suite on Airflow 2.11 (.venv-airflow2)
#   make lint            ruff check, ruff format --check, mypy on the package
#   make bench           every benchmarks/*.py
#   make demo            the example DAG against the local emulator
#   make clean           remove venvs and caches

PYTHON ?= python3
VENV ?= .venv
VENV2 ?= .venv-airflow2
# The Airflow 2 line the second venv tests against (any 2.11.x patch release).
AIRFLOW2_SPEC ?= apache-airflow==2.11.*
PYTEST_ARGS ?= -q -ra

PY := $(VENV)/bin/python
PY2 := $(VENV2)/bin/python
PIP_FLAGS := --disable-pip-version-check --no-input

.PHONY: venv venv-airflow2 test test-airflow2 lint bench demo clean

# The stamp file is rebuilt (and the project re-installed) whenever pyproject.toml or this file changes.
$(VENV)/.stamp: pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	@touch $@

venv: $(VENV)/.stamp

$(VENV2)/.stamp: pyproject.toml Makefile
	@test -x $(PY2) || $(PYTHON) -m venv $(VENV2)
	$(PY2) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY2) -m pip install $(PIP_FLAGS) "$(AIRFLOW2_SPEC)" -e ".[dev]"
	@touch $@

venv-airflow2: $(VENV2)/.stamp

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

test-airflow2: venv-airflow2
	$(PY2) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: venv
	@set -e; found=0; \
	for f in benchmarks/*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		echo "== $$f"; $(PY) "$$f"; \
	done; \
	[ $$found -eq 1 ] || echo "No benchmarks yet (benchmarks/*.py)."

demo: venv
	@if [ -f scripts/demo.sh ]; then \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/demo.sh; \
	else \
		echo "The demo is not available yet (scripts/demo.sh is missing)." >&2; exit 1; \
	fi

clean:
	rm -rf $(VENV) $(VENV2) .pytest_cache .mypy_cache .ruff_cache build dist
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -not -path "./$(VENV2)/*" -prune -exec rm -rf {} +
