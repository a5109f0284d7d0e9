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
	$(BIN)/lint-imports

# As root (CI, a fresh machine) the PostgreSQL gradebook test gets a real server on loopback,
# the browser test gets Debian's Chromium, and the Gradescope container test podman and debootstrap.
test: setup lint
	@if [ "$$(id -u)" = 0 ]; then bash .ci/browser-deps; fi
	@if [ "$$(id -u)" = 0 ]; then bash .ci/container-deps; fi
	@if [ "$$(id -u)" = 0 ] && [ -z "$$MMQB_TEST_POSTGRES_URL" ]; then \
	  url=$$(bash .ci/postgres | tail -1); echo "PostgreSQL test server: $$url"; \
	  export MMQB_TEST_POSTGRES_URL=$$url; fi; \
	$(BIN)/pytest -n 2 --dist loadgroup tests
	$(BIN)/pytest -n 2 --dist loadscope --nbval-lax source
