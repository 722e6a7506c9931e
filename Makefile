# Linli — the two commands a new machine needs: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
PYTHON ?= python3

.PHONY: install demo test lint bench browser clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## make demo: SQLite, the demo community of config.yaml, the simulator at http://127.0.0.1:$(PORT)/
demo: install
	$(PY) -m bot demo --port $(PORT)

## make test: install everything the suite needs, then run it all
test: install browser
	$(PY) -m ruff check .
	$(PY) -m pytest

## headless Chromium for the browser test (Debian's package; needs root or sudo)
browser:
	@sh scripts/ensure-chromium.sh

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) benchmarks/bench_bridge.py
	$(PY) benchmarks/bench_classify.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache linli.db linli.db-wal linli.db-shm
