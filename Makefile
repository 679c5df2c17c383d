# support-tui: `make demo` opens the console offline; `make test` runs the whole suite.
# Both set up the virtual environment in .venv first when it is missing or stale.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export SUPPORT_TUI_OFFLINE_ENV := 1

.PHONY: setup demo test typecheck bench screenshots eval clean

setup: $(STAMP)

# torch's CPU build goes in first: otherwise sentence-transformers pulls a CUDA build of several GB.
# The checkout's modules are compiled to bytecode as pip does for an installed package: where
# PYTHONDONTWRITEBYTECODE is set, each start otherwise compiled the console's modules again (~100 ms).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m compileall -q support_tui >/dev/null
	touch $(STAMP)

# First run: the store loads and the knowledge base is indexed here, with progress shown,
# so the console opens ready; later runs find both in place and start at once.
demo: $(STAMP)
	$(VENV)/bin/support-tui kb ingest
	$(VENV)/bin/support-tui demo

# A strict type check of the engine, and its import contracts (pyproject.toml says which).
typecheck: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict tests/tiny_shop.py  # the third-shop double fits Shop and OfflineSkill
	$(VENV)/bin/lint-imports

# PostgreSQL 15 (the store tests run on both backends) and Chromium (the web chat's browser test)
# are installed from Debian's packages when missing.
test: $(STAMP)
	bash tests/system_deps.sh
	$(MAKE) --no-print-directory typecheck
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

eval: $(STAMP)
	$(VENV)/bin/support-tui eval routing --data ../shared/eval/routing-dev.jsonl
	$(VENV)/bin/support-tui eval scenarios
	$(VENV)/bin/support-tui eval replies
	$(VENV)/bin/support-tui eval answers --data ../shared/eval/answers-abcd-dev.jsonl
	$(VENV)/bin/support-tui eval answers --data fixtures/eval/answers-own-dev.jsonl
	$(VENV)/bin/support-tui eval answers --data fixtures/eval/answers-holdout.jsonl
	$(VENV)/bin/support-tui eval escalation --data fixtures/eval/escalation.jsonl
	$(VENV)/bin/support-tui eval escalation --data fixtures/eval/escalation-holdout.jsonl
	$(VENV)/bin/support-tui eval routing --data fixtures/eval/routing-holdout.jsonl
	$(VENV)/bin/support-tui eval tau --shop taubench-retail --tasks ../shared/taubench-retail/tasks_train.jsonl --agent gold
	$(VENV)/bin/support-tui eval tau --shop taubench-retail --tasks ../shared/taubench-retail/tasks_dev.jsonl --agent gold
	$(PY) benchmarks/tau_gold.py

screenshots: $(STAMP)
	$(VENV)/bin/support-tui screenshots screenshots

clean:
	rm -rf $(VENV) .pytest_cache
