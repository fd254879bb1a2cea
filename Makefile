# Hotline: `make run` to try it, `make test` to check it. See README.md.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint messages bench setup browser help

help:
	@echo "make run       set up and serve Hotline on http://$(HOST):$(PORT)/ (SQLite in ./var/)"
	@echo "make test      set up and run the whole suite (SQLite, PostgreSQL, Redis, browser)"
	@echo "make lint      ruff check and format check"
	@echo "make messages  update the zh_Hans catalog (needs gettext) and compile it"
	@echo "make bench     run the benchmarks in bench/"

# The virtualenv, made once.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Hotline needs Python 3.11 or newer ($(PYTHON) is older)."; exit 1; }
	$(PYTHON) -m venv $(VENV) \
		|| { rm -rf $(VENV); echo "Could not create $(VENV): on Debian/Ubuntu install python3-venv."; exit 1; }

# Dependencies, installed again only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_roles
	$(MANAGE) demo_data --verbosity 0
	$(MANAGE) collectstatic --noinput --verbosity 0
	@echo
	@echo "Hotline is starting on  http://$(HOST):$(PORT)/"
	@echo
	@echo "Demo logins:"
	@$(MANAGE) demo_data --list
	@echo
	@$(MANAGE) db_worker --queue-name '*' & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off; \
		status=$$?; case $$status in 130|143) status=0;; esac; exit $$status

# Debian's packages the tests use: Chromium and CJK fonts for the browser
# tests (never a downloaded browser); SIPp, baresip, espeak-ng and sox for the
# real-telephony tests.
TEST_PACKAGES := chromium fonts-noto-cjk sip-tester baresip espeak-ng sox
browser:
	@if ! dpkg -s $(TEST_PACKAGES) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO apt-get install -y $(TEST_PACKAGES); \
	fi

test: setup browser
	bin/test-all $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: setup
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=test-artifacts --ignore="hotline/core/tests/*"
	$(MANAGE) compilemessages --ignore=.venv

bench: setup
	@shopt -s nullglob; files=(bench/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks yet"; exit 0; fi; \
	for file in "$${files[@]}"; do echo "== $$file"; $(PY) "$$file" || exit 1; done
