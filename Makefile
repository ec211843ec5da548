# Two commands matter: `make run` (the whole system on the embedded default, with demo data)
# and `make test` (every check CI runs). Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench reliability setup lint demo chromium clean lock sbom audit-deps

# requirements.txt and requirements-dev.txt are hashed lock files compiled by `make lock` from
# requirements.in and requirements-dev.in: every package pinned, pip itself included, each with
# the hashes of its published files, so nothing unpinned or altered can be installed.
$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	touch $@

## Re-resolve the lock files from the .in files (LOCK_ARGS=--upgrade moves every pin on).
## Resolved from the public index alone: no local pip configuration, wheels or constraints.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock"
LOCK := $(LOCK_ENV) $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras $(LOCK_ARGS)
lock: $(VENV)/.dev
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in
	$(PY) .ci/lock_check.py

## CycloneDX SBOMs of the locked packages: var/sbom.json (runtime), var/sbom-dev.json (tooling).
sbom: $(VENV)/.dev
	mkdir -p var
	$(VENV)/bin/cyclonedx-py requirements --of JSON --output-reproducible -o var/sbom.json requirements.txt
	$(VENV)/bin/cyclonedx-py requirements --of JSON --output-reproducible -o var/sbom-dev.json requirements-dev.txt
	@echo "SBOMs written: var/sbom.json (runtime), var/sbom-dev.json (runtime and tooling)"

## Known vulnerabilities in the locked packages (needs the internet; not part of `make test`).
## Fails unless pip-audit really checked every package: 0 checked is never a pass.
audit-deps: $(VENV)/.dev
	$(PY) .ci/audit_deps.py requirements.txt requirements-dev.txt

setup: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

## Start web server, Celery worker and beat together on SQLite and the file broker. Links in
## e-mails and calendar files use SITE_URL, http://127.0.0.1:$(PORT) unless set.
run: setup
	@echo
	@echo "  Child welfare referrals is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Sign in as any demo user above with the password shown (Ctrl+C stops everything)."
	@echo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PORT=$(PORT) $(VENV)/bin/honcho -f Procfile start

## Every check CI runs: lint, migrations, import boundaries, the lock files, bandit, the whole
## test suite.
test: $(VENV)/.dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) .ci/lock_check.py
	$(PY) .ci/bandit_check.py
	$(VENV)/bin/pytest

## Benchmarks (printed, never asserted): issue 14's goals P1-P7 at two sizes, as one table
## (bench/table.py: the sweep, matching, reports and each request's statements over generated
## data, the partner API and the intake pages against a bare Django + DRF app, the live record).
## BENCH_SIZE=small for the small size alone; bench/RESULTS.md keeps the figures.
bench: $(VENV)/.dev
	$(PY) bench/table.py

## Reliability drills (RELIABILITY.md G18, G19, G21, G22): load, the database stopped and its
## connections killed under load, the worker killed mid-sweep, beat down then doubled, the
## broker restarted, a 30-minute soak, each on a PostgreSQL cluster of its own; then the worker
## and scheduler drills again on RabbitMQ. About 45 minutes; not part of `make test`
## (docs/reliability.md). RELIABILITY_ARGS chooses drills and sizes for the first run.
RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672//
reliability: $(VENV)/.dev
	$(PY) bench/reliability.py $(RELIABILITY_ARGS)
	$(PY) bench/reliability.py worker-kill scheduler --broker $(RABBITMQ_URL)

## Browser tests drive Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium not installed: browser tests will be skipped"; fi; }

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) .ci/lock_check.py
	$(PY) .ci/bandit_check.py

clean:
	rm -rf var .pytest_cache
