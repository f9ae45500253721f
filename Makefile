# ReedSailing: `make run` starts a working server on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test install-dev lock lock-check run test test-fast test-js lint format ci bench bench-cpu bench-realtime clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Installs come from the locks (every package, transitive ones too, pinned with hashes):
# requirements.lock (runtime) and requirements-dev.lock (runtime + tests + lint).
# requirements*.txt are the human-edited inputs; `make lock` regenerates the locks from
# them (README "Dependencies").
$(VENV)/.installed: requirements.lock | $(PY)
	$(PIP) install -q --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-test: requirements-dev.lock $(VENV)/.installed
	$(PIP) install -q --require-hashes -r requirements-dev.lock
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-test
	touch $@

LOCK_FLAGS := -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS)

# Keeps every pin still allowed by requirements*.txt; `make lock UPGRADE=1` takes the newest.
lock: $(VENV)/.installed-dev
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) -o requirements.lock requirements.txt
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) -o requirements-dev.lock requirements-dev.txt

# CI: the locks say what requirements*.txt ask for (fails after an edit without `make lock`)
lock-check: $(VENV)/.installed-dev
	@tmp=$$(mktemp -d); cp requirements.lock requirements-dev.lock $$tmp/; \
	$(PIP_COMPILE) -o $$tmp/requirements.lock requirements.txt && \
	$(PIP_COMPILE) -o $$tmp/requirements-dev.lock requirements-dev.txt && \
	diff -u requirements.lock $$tmp/requirements.lock && diff -u requirements-dev.lock $$tmp/requirements-dev.lock \
	  && echo "lock-check: requirements.lock and requirements-dev.lock are current" \
	  || { echo "lock-check: the locks are stale: run make lock and commit them" >&2; rm -rf $$tmp; exit 1; }; \
	rm -rf $$tmp

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

# The inner loop: every test but the `slow` ones (processes, nginx, Chromium, the API
# fuzz); docs/testing.md.
test-fast: install-test
	$(PY) -m pytest -m "not slow"

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
# make bench BENCH_MODE=eventlet,gevent,threading  (the server modes to compare; README "Server modes")
# Load runs need wrk (apt-get install -y wrk; else a slower Python generator is used);
# bench-realtime needs Redis (REDIS_URL). See bench/RESULTS.md.
BENCH_ARGS ?=
BENCH_MODE ?= eventlet
bench: install-test
	$(PY) bench/run.py --mode $(BENCH_MODE) $(BENCH_ARGS)

bench-cpu: install-test
	$(PY) bench/cpu.py $(BENCH_ARGS)

bench-realtime: install-test
	$(PY) bench/realtime.py

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache $(JS_DIR)/node_modules
