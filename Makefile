# Two commands: `make run` serves the Vorkuta demo, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in the demo's e-mails point to the port it serves on.
PFDO_SITE_URL ?= http://127.0.0.1:$(PORT)
# The demo runs as users see it (styled error pages, no debug output); DEBUG=1 for development.
DEBUG ?= 0
PFDO_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo
PYTEST_ARGS ?=
SQLITE_TEST_DATABASE_URL ?= sqlite:///var/test.sqlite3
# Both cores for the big pass; whole modules per worker, so a module's world is built once.
XDIST ?= -n 2 --dist loadfile
PFDO_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python may cache compiled modules (and pytest its assertion-rewritten tests) in __pycache__:
# with PYTHONDONTWRITEBYTECODE set, as some machines have it, each of the dozen Python
# processes of `make test` compiled the project again, about ten seconds of CPU each.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: test-sqlite-parallel test-sqlite-serial help run test lint test-sqlite test-sqlite-all test-postgres test-postgres-parallel
.PHONY: test-postgres-serial test-postgres-processes test-e2e test-contract soak soak-contract check-deploy seed bench clean serve
.PHONY: test-db-template bench-compat bench-catalog bench-enrolment bench-billing bench-reports bench-rush lock audit audit-test

help:
	@echo "make run   - install, migrate, load the Vorkuta demo and serve on http://127.0.0.1:$(PORT)"
	@echo "make serve - as deployed: gunicorn, a Celery worker and beat, PFDO_ENV=production, on the local PostgreSQL and Redis (http://127.0.0.1:$(PORT))"
	@echo "make test  - lint, security checks, architecture contracts, migrations check, deploy check, audit, the whole suite on PostgreSQL, what differs on SQLite"
	@echo "make test-postgres / make test-sqlite - one of the two test stages (test-sqlite-all: the whole suite on SQLite)"
	@echo "make audit - the locked dependencies (requirements.lock) against known vulnerabilities"
	@echo "make lock  - resolve pyproject.toml afresh into requirements.lock"
	@echo "make soak  - the property tests with ten times the examples and fresh seeds (HYPOTHESIS_PROFILE=soak)"
	@echo "make soak-contract - the API contract (schemathesis) with ten times the examples, on PostgreSQL"
	@echo "make bench - the rush, the catalogue and the month run at region scale next to their ceilings: one table, also docs/benchmarks.md"
	@echo "make bench-catalog - region-scale catalogue in-process on PostgreSQL (median/p95, SQL, EXPLAIN)"
	@echo "make bench-compat - the ПФДО API v2 programme search and card at region scale (p50/p95/p99, SQL)"
	@echo "make bench-rush - 200 parents apply and accept at once over HTTP under gunicorn, next to pgbench and a bare WSGI app"
	@echo "make bench-billing - month run over 150,000 contracts on PostgreSQL (prints time, peak memory)"
	@echo "make bench-reports - every dashboard page, report endpoint and the regional view at region scale (median/p95, SQL)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Нужен Python 3.11 ($(PYTHON) не найден)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-install when the dependency list or the lock changes; the lock pins every package (its
# constraints), so what `make audit` audits is what is installed.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -c requirements.lock -e ".[dev]"
	@touch $@

# Resolve pyproject.toml afresh (the newest versions it allows) into requirements.lock.
lock: | $(BIN)/python
	$(BIN)/python scripts/lock.py write

# The locked dependencies against PyPI's advisories; fails on a vulnerability and on any
# package that could not be audited (the service unreachable, say).
audit: $(VENV)/.installed
	$(BIN)/python scripts/audit.py --strict

# What `make test` runs: fails on a vulnerability, or on a package skipped while PyPI answers;
# when the advisory service does not answer it says NOT AUDITED with the reason and goes on.
audit-test: $(VENV)/.installed
	$(BIN)/python scripts/audit.py

# axe-core for the browser tests' accessibility check (tests/e2e/axe.py), from the npm registry
# at the exact version package-lock.json pins; only the targets that run browser tests need it
# (`make run` does not).
NPM ?= npm
node_modules/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "Нужен npm (Node.js): браузерные тесты проверяют доступность страниц axe-core"; exit 1; }
	$(NPM) ci --no-audit --no-fund
	@touch $@

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

