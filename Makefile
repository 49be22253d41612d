# Two commands: `make app` (install and start the dashboard on the sample data) and `make test` (install the test
# extras and Debian's chromium, then run the whole suite). The virtualenv is re-installed only when a requirements
# file changes: each install leaves a stamp file newer than the requirements it installed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
DEV_STAMP := $(VENV)/.installed-dev
CHROMIUM := /usr/bin/chromium
PORT ?= 8501
ADDRESS ?=
PYTEST_ARGS ?=

.PHONY: app test install install-dev chromium postgresql lint

# Served on 127.0.0.1 (.streamlit/config.toml); ADDRESS=0.0.0.0 shares it with the network, with no login.
app: install
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT)$(if $(ADDRESS), --server.address $(ADDRESS))

test: install-dev chromium postgresql
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check engine dashboard tests benchmarks
	$(PY) -m ruff format --check engine dashboard tests benchmarks
	$(VENV)/bin/lint-imports

install: $(APP_STAMP)

install-dev: $(DEV_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m engine.sampling.warmup  # compile the numba samplers once, into their disk cache
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(APP_STAMP)
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

chromium:
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation; }

# Debian's PostgreSQL server binaries, for the test that runs two `tune` processes on one study in a real server
# (the test starts a throwaway server in a temporary folder and stops it after).
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends postgresql; }
