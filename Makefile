# Värna: the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

UV_VERSION ?= 0.13.9
BUN_VERSION := 1.4.4
TOOLS := $(CURDIR)/.tools
VENV := $(CURDIR)/.venv
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/uv/bin/uv)
BIN := $(VENV)/bin
KB_PORT ?= 3000

# Offline-proof Reflex: bun from npm, no version checks, no telemetry.
export PATH := $(TOOLS)/node_modules/.bin:$(BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_TELEMETRY_ENABLED := false
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run serve setup test lint bench migrate seed clean

$(UV):
	@echo "==> Installerar uv i $(TOOLS)/uv"
	python3 -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(TOOLS)/node_modules/.bin/bun:
	@echo "==> Installerar bun $(BUN_VERSION) från npm"
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

$(BIN)/kb-app: pyproject.toml uv.lock | $(UV)
	@echo "==> Installerar Python-beroenden (uv sync --frozen)"
	$(UV) sync --frozen
	@touch $@

setup: $(BIN)/kb-app $(TOOLS)/node_modules/.bin/bun
	$(BIN)/kb-app migrate

migrate: setup

seed: setup
	$(BIN)/kb-app seed-demo

run: seed serve

# Serve the production build on one port (no set-up, no demo data): used by run and the Dockerfile.
serve:
	@echo ""
	@echo "==> Värna startar på http://localhost:$(KB_PORT) (första starten bygger webbgränssnittet, någon minut)"
	KB_PORT=$(KB_PORT) $(BIN)/reflex run --env prod --single-port --frontend-port $(KB_PORT) --backend-host 0.0.0.0

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/kb-app
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf .web .states
