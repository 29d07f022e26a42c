# Two commands do all the set-up from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP  := $(VENV)/.installed

WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run serve test install chromium haproxy bench bench-serve data clean

run: install
	$(PY) app.py --server.port $(PORT) --server.headless true

# Many viewers: WORKERS app processes behind HAProxy on PORT (deploy/haproxy.cfg, deploy/serve.py).
serve: install haproxy
	$(PY) deploy/serve.py --workers $(WORKERS) --port $(PORT)

test: install chromium haproxy
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# Debian's HAProxy for `make serve` and its tests (the proxy in front of the workers).
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q haproxy; }

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench

# Many sessions at once against `make run` and `make serve` (../shared/tools/wsload.py; bench/serve.py).
bench-serve: install haproxy
	$(PY) -m bench.serve

data: install
	$(PY) data/build_default_scenario.py
	$(PY) data/build_world_cloud_scenario.py
	$(PY) data/build_hourly_scenario.py

clean:
	rm -rf $(VENV) .pytest_cache