run: $(VENV)/.installed var/secret_key
	$(BIN)/python manage.py migrate --noinput -v 0
	@# A demo database seeded under an older hash key is re-keyed first (a no-op otherwise).
	$(BIN)/python manage.py rekey_pd_hashes
	PFDO_SITE_URL=$(PFDO_SITE_URL) $(BIN)/python manage.py seed_demo --scale small
	@echo ""
	@echo "Демо: http://127.0.0.1:$(PORT)/   API: http://127.0.0.1:$(PORT)/api/docs/"
	@echo ""
	DEBUG=$(DEBUG) SECRET_KEY="$$(cat var/secret_key)" PFDO_SITE_URL=$(PFDO_SITE_URL) \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The system as it is deployed (scripts/serve.py): migrate, collectstatic, the demo if the
# database is empty, then gunicorn + a Celery worker + celery beat with PFDO_ENV=production,
# over plain http on 127.0.0.1 (PFDO_LOCAL_HTTP). Needs the local PostgreSQL and Redis.
PFDO_SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_serve
serve: $(VENV)/.installed
	DATABASE_URL="$(PFDO_SERVE_DATABASE_URL)" PORT=$(PORT) $(BIN)/python scripts/serve.py

seed: $(VENV)/.installed
	PFDO_SITE_URL=$(PFDO_SITE_URL) $(BIN)/python manage.py seed_demo --scale small

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# ruff's S rules are bandit's checks; every suppression of one must say why.
	$(BIN)/python scripts/check_suppressions.py
	$(BIN)/python scripts/lock.py check
	$(BIN)/lint-imports
	DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy

check-deploy: $(VENV)/.installed
	PFDO_ENV=production DEBUG=0 ALLOWED_HOSTS=pfdo.example.org \
	  SECRET_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  PFDO_PD_HASH_KEY="$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  DATABASE_URL=sqlite:///:memory: \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

# On SQLite, the embedded default of `make run`, only what differs there (marked `sqlite`):
# migrations and the append-only triggers, the search fallback, verify_ledger, the demo seed,
# the login journey, and one service module of each app. Races are PostgreSQL-only.
test-sqlite: test-sqlite-parallel test-sqlite-serial

test-sqlite-parallel: $(VENV)/.installed
	@echo "== tests on SQLite: the marked subset (-m sqlite) =="
	DATABASE_URL=$(SQLITE_TEST_DATABASE_URL) $(BIN)/pytest -m "sqlite and not serial" $(XDIST) $(PYTEST_ARGS)

test-sqlite-serial: $(VENV)/.installed node_modules/.installed
	@echo "== the login journey on SQLite (-m 'sqlite and serial') =="
	DATABASE_URL=$(SQLITE_TEST_DATABASE_URL) $(BIN)/pytest tests/e2e -m "sqlite and serial" $(PYTEST_ARGS)

# Everything on SQLite (not part of `make test`): before touching something database-specific.
test-sqlite-all: $(VENV)/.installed node_modules/.installed
	DATABASE_URL=$(SQLITE_TEST_DATABASE_URL) $(BIN)/pytest -m "not serial" $(XDIST) $(PYTEST_ARGS)
	DATABASE_URL=$(SQLITE_TEST_DATABASE_URL) $(BIN)/pytest -m serial $(PYTEST_ARGS)

# PostgreSQL must answer where it is required (CI); elsewhere its tests are skipped, said aloud.
define pg_or_skip
@if ! $(BIN)/python scripts/db_reachable.py "$(PFDO_TEST_DATABASE_URL)"; then \
  if [ "$$PFDO_REQUIRE_POSTGRES" = "1" ]; then \
    echo "FAILED: PostgreSQL is required (PFDO_REQUIRE_POSTGRES=1) but not reachable"; exit 1; \
  fi; \
  echo "SKIPPED: PostgreSQL tests (server not reachable; set PFDO_TEST_DATABASE_URL)"; exit 0; \
fi; \
$(1)
endef

# The whole suite once on PostgreSQL: two xdist workers (each its own test database,
# test_<name>_gw0/1); then races and browser journeys (marked `serial` by conftest.py) in a
# process of their own — real threads, connections and Chromium have the machine — and the API
# contract in another (schemathesis' operations share one node id per test function, which
# xdist cannot spread; it gets its own test database, <name>_contract).
# pytest's exit status 5 (no test collected) fails a target like any other failure.
test-postgres-parallel: $(VENV)/.installed
	@echo "== tests on PostgreSQL ($(PFDO_TEST_DATABASE_URL)) =="
	$(call pg_or_skip,DATABASE_URL="$(PFDO_TEST_DATABASE_URL)" $(BIN)/pytest -m "not serial" $(XDIST) --durations=25 $(PYTEST_ARGS))

