# Quick start: `make run` serves the chat; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export CASE_CORPUS_DIR ?= corpus
export CASE_INDEX_DIR ?= data/index

.PHONY: run test test-fast install ingest eval train bench clean chromium check-install

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, so that nothing resolves to a CUDA build; then the rest by uv, which
	# installs the same versions in parallel: 25 s against pip's 56 s here, bytecode included
	# (this machine sets PYTHONDONTWRITEBYTECODE, so modules are compiled at install or on every
	# import). pip does it where uv cannot reach the index.
	# Where pip is pointed at a folder holding the CPU build (PIP_FIND_LINKS), uv installs it from
	# there, twice as fast; it is asked for "+cpu" exactly, so it can never take PyPI's CUDA build.
	$(PY) -m pip install --quiet uv
	if ls "$${PIP_FIND_LINKS:-/nonexistent}"/torch-2.13.0+cpu-*.whl >/dev/null 2>&1; then \
	  $(PY) -m uv pip install --quiet --python $(PY) --find-links "$$PIP_FIND_LINKS" 'torch==2.13.0+cpu'; \
	else $(PY) -m pip install --quiet torch==2.13.0; fi
	$(PY) -m uv pip install --quiet --compile-bytecode --python $(PY) -e '.[test]' || $(PY) -m pip install --quiet -e '.[test]'
	# The embedding model in ONNX Runtime: ingest and questions then never import PyTorch.
	$(PY) -m assistant export-model --if-missing
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
# The Python install and Chromium's (apt) run side by side: on a fresh machine each takes tens of seconds.
test:
	@$(MAKE) --no-print-directory -j2 $(STAMP) chromium
	@data=$$(mktemp -d); \
	$(VENV)/bin/chroma run --path $$data --host 127.0.0.1 --port $(CHROMA_TEST_PORT) >$$data.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -rf $$data $$data.log' EXIT; \
	CASE_TEST_CHROMA_PORT=$(CHROMA_TEST_PORT) $(PY) -m pytest -n 2

# The inner loop: the tests that need neither the model nor a server (under a minute).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

# The answer model's figures per kind: train split, validation split, 5-fold.
eval: $(STAMP)
	$(PY) -m assistant eval

# Refit the answer model on the train split (writes assistant/answerability/model.json).
train: $(STAMP)
	$(PY) -m assistant train

bench: $(STAMP)
	$(PY) tests/benchmarks/bench.py

# The install as a newcomer's machine does it: a venv with Python's bundled pip (no upgrade),
# `pip install -e .`, then ingest of a corpus holding an .html file (trafilatura -> jusText ->
# lxml_html_clean, which older pips skip when it is asked for only as an extra). Minutes: not
# part of `make test`.
check-install:
	@d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; set -e; \
	$(PYTHON) -m venv $$d/venv; $$d/venv/bin/pip --version; \
	$$d/venv/bin/pip install --quiet -e .; \
	mkdir -p $$d/corpus; \
	printf '<html><body><article><h1>Hearing</h1><p>%s</p></article></body></html>\n' \
	  "$$(printf 'The tribunal adjourned the preliminary hearing until the spring. %.0s' 1 2 3 4 5 6)" > $$d/corpus/page.html; \
	$$d/venv/bin/python -m ingest --corpus $$d/corpus --index $$d/index --json > $$d/report.json; \
	tail -n 1 $$d/report.json | $$d/venv/bin/python -c 'import json,sys; r=json.load(sys.stdin); \
	  assert r["documents"]["added"] == 1 and not r["failures"], r; print("check-install: page.html ingested with", sys.version.split()[0])'

clean:
	rm -rf data .pytest_cache
