# Chipao — `make help` lists the targets. Two commands set everything up:
#   make run    install, start the local PostGIS, load demo data if empty, serve
#   make test   install (incl. Chromium) and run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHIPAO := $(PY) -m chipao
HOUSEHOLDS ?=
WORKERS ?=
SERVE_ARGS = $(if $(WORKERS),--workers $(WORKERS))

.DEFAULT_GOAL := help
.PHONY: help install lock system-deps run serve test test-unit db demo status stop bench load lint i18n clean

help: ## Show this help
	@echo "Chipao (ชี้เป้า) — make targets:"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Settings: DATABASE_URL (else a local PostGIS in .pgdata/), CHIPAO_BOUNDARIES, HOUSEHOLDS=N for demo,"
	@echo "  WORKERS=N or CHIPAO_PRODUCTION=1 (serve with gunicorn workers)"

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c constraints.txt -e '.[test,bench]'
	@touch $@

install: system-deps $(VENV)/.installed ## Install system packages (if root) and the Python venv (versions of constraints.txt)

lock: ## Upgrade the venv to the newest releases pyproject.toml allows and pin them in constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade -e '.[test,bench]'
	@{ sed -n '/^#/p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^chipao'; } > constraints.new
	@mv constraints.new constraints.txt && touch $(VENV)/.installed
	@echo "constraints.txt updated: run make test before committing it"

system-deps:
	@scripts/install-system-deps.sh

run: install ## Set up everything and serve on http://127.0.0.1:8050 (WORKERS=N: production)
	@$(CHIPAO) db >/dev/null
	@$(CHIPAO) demo --if-empty
	@test -f demo_accounts.txt || $(CHIPAO) demo-accounts
	@echo "Sign in with an account from demo_accounts.txt (make demo makes new ones)."
	@$(CHIPAO) serve $(SERVE_ARGS)

serve: install ## Serve the dashboard (store must be ready); WORKERS=N: gunicorn, N workers
	@$(CHIPAO) serve $(SERVE_ARGS)

test: install ## ruff, lint-imports (layers), then every test: unit, integration (PostGIS), e2e (Chromium)
	@scripts/install-system-deps.sh --browser
	@$(PY) -m ruff check .
	@$(VENV)/bin/lint-imports --no-cache
	@$(PY) -m pytest -q --cov --cov-report=term --cov-fail-under=87  # measured 88 % (in-process code)

test-unit: $(VENV)/.installed ## The unit tests only: no database, no browser (seconds)
	@$(PY) -m pytest -q tests/unit

db: install ## Start the local PostGIS if needed; last line: its DATABASE_URL
	@$(CHIPAO) db

demo: install ## Load boundaries and demo data (HOUSEHOLDS=N to choose the size)
	@$(CHIPAO) db >/dev/null
	@$(CHIPAO) demo --replace $(if $(HOUSEHOLDS),--households $(HOUSEHOLDS))
	@$(CHIPAO) demo-accounts

status: install ## Print what the store holds (JSON on the last line)
	@$(CHIPAO) db >/dev/null
	@$(CHIPAO) status

stop: ## Stop the local PostGIS
	@test -x $(PY) && $(CHIPAO) stop || true

bench: install ## Run the benchmarks (full scale: HOUSEHOLDS=4104450); see docs/performance.md
	@$(CHIPAO) db >/dev/null
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b $(if $(HOUSEHOLDS),--households $(HOUSEHOLDS)) || exit 1; done

load: install ## Load test with locust on loopback (HOUSEHOLDS, WORKERS="1 2 4", USERS="20 50"); docs/performance.md
	@$(CHIPAO) db >/dev/null
	@$(PY) bench/load_test.py $(if $(HOUSEHOLDS),--households $(HOUSEHOLDS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(USERS),--users $(USERS))

i18n: $(VENV)/.installed ## Strings: extract the keys the code uses, update locale/{th,en} catalogues, compile-check, test
	@$(VENV)/bin/pybabel --quiet extract -F babel.cfg --no-location --omit-header -o locale/messages.pot .
	@$(VENV)/bin/pybabel --quiet update -i locale/messages.pot -d locale -D messages -w 100 --no-fuzzy-matching --ignore-obsolete
	@$(VENV)/bin/pybabel compile -d locale -D messages --statistics
	@$(PY) -m pytest -q tests/unit/test_strings.py

lint: install ## ruff and lint-imports (the layer contracts in pyproject.toml)
	@$(PY) -m ruff check .
	@$(VENV)/bin/lint-imports --no-cache

clean: stop ## Remove the venv and the local PostGIS data
	rm -rf $(VENV) .pgdata .cache .redis