test-postgres-serial: test-postgres-processes test-e2e

# Races, the real Celery workers, gunicorn and the fault tests: real threads, processes and
# connections, mostly waiting on them.
test-postgres-processes: $(VENV)/.installed
	@echo "== races, workers and faults on PostgreSQL (one process) =="
	$(call pg_or_skip,DATABASE_URL="$(PFDO_TEST_DATABASE_URL)" $(BIN)/pytest -m "serial and not contract and not e2e" $(PYTEST_ARGS))

# The browser journeys in Chromium (a live server; its own test database, so it can run beside
# the pass above).
test-e2e: $(VENV)/.installed node_modules/.installed
	@echo "== browser journeys on PostgreSQL (one process, its own database) =="
	$(call pg_or_skip,DATABASE_URL="$(PFDO_TEST_DATABASE_URL)_e2e" $(BIN)/pytest tests/e2e -m "serial and e2e and not contract" $(PYTEST_ARGS))

# The contract in two processes at once, each a share of the operations with its own database
# and demo (PFDO_CONTRACT_SHARD, tests/api_contract/contract.py); the second's output follows.
test-contract: $(VENV)/.installed
	@echo "== API contract on PostgreSQL (two processes, a database each) =="
	$(call pg_or_skip,mkdir -p var; \
	  PFDO_CONTRACT_SHARD=2/2 DATABASE_URL="$(PFDO_TEST_DATABASE_URL)_contract2" \
	    $(BIN)/pytest tests/api_contract -m "serial and contract" $(PYTEST_ARGS) > var/contract2.log 2>&1 & second=$$!; \
	  status=0; \
	  PFDO_CONTRACT_SHARD=1/2 DATABASE_URL="$(PFDO_TEST_DATABASE_URL)_contract" \
	    $(BIN)/pytest tests/api_contract -m "serial and contract" $(PYTEST_ARGS) || status=$$?; \
	  wait $$second || status=$$?; \
	  cat var/contract2.log; exit $$status)

test-postgres: test-postgres-parallel test-postgres-serial test-contract

# After the xdist pass, three lanes share the two cores, each with its own databases: the races,
# workers and faults, then the login journey on SQLite (mostly waiting on threads, processes and
# locks); the browser journeys (Chromium and a live server); the API contract as two processes,
# then the marked subset on SQLite (busy cores, so at a lower priority: the races and the
# journeys wait on threads, locks and timeouts and must not starve). Each lane's output follows
# the first's.
# axe-core (node_modules) is installed before the lanes part, so they never both run npm.
# Every PostgreSQL test database of the run is copied from one template migrated first
# (scripts/test_db_template.py), not migrated by each of the six processes; it is built while
# the lint and the audit run (each output kept together).
test: $(VENV)/.installed node_modules/.installed
	@$(MAKE) --no-print-directory -j 3 --output-sync=target lint audit-test test-db-template \
	  || exit $$?; \
	template=$$(cat var/test-db-template); \
	if [ -n "$$template" ]; then export PFDO_TEST_DB_TEMPLATE="$$template"; fi; \
	$(MAKE) --no-print-directory test-postgres-parallel || exit $$?; \
	mkdir -p var; status=0; \
	$(MAKE) --no-print-directory test-e2e > var/e2e.log 2>&1 & e2e=$$!; \
	( lane=0; nice -n 10 $(MAKE) --no-print-directory test-contract || lane=$$?; \
	  nice -n 10 $(MAKE) --no-print-directory test-sqlite-parallel || lane=$$?; exit $$lane ) \
	  > var/contract.log 2>&1 & contract=$$!; \
	$(MAKE) --no-print-directory test-postgres-processes || status=$$?; \
	$(MAKE) --no-print-directory test-sqlite-serial || status=$$?; \
	wait $$e2e || status=$$?; \
	wait $$contract || status=$$?; \
	cat var/e2e.log var/contract.log; \
	exit $$status

# The migrated template of `make test` (its name in var/test-db-template; empty when
# PostgreSQL does not answer, and each pass then says so itself).
test-db-template: $(VENV)/.installed
	@mkdir -p var; : > var/test-db-template
	@if $(BIN)/python scripts/db_reachable.py "$(PFDO_TEST_DATABASE_URL)" > /dev/null; then \
	  $(BIN)/python scripts/test_db_template.py "$(PFDO_TEST_DATABASE_URL)" > var/test-db-template; \
	fi

