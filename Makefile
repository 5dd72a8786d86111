# iesim: every target sets itself up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python >= 3.12: from PATH first, then pyenv's.
PYTHON_BOOT := $(shell for p in python3.13 python3.12 python3; do \
	  c=$$(command -v $$p 2>/dev/null) || continue; \
	  $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; exit 0; }; \
	done; \
	if command -v pyenv >/dev/null 2>&1; then \
	  for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do \
	    c=$$(pyenv prefix $$v 2>/dev/null)/bin/python3; \
	    [ -x $$c ] && { echo $$c; exit 0; }; \
	  done; \
	fi)

.PHONY: setup run test lint clean figures dashboard bench sensitivity calibrate discover decide assets chromium

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON_BOOT)" ]; then echo "error: no Python >= 3.12 found on PATH or in pyenv; install one (e.g. pyenv install 3.12)" >&2; exit 2; fi
	@[ -x $(PY) ] || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The main job: baseline, each lever alone and the full package, 10 replicates
# on common random numbers; prints the comparison table (a few minutes).
run: setup
	rm -rf results/policy_comparison
	$(VENV)/bin/iesim batch scenarios/batches/policy_comparison.toml --out results/policy_comparison

# The shipped sensitivity studies (scenarios/sensitivity/), each into
# results/sensitivity/<name>; an interrupted study continues where it stopped.
# QUICK=1 runs the CI size (about three minutes); the full sizes took 97
# minutes in all on a 2-core machine (times per study in the README).
STUDIES := $(wildcard scenarios/sensitivity/*.toml)
sensitivity: setup
	@for f in $(STUDIES); do \
	  name=$$(basename $$f .toml); out=results/sensitivity$(if $(QUICK),-quick,)/$$name; \
	  resume=$$([ -f $$out/study.json ] && echo --resume); \
	  echo "== $$name"; \
	  $(VENV)/bin/iesim sensitivity $$f --out $$out $(if $(QUICK),--quick,) --quiet $$resume > /dev/null || exit $$?; \
	  echo "   report: $$out/report.md"; \
	done
	$(PY) -m simulation.sensitivity.compare results/sensitivity$(if $(QUICK),-quick,)/population_check_default \
	  results/sensitivity$(if $(QUICK),-quick,)/population_check_half

# Calibrate the no-policy baseline to calibration/targets.toml (history matching,
# about 30 minutes on a 2-core machine) into results/calibration, continuing an
# interrupted run, then install its calibrated.toml, posterior.parquet (the joint
# posterior draws), report.md and figures in calibration/, where the registry
# reads the calibrated defaults and hands out posterior draws. QUICK=1 runs
# the CI size into results/calibration-quick and installs nothing.
CAL_OUT := results/calibration$(if $(QUICK),-quick,)
calibrate: setup
	@resume=$$([ -f $(CAL_OUT)/calibration.json ] && echo --resume); \
	$(VENV)/bin/iesim calibrate calibration/targets.toml --out $(CAL_OUT) $(if $(QUICK),--quick,) \
	  --quiet $$resume > /dev/null
	@echo "report: $(CAL_OUT)/report.md"
	@if [ -z "$(QUICK)" ]; then \
	  cp $(CAL_OUT)/calibrated.toml $(CAL_OUT)/posterior.parquet $(CAL_OUT)/report.md calibration/ && \
	  rm -rf calibration/figures && cp -r $(CAL_OUT)/figures calibration/figures && \
	  echo "installed calibration/calibrated.toml, posterior.parquet, report.md and figures/"; fi

# The shipped discovery studies (scenarios/discovery/), each into
# results/discovery/<name>, continuing an interrupted one; then copy each
# report, box table and figures into docs/discovery/<name>. QUICK=1 runs the
# CI size into results/discovery-quick and copies nothing.
DISCOVERIES := $(wildcard scenarios/discovery/*.toml)
discover: setup
	@for f in $(DISCOVERIES); do \
	  name=$$(basename $$f .toml); out=results/discovery$(if $(QUICK),-quick,)/$$name; \
	  resume=$$([ -f $$out/discovery.json ] && echo --resume); \
	  echo "== $$name"; \
	  $(VENV)/bin/iesim discover $$f --out $$out $(if $(QUICK),--quick,) --quiet $$resume > /dev/null || exit $$?; \
	  echo "   report: $$out/report.md"; \
	  if [ -z "$(QUICK)" ]; then \
	    rm -rf docs/discovery/$$name && mkdir -p docs/discovery/$$name && \
	    cp -r $$out/report.md $$out/boxes.md $$out/boxes.csv $$out/cart.txt $$out/figures \
	      docs/discovery/$$name/ && echo "   copied to docs/discovery/$$name"; fi; \
	done

# The shipped decision studies (scenarios/decisions/), each into
# results/decisions/<name>, continuing an interrupted one; then copy each
# report, its tables (CSV) and figures into docs/decisions/<name>. QUICK=1 runs
# the CI size into results/decisions-quick and copies nothing.
DECISIONS := $(wildcard scenarios/decisions/*.toml)
DECISION_TABLES := expected acceptability frontier evpi evppi variance
decide: setup
	@for f in $(DECISIONS); do \
	  name=$$(basename $$f .toml); out=results/decisions$(if $(QUICK),-quick,)/$$name; \
	  resume=$$([ -f $$out/decision.json ] && echo --resume); \
	  echo "== $$name"; \
	  $(VENV)/bin/iesim decide $$f --out $$out $(if $(QUICK),--quick,) --quiet $$resume > /dev/null || exit $$?; \
	  echo "   report: $$out/report.md"; \
	  if [ -z "$(QUICK)" ]; then \
	    rm -rf docs/decisions/$$name && mkdir -p docs/decisions/$$name && \
	    cp -r $$out/report.md $$out/figures $(foreach t,$(DECISION_TABLES),$$out/$(t).csv) \
	      docs/decisions/$$name/ && echo "   copied to docs/decisions/$$name"; fi; \
	done

bench: setup
	$(PY) -m benchmarks.bench --out benchmarks/results

# Every figure (notebooks/ -> figures/, PNG and PDF) at FULL size; batches are
# stored in results/figures-full and reused when complete, and the shipped
# sensitivity studies and calibration in results/ are read when present.
# QUICK=1: the CI size, into results/figures-quick/figures.
figures: setup
	$(PY) -m simulation.figures --size $(if $(QUICK),QUICK,FULL) \
	  $(if $(QUICK),--figures results/figures-quick/figures,)

# Solara's front-end packages (the page's JavaScript and CSS) from the npm registry
# into Solara's CDN cache in the venv, so the dashboard loads with no network
# (about 5 s the first time; the stamp makes it instant after).
ASSETS_STAMP := $(VENV)/.assets
assets: setup $(ASSETS_STAMP)

$(ASSETS_STAMP): $(STAMP) simulation/dashboard/offline.py
	$(PY) -m simulation.dashboard.offline
	@touch $(ASSETS_STAMP)

# Debian's Chromium for the browser test (never a browser downloaded by playwright).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
	  else echo "error: $(CHROMIUM) is missing and installing it needs root: run 'apt-get install -y chromium' as root" >&2; exit 2; fi; \
	  command -v apt-get >/dev/null 2>&1 || { echo "error: $(CHROMIUM) is missing and there is no apt-get; install Chromium at $(CHROMIUM) by hand" >&2; exit 2; }; \
	  echo "installing chromium (apt-get, about 25 s)"; \
	  { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || { echo "error: could not install chromium with apt-get; run 'apt-get update && apt-get install -y chromium' as root" >&2; exit 2; }; \
	  [ -x $(CHROMIUM) ] || { echo "error: apt-get installed chromium but $(CHROMIUM) is missing" >&2; exit 2; }; \
	fi

# The workshop dashboard at http://127.0.0.1:$(PORT)/ (Ctrl-C stops it).
PORT ?= 8521
dashboard: setup assets
	$(VENV)/bin/iesim dashboard --port $(PORT)

test: setup assets chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) results .pytest_cache test-artifacts
