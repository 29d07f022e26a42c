# Two commands do all the set-up from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: run test install chromium bench data clean

run: install
	$(PY) app.py --server.port $(PORT) --server.headless true

test: install chromium
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

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench

data: install
	$(PY) data/build_default_scenario.py
	$(PY) data/build_world_cloud_scenario.py

clean:
	rm -rf $(VENV) .pytest_cache