# The property tests (and state machines) long: ten times the examples, fresh random seeds.
# On PostgreSQL when it answers, else on SQLite.
soak: $(VENV)/.installed
	@if $(BIN)/python scripts/db_reachable.py "$(PFDO_TEST_DATABASE_URL)"; then \
	  url="$(PFDO_TEST_DATABASE_URL)"; else url="$(SQLITE_TEST_DATABASE_URL)"; fi; \
	echo "== property tests, HYPOTHESIS_PROFILE=soak, on $$url =="; \
	HYPOTHESIS_PROFILE=soak DATABASE_URL="$$url" $(BIN)/pytest -m hypothesis -n 2 pfdo $(PYTEST_ARGS)

# The API contract long (schemathesis): ten times the examples of `make test`'s run, on
# PostgreSQL (minutes become most of an hour; not part of `make test`).
soak-contract: $(VENV)/.installed
	@echo "== API contract, PFDO_CONTRACT_SCALE=10, on PostgreSQL =="
	$(call pg_or_skip,PFDO_CONTRACT_SCALE=10 DATABASE_URL="$(PFDO_TEST_DATABASE_URL)_contract" $(BIN)/pytest -m "serial and contract" $(PYTEST_ARGS))

# Benchmarks print their figures; they are not tests. Needs PostgreSQL (databases named *bench*)
# and Redis. `make bench`: the September rush over HTTP, catalogue search over HTTP and the
# month run at region scale, each next to its ceiling, in one table, also written to
# docs/benchmarks.md; each part's database is created and seeded when missing (BENCH_ONLY=
# catalogue,month runs some parts only).
PFDO_BENCH_BILLING_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench_billing
bench: $(VENV)/.installed
	PFDO_BENCH_DATABASE_URL="$(PFDO_BENCH_DATABASE_URL)" \
		PFDO_BENCH_BILLING_DATABASE_URL="$(PFDO_BENCH_BILLING_DATABASE_URL)" \
		PFDO_BENCH_RUSH_DATABASE_URL="$(PFDO_BENCH_RUSH_DATABASE_URL)" \
		$(BIN)/python scripts/bench_all.py

# The region catalogue through Django's test client, in-process (median/p95, SQL, EXPLAIN).
bench-catalog: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_DATABASE_URL)" $(BIN)/python scripts/bench_catalog.py

# The ПФДО API v2 compatibility layer's programme operations at region scale (pfdo/compat):
# search with per-page=100 and the full public card, p50/p95/p99 and SQL per request,
# in-process (BENCH_COMPAT_ARGS=--http: under gunicorn). Its own database, named *bench*,
# seeded with the region catalogue on first use.
PFDO_BENCH_COMPAT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench
bench-compat: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_COMPAT_DATABASE_URL)" $(BIN)/python scripts/bench_compat.py $(BENCH_COMPAT_ARGS)

# 200 parents applying at once (one group, then twenty); its own database, named *bench*.
PFDO_BENCH_ENROLMENT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench_enrol
bench-enrolment: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_ENROLMENT_DATABASE_URL)" $(BIN)/python scripts/bench_enrolment.py

# The September rush over HTTP (issue 15): the project under gunicorn (4 sync workers,
# production settings), 200 aiohttp clients apply, the provider offers, the parents accept;
# beside it the same SQL under pgbench and behind a bare WSGI app. Its own database, named
# *bench*; Redis DB 6 for the served cache (RUSH_CACHE_URL).
PFDO_BENCH_RUSH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench_rush
bench-rush: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_RUSH_DATABASE_URL)" $(BIN)/python scripts/bench_rush.py

# The month run over a region of 150,000 active contracts: time and peak memory; its own
# database, named *bench* (seeded once, a few minutes).
bench-billing: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_BILLING_DATABASE_URL)" $(BIN)/python scripts/bench_billing.py

# Every dashboard page and report endpoint, and the regional view, at region scale (issue 14):
# median/p95 and SQL per request; its own database, named *bench* (seeded once, several minutes).
PFDO_BENCH_REPORTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pfdo_bench_reports
bench-reports: $(VENV)/.installed
	DATABASE_URL="$(PFDO_BENCH_REPORTS_DATABASE_URL)" $(BIN)/python scripts/bench_reports.py

clean:
	rm -rf $(VENV) node_modules var/test.sqlite3 .pytest_cache
