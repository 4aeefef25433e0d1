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
	@py=$$(tools/find-python 3.12) || exit 1; \
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

test: $(STAMP) chromium databases  ## run every test: all tiers here, then unit and xblock on each Open edX release's pins
	@$(PY) tools/i18n.py compile
	@$(PY) -m pytest
	@$(MAKE) --no-print-directory test-platform

test-platform:  ## the unit and xblock tiers on the pins of Ulmo (Python 3.11) and Verawood (Python 3.12)
	@tools/platform-tier py311 -q
	@tools/platform-tier py312 -q

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

dist: $(STAMP)  ## build the wheel and sdist into dist/ and check them with twine (what an operator installs)
	@rm -rf dist && $(PY) -m build -q --outdir dist . && $(VENV)/bin/twine check --strict dist/*

clean:  ## remove the virtualenv, build output and workbench state (var/)
	rm -rf $(VENV) .venv-py311 .venv-py312 build dist *.egg-info var .tox

.PHONY: help venv run chromium databases test test-platform dist fuzz quality translations upgrade clean

tox: $(STAMP)  ## run tox (Django 4.2 and 5.2, the two platform tiers, quality, translations)
	@PATH="$$(dirname $$(tools/find-python 3.12)):$$(dirname $$(tools/find-python 3.11)):$$PATH" $(VENV)/bin/tox $(TOXARGS)
.PHONY: tox

BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat requirements/test.txt requirements/bench.txt setup.py | cksum | cut -d' ' -f1)

$(BENCH_STAMP): requirements/test.txt requirements/bench.txt setup.py | databases
	@py=$$(tools/find-python 3.12) || exit 1; \
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
