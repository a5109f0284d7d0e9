# Two entry points that work on a fresh machine: `make demo` and `make test`.
# Both create .venv at the repository root first (idempotent).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup demo test lint build

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: setup
	$(BIN)/mmqb demo

build: setup
	$(BIN)/mmqb build

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/pytest -n 2 tests
	$(BIN)/pytest -n 2 --dist loadscope --nbval-lax source
