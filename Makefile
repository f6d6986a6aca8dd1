# Quick start: `make run` serves the chat; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export CASE_CORPUS_DIR ?= corpus
export CASE_INDEX_DIR ?= data/index

.PHONY: run test install ingest eval bench clean chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned, so that nothing resolves to a CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

ingest: $(STAMP)
	$(PY) -m ingest

run: $(STAMP)
	$(PY) app.py

# Browser tests drive Debian's Chromium (no browser download works here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and this is not root: browser tests will be skipped"; fi; }

# The suite runs its ingest and retrieval tests against a Chroma server too: start one
# on loopback for the run, and stop it however the run ends.
CHROMA_TEST_PORT ?= 8765
test: $(STAMP) chromium
	@data=$$(mktemp -d); \
	$(VENV)/bin/chroma run --path $$data --host 127.0.0.1 --port $(CHROMA_TEST_PORT) >$$data.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -rf $$data $$data.log' EXIT; \
	CASE_TEST_CHROMA_PORT=$(CHROMA_TEST_PORT) $(PY) -m pytest

eval: $(STAMP)
	$(PY) -m assistant eval tests/data/case_qa.jsonl
	$(PY) -m assistant eval ../shared/eval/dev_qa.jsonl

bench: $(STAMP)
	$(PY) tests/benchmarks/bench.py

clean:
	rm -rf data .pytest_cache
