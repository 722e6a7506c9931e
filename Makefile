# Linli — the two commands a new machine needs: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
PYTHON ?= python3

.PHONY: install demo test lint bench bench-nlp browser clean

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

## make bench: the fast path's figures in one table (benchmarks/bench_all.py, ~10 min)
bench: install
	$(PY) benchmarks/bench_all.py

## make bench-nlp: the classifier against bare jieba.lcut
bench-nlp: install
	$(PY) benchmarks/bench_classify.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache linli.db linli.db-wal linli.db-shm
