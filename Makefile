# Two commands on a fresh machine: `make run` (the app) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench clean

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.app
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.dev
	$(PY) -m pytest

bench: $(VENV)/.app
	$(PY) -m playground bench

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache
