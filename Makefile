# Two commands matter: `make run` (the whole system on the embedded default, with demo data)
# and `make test` (every check CI runs). Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench setup lint demo chromium clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

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

## Every check CI runs: lint, migrations, import boundaries, the whole test suite.
test: $(VENV)/.dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

## Benchmarks: timings of the sweep, matching and chronology at scale (printed, not asserted).
bench: $(VENV)/.dev
	$(PY) bench/run.py
	$(PY) bench/live_record.py

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

clean:
	rm -rf var .pytest_cache
