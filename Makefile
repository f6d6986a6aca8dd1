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

test: $(STAMP) chromium
	$(PY) -m pytest

eval: $(STAMP)
	$(PY) -m assistant eval tests/data/case_qa.jsonl
	$(PY) -m assistant eval ../shared/eval/dev_qa.jsonl

clean:
	rm -rf data .pytest_cache
