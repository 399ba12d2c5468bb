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

# compileall: the server and each trainer process import the project's modules when they start;
# where Python writes no bytecode cache itself (PYTHONDONTWRITEBYTECODE, as on our machines) they
# were compiled again at every start, about half a second of the first page. Only changed files.
run: $(VENV)/.app
	$(PY) -m compileall -q app.py playground datasets > /dev/null
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

test: $(VENV)/.dev
	$(PY) -m pytest

bench: $(VENV)/.app
	$(PY) -m playground bench

clean:
	rm -rf $(VENV) tests/artifacts .pytest_cache
