# ReedSailing: `make run` starts a working server on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test run test ci bench bench-realtime clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(PY) manage.py db upgrade
	$(PY) manage.py seed
	$(PY) wsgi.py

test: install-test
	$(PY) -m pytest

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

bench-realtime: install-test
	$(PY) bench/realtime.py

clean:
	rm -rf $(VENV) .pytest_cache
