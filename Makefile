# The README's commands. `make run` for a local Scanlink, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test install install-dev assets bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: node_modules/.package-lock.json
	$(BIN)/python -m scripts.copy_assets

# Without REDIS_URL the embedded Redis runs beside web and worker.
run: install assets
	SCANLINK_ENV=development $(BIN)/flask --app wsgi db upgrade
	@# The demo admin's password is printed last, framed, once web answers (scripts/dev_banner.py).
	@# Job control (set -m) hands the terminal to the processes: Ctrl-C reaches them and not
	@# make, which then ends with their status, 0 after an interrupt (scripts/dev_run.py).
	set -m; SCANLINK_DEMO_BANNER="$$(SCANLINK_ENV=development $(BIN)/flask --app wsgi users ensure-demo)" \
	  SCANLINK_ENV=development $(BIN)/python -m scripts.dev_run $(if $(REDIS_URL),web worker banner,); \
	  status=$$?; exit $$status

# The layering (.importlinter) and pyflakes/import order (ruff.toml) are checked first.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install-dev assets lint tests/oidc/node_modules/.package-lock.json tests/a11y/node_modules/.package-lock.json
	$(BIN)/python -m scripts.run_tests $(ARGS)

# tests/oidc/ has its own npm packages: oidc-provider, the real OpenID provider that the
# single sign-on tests log in at. The app never loads them.
tests/oidc/node_modules/.package-lock.json: tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund
	touch $@

# tests/a11y/ has axe-core, which the page walk (tests/views/test_browser_layout.py) runs in
# every page. The app never loads it.
tests/a11y/node_modules/.package-lock.json: tests/a11y/package.json tests/a11y/package-lock.json
	npm ci --prefix tests/a11y --no-audit --no-fund
	touch $@

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	npm ci --prefix bench --no-audit --no-fund
	touch $@

# bench/ has its own npm packages (sharp, the image baseline); the app never loads them.
bench: install-dev assets bench/node_modules/.package-lock.json
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules bench/node_modules tests/oidc/node_modules tests/a11y/node_modules static/vendor .pytest_cache
