# Värna: the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

UV_VERSION ?= 0.13.9
BUN_VERSION := 1.4.4
AXE_VERSION := 4.10.3
OIDC_PROVIDER_VERSION := 9.13.3
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

.PHONY: run serve setup test test-shifted browser lint bench migrate seed clean build-frontend \
	serve-built container-test

$(UV):
	@echo "==> Installerar uv i $(TOOLS)/uv"
	python3 -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(TOOLS)/node_modules/.bin/bun:
	@echo "==> Installerar bun $(BUN_VERSION) från npm"
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

# axe-core (npm) for the accessibility checks of the browser tests (tests/e2e/axe.py).
$(TOOLS)/node_modules/axe-core/axe.min.js:
	@echo "==> Installerar axe-core $(AXE_VERSION) från npm"
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

$(BIN)/kb-app: pyproject.toml uv.lock | $(UV)
	@echo "==> Installerar Python-beroenden (uv sync --frozen)"
	$(UV) sync --frozen
	@touch $@

# A real OpenID provider for the single sign-on tests (tests/support/oidc.py).
$(TOOLS)/node_modules/oidc-provider/package.json:
	@echo "==> Installerar oidc-provider $(OIDC_PROVIDER_VERSION) från npm (för testerna)"
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error oidc-provider@$(OIDC_PROVIDER_VERSION)

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

# The production front end into .web/build/client, once (the container's build step).
build-frontend:
	$(BIN)/reflex export --frontend-only --no-zip --env prod

# Serve what build-frontend built, without building at start (the container's CMD).
serve-built:
	$(BIN)/python scripts/serve_built.py

# Build the container on a local Debian base with podman, run it, restart it, check it.
container-test: setup browser
	@bash scripts/container-test.sh

# What the browser tests need (chromium, fonts): installed as root, else the command to run.
browser:
	@bash scripts/ensure-browser.sh

test: setup browser $(TOOLS)/node_modules/axe-core/axe.min.js $(TOOLS)/node_modules/oidc-provider/package.json
	$(BIN)/pytest $(PYTEST_ARGS)

# The non-browser suite again with the clock moved (a year ahead, half a year back):
# a test that mixes a fixed time with the wall clock fails now, not next week.
SHIFTED := tests/domain tests/services tests/state tests/test_authorization_matrix.py
test-shifted: setup
	KB_TEST_CLOCK_SHIFT_DAYS=400 $(BIN)/pytest -q $(SHIFTED)
	KB_TEST_CLOCK_SHIFT_DAYS=-183 $(BIN)/pytest -q $(SHIFTED)

# ruff (rules and format) and the layer contract (import-linter, see pyproject.toml).
lint: $(BIN)/kb-app
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf .web .states
