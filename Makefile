# ReedSailing: `make run` starts a working server on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test install-dev run test test-js lint format ci bench bench-cpu bench-realtime clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-test.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed-test
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(PY) manage.py db upgrade
	$(PY) manage.py seed
	$(PY) wsgi.py

# JS_TESTS=0 leaves out the JavaScript client tests (.ci/run runs them on their own, with Redis).
NODE ?= node
NPM ?= npm
JS_DIR := tests/js
JS_TESTS ?= 1

test: install-test
	$(PY) -m pytest
	@if [ "$(JS_TESTS)" = "0" ]; then :; \
	elif command -v $(NODE) >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory test-js; \
	else \
	  echo "make test: SKIPPED the JavaScript Socket.IO client tests (tests/js): node/npm not found."; \
	fi

$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# socket.io-client 4.x and the mini-program adapter against real `python wsgi.py`
# processes (docs/realtime-client.md); the two-process tests need REDIS_URL.
test-js: install-test $(JS_DIR)/node_modules/.installed
	cd $(JS_DIR) && PYTHON="$(abspath $(PY))" $(NODE) --test --test-reporter=spec --test-timeout=90000

# ruff (lint + format check) and mypy, as .ci/run runs them
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

ci:
	bash .ci/run

# make bench BENCH_ARGS="--sets small,large --db sqlite,mariadb --mariadb-url mysql+pymysql://..."
# Through the shipped nginx site, 1 and 2 processes, from many / one client address:
# make bench BENCH_ARGS="--nginx 1,2 --only activity,org"   (needs nginx: apt-get install -y nginx)
# Load runs need wrk (apt-get install -y wrk; else a slower Python generator is used);
# bench-realtime needs Redis (REDIS_URL). See bench/RESULTS.md.
BENCH_ARGS ?=
bench: install-test
	$(PY) bench/run.py $(BENCH_ARGS)

bench-cpu: install-test
	$(PY) bench/cpu.py $(BENCH_ARGS)

bench-realtime: install-test
	$(PY) bench/realtime.py

clean:
	rm -rf $(VENV) .pytest_cache $(JS_DIR)/node_modules
