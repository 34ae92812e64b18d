# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# Outside the checkout: ansible-test asks git for the file list of any tree inside a git work tree.
BUILD_ROOT ?= $(or $(TMPDIR),/tmp)/tencentcloud-lighthouse-$(shell printf %s '$(CURDIR)' | md5sum | cut -c1-8)
COLLECTION := $(BUILD_ROOT)/ansible_collections/tencentcloud/lighthouse
export ANSIBLE_COLLECTIONS_PATH := $(BUILD_ROOT)
ANSIBLE_TEST := cd $(COLLECTION) && $(BIN)/ansible-test

.PHONY: help system-packages venv collection sanity units emulator-tests test-tccli integration lint docs-lint importer installed molecule awx-runner compat test demo bench clean

help:
	@echo "make demo   roll back an emulated fleet with the real playbook (no cloud account)"
	@echo "make test   everything CI runs: sanity, unit, emulator, integration, lint, galaxy-importer, install guide, molecule, AWX"
	@echo "make bench  print the rollback's overhead, API calls and fleet times against the emulator (BENCH_ARGS=--help)"

# OpenSSH's server gives the emulator's instances real SSH endpoints (the role's tests and the demo).
system-packages:
	@if [ ! -x /usr/sbin/sshd ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "openssh-server is missing; install it (apt-get install openssh-server) or run as root" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null; \
	fi

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: system-packages $(BIN)/.installed
	$(BIN)/python tests/utils/seed_ansible_test_cache.py

# ansible-test and the collection loader need the tree at ansible_collections/<namespace>/<name>/.
collection: venv
	rm -rf $(COLLECTION) && mkdir -p $(COLLECTION)
	git ls-files --cached --others --exclude-standard -z \
	  | tar --null --files-from=- --ignore-failed-read -cf - | tar -C $(COLLECTION) -xf -

sanity: collection
	$(ANSIBLE_TEST) sanity --venv --python 3.11 --color no

units: collection
	$(ANSIBLE_TEST) units --venv --python 3.11 --color no --requirements

emulator-tests: venv
	$(BIN)/pytest -q -n 2 tests/emulator/tests

# tccli pulls in the 400 MB all-in-one SDK, so its smoke test has a virtualenv and a job of its own.
TCCLI_VENV := $(CURDIR)/.venv-tccli
$(TCCLI_VENV)/bin/.installed: requirements-tccli.txt
	$(PYTHON) -m venv $(TCCLI_VENV)
	$(TCCLI_VENV)/bin/pip install --quiet -r requirements-tccli.txt
	touch $@

test-tccli: $(TCCLI_VENV)/bin/.installed
	PATH=$(TCCLI_VENV)/bin:$$PATH $(TCCLI_VENV)/bin/pytest -q -p no:cacheprovider tests/emulator/tests/test_emu_tccli.py

# The targets' dependency setup_emulator starts one emulator for the whole run (each target resets it to the fleet
# it needs); it is stopped here at the end, with the tail of its log if a target failed. TARGETS narrows the run.
BACKGROUND_EMULATOR := tests/integration/targets/setup_emulator/files/background_emulator.py
# $(call run_integration,virtualenv bin directory,targets)
run_integration = cd $(COLLECTION) && status=0 && { $(1)/ansible-test integration --local --python 3.11 --color no $(2) || status=$$?; } \
	  && $(BIN)/python $(BACKGROUND_EMULATOR) stop $$([ $$status = 0 ] || echo --show-log) && exit $$status
integration: collection
	$(call run_integration,$(BIN),$(TARGETS))

lint: venv
	$(BIN)/ansible-lint

# galaxy-importer, which Galaxy runs on an upload, on the tarball `ansible-galaxy collection build` makes, with its
# default settings (ansible-doc and an offline ansible-lint, no container: its ansible-test sanity runs only in one,
# and is off by default) plus its flake8, which Automation Hub turns on. It logs what it finds as WARNING or ERROR
# lines and still exits 0: any such line fails here.
IMPORTER_DIR := $(BUILD_ROOT)/importer
importer: collection
	rm -rf $(IMPORTER_DIR) && mkdir -p $(IMPORTER_DIR)
	$(BIN)/ansible-galaxy collection build --output-path $(IMPORTER_DIR) $(COLLECTION)
	cd $(IMPORTER_DIR) && PATH=$(BIN):$$PATH GALAXY_IMPORTER_RUN_FLAKE8=true $(BIN)/python -m galaxy_importer.main tencentcloud-lighthouse-*.tar.gz \
	  | tee importer.log
	@if grep -E '^(WARNING|ERROR)' $(IMPORTER_DIR)/importer.log; then echo 'galaxy-importer reported the lines above' >&2; exit 1; fi

# The install guide (README.md) and the quick start of docs/testing.md, run as written by a user with a fresh home
# and a fresh virtualenv (tests/installed): built, installed, the demo and a playbook over the inventory plugin.
installed: collection
	cd $(COLLECTION) && $(BIN)/pytest -q -p no:cacheprovider tests/installed

# The role's scenarios (extensions/molecule); each starts an emulator whose instances are real SSH hosts on loopback.
# Three lanes run side by side: the scenarios mostly wait on SSH and the emulator (two lanes kept about one core
# busy in all). "concurrent" measures how long instances are down and "contention" races two runs, so they run alone
# after them. CONTENTION_ROUNDS sets contention's rounds per host order (default 3).
# SCENARIOS narrows the run to the scenarios named, one after another.
MOLECULE_LANES := composed,check,batches,offpath resume,health,guarded,generations failure,limit,fleet,waves
MOLECULE_ALONE := concurrent,contention
molecule: collection
	@cd $(COLLECTION) && export PATH=$(BIN):$$PATH && logs=tests/output/molecule && mkdir -p $$logs && \
	run() { for scenario in $${1//,/ }; do \
	  molecule --base-config extensions/molecule/config.yml test -s $$scenario > $$logs/$$scenario.log 2>&1 \
	    && echo "molecule $$scenario: passed" || { echo "molecule $$scenario: FAILED" > $$logs/$$scenario.failed; return 1; }; \
	done; }; \
	if [ -n "$(SCENARIOS)" ]; then run "$(SCENARIOS)"; exit; fi; \
	pids=; for lane in $(MOLECULE_LANES); do run $$lane & pids="$$pids $$!"; done; \
	for pid in $$pids; do wait $$pid || true; done; \
	[ -n "$$(ls $$logs/*.failed 2>/dev/null)" ] || run $(MOLECULE_ALONE) || true; \
	for log in $$logs/*.log; do echo "===== $$log"; cat $$log; done; \
	if ls $$logs/*.failed >/dev/null 2>&1; then cat $$logs/*.failed; exit 1; fi

# AWX's side (tests/awx): the tarball as built after a test run, docs/awx against AWX's rules, and the rollback run
# through ansible-runner from a private data directory laid out as AWX lays it out, against an emulated fleet.
awx-runner: collection
	cd $(COLLECTION) && PATH=$(BIN):$$PATH $(BIN)/pytest -q -p no:cacheprovider tests/awx

# The documentation as Ansible's docsite renders it: plugin and role docs, and docs/docsite's extra docs (rstcheck
# included), checked by antsibull-docs in a virtualenv of its own.
DOCS_VENV := $(CURDIR)/.venv-docs
$(DOCS_VENV)/bin/.installed: requirements-docs.txt
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet -r requirements-docs.txt
	touch $@

docs-lint: collection $(DOCS_VENV)/bin/.installed
	cd $(COLLECTION) && PATH=$(DOCS_VENV)/bin:$$PATH $(DOCS_VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .

# The oldest ansible-core the collection supports (requires_ansible in meta/runtime.yml), in a virtualenv of its own:
# units, the rollback, power and info integration targets (info checks the one action plugin of meta/runtime.yml) and one
# molecule scenario, on the build tree `make test` uses.
COMPAT_VENV := $(CURDIR)/.venv-compat
COMPAT_BIN := $(COMPAT_VENV)/bin
COMPAT_TARGETS ?= lighthouse_snapshot_apply lighthouse_instance_power lighthouse_instance_info
# COMPAT_SCENARIO= (empty) leaves the scenario out.
COMPAT_SCENARIO ?= fleet

$(COMPAT_BIN)/.installed: requirements-compat.txt
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_BIN)/pip install --quiet -r requirements-compat.txt
	$(COMPAT_BIN)/python tests/utils/seed_ansible_test_cache.py
	touch $@

compat: collection $(COMPAT_BIN)/.installed
	cd $(COLLECTION) && $(COMPAT_BIN)/ansible-test units --venv --python 3.11 --color no --requirements
	$(call run_integration,$(COMPAT_BIN),$(COMPAT_TARGETS))
	@# A molecule cache of its own: scenarios of the same name may be running from the main virtualenv.
	$(if $(COMPAT_SCENARIO),cd $(COLLECTION) && PATH=$(COMPAT_BIN):$$PATH XDG_CACHE_HOME=$(COLLECTION)/tests/output/compat-cache \
	  $(COMPAT_BIN)/molecule --base-config extensions/molecule/config.yml test -s $(COMPAT_SCENARIO))

demo: collection
	PATH=$(BIN):$$PATH $(BIN)/python tests/utils/demo.py

# Prints figures and never fails on speed; not part of `make test`. BENCH_ARGS are bench.py's options.
bench: collection $(TCCLI_VENV)/bin/.installed
	cd $(COLLECTION) && TCCLI=$(TCCLI_VENV)/bin/tccli $(BIN)/python tests/benchmarks/bench.py $(BENCH_ARGS)

test: sanity units emulator-tests integration lint docs-lint importer installed molecule awx-runner

clean:
	rm -rf $(BUILD_ROOT) tests/output
