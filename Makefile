# ReedSailing: `make run` starts a working server on SQLite, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install install-test run test ci bench clean

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

bench: install-test
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
