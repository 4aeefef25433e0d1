# consortium-cme-xblocks: `make run` serves the demo course, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip on these machines warns about local index folders it cannot use; not our concern.
QUIET_PIP := grep -v "^WARNING: Location" || true
.DEFAULT_GOAL := help
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/test.txt setup.py | cksum | cut -d' ' -f1)
export CME_VAR_DIR ?= $(CURDIR)/var

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# mysqlclient (requirements/test.txt) builds from source against libmariadb-dev: databases first.
$(STAMP): requirements/test.txt setup.py | databases
	@py=$$(tools/find-python312) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV) || exit 1; fi
	@echo "Installing the suite and its pinned requirements into $(VENV) (first time: about a minute)..."
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements/test.txt 2>&1 | { $(QUIET_PIP); }
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | { $(QUIET_PIP); }
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)  ## create or update the virtualenv (Python 3.12)

run: $(STAMP)  ## serve the workbench with the demo course on 127.0.0.1:$(PORT)
	@$(PY) -m xblocks.workbench.serve --port $(PORT)

chromium:  ## install Debian's Chromium when it is missing
	@tools/ensure-chromium

databases:  ## install Debian's PostgreSQL and MariaDB servers (and the MySQL driver's build deps) when missing
	@tools/ensure-databases

test: $(STAMP) chromium databases  ## run every test (unit, xblock, browser, integration, packaging)
	@$(PY) tools/i18n.py compile
	@$(PY) -m pytest

FIGURES := var/reliability.json
ADVERSARIAL := tests/xblock/test_fuzz_handlers.py tests/xblock/test_hostile_xml.py \
	tests/browser/test_xss.py tests/server/test_concurrent_claims.py \
	tests/integration/test_lrs_push.py tests/unit/test_credit_csv.py \
	tests/xblock/test_staff_only.py tests/xblock/test_learner_isolation.py \
	tests/xblock/test_two_authors.py tests/unit/test_credit_xml.py \
	tests/unit/test_case_learner_view.py tests/xblock/test_case_block.py \
	tests/xblock/test_referral_block.py

fuzz: $(STAMP) chromium  ## the adversarial suite at full size (5,000 bodies per handler); rewrites docs/RELIABILITY.md's figures
	@rm -f $(FIGURES)
	@CME_FIGURES=$(FIGURES) CME_FUZZ_EXAMPLES=$${CME_FUZZ_EXAMPLES:-5000} $(PY) -m pytest $(ADVERSARIAL) -q
	@$(PY) tools/reliability.py $(FIGURES) docs/RELIABILITY.md

quality: $(STAMP)  ## ruff lint and format check
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

translations: $(STAMP)  ## extract messages, update en and zh_CN catalogs, compile, check
	@$(PY) tools/i18n.py extract
	@$(PY) tools/i18n.py compile
	@$(PY) tools/i18n.py check

upgrade: $(STAMP)  ## recompile requirements/*.txt from requirements/*.in (dev, test, then quality and bench, which are constrained by test)
	@$(PY) -m pip install -q pip-tools
	@for f in dev test quality bench; do \
	  $(VENV)/bin/pip-compile -q --upgrade --strip-extras --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links -o requirements/$$f.txt requirements/$$f.in; \
	done

clean:  ## remove the virtualenv, build output and workbench state (var/)
	rm -rf $(VENV) build dist *.egg-info var .tox

.PHONY: help venv run chromium databases test fuzz quality translations upgrade clean

tox: $(STAMP)  ## run tox (Django 4.2 and 5.2, quality, translations) with Python 3.12 on PATH
	@PATH="$$(dirname $$(tools/find-python312)):$$PATH" $(VENV)/bin/tox $(TOXARGS)
.PHONY: tox

BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat requirements/test.txt requirements/bench.txt setup.py | cksum | cut -d' ' -f1)

$(BENCH_STAMP): requirements/test.txt requirements/bench.txt setup.py | databases
	@py=$$(tools/find-python312) || exit 1; \
	if [ ! -x $(BENCH_PY) ]; then echo "Creating $(BENCH_VENV) with $$py"; "$$py" -m venv $(BENCH_VENV) || exit 1; fi
	@echo "Installing the suite, test requirements and peer XBlocks into $(BENCH_VENV)..."
	@$(BENCH_PY) -m pip install -q --disable-pip-version-check -r requirements/test.txt -r requirements/bench.txt 2>&1 | { $(QUIET_PIP); }
	@$(BENCH_PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | { $(QUIET_PIP); }
	@rm -f $(BENCH_VENV)/.installed-* && touch $@

bench: $(BENCH_STAMP) chromium  ## benchmarks beside the runtime floor and peer XBlocks (updates benchmarks/README.md)
	@$(BENCH_PY) -m benchmarks.run $(BENCHARGS)

bench-quick: $(BENCH_STAMP) chromium  ## the benchmark harness in a few rounds (numbers never fail it)
	@$(BENCH_PY) -m benchmarks.run --quick
.PHONY: bench bench-quick
