"""The checks cdktf makes per stack, made once per synth on the output (rayfort.synth.framework_problems).

The app skips cdktf's own per-stack validation, which starts a ``terraform version`` process for each
stack; these prove the checks it replaces still refuse what cdktf's would.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from rayfort.synth import TERRAFORM_BINARY_ENV, LocalTerraform, framework_problems


def _stack(**blocks) -> dict:
    return {"provider": {"google": [{}]}, "resource": {"terraform_data": {"record": {}}}, **blocks}


def _terraform(tmp_path: Path, version: str) -> str:
    script = tmp_path / "terraform"
    script.write_text(f"#!/bin/sh\necho 'Terraform v{version}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_a_resource_whose_provider_the_stack_does_not_configure_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(TERRAFORM_BINARY_ENV, _terraform(tmp_path, "1.11.4"))
    stack = _stack(resource={"google_compute_network": {"n": {}}, "kubernetes_manifest": {"m": {}}})
    stack["data"] = {"helm_template": {"t": {"provider": "${helm.other}"}}, "terraform_remote_state": {"r": {}}}
    assert framework_problems({"ok": _stack(), "gke": stack}) == [
        "stack gke: resources without a provider block, add one to the stack: helm, kubernetes"
    ]


@pytest.mark.parametrize(
    ("blocks", "version", "refused"),
    [
        ({}, "1.4.0", False),  # terraform_data needs 1.4
        ({}, "1.3.9", True),
        ({"moved": [{"from": "a", "to": "b"}]}, "1.4.6", True),  # moved blocks need 1.5
        ({"resource": {}, "terraform": {"cloud": {}}}, "1.1.0", False),  # the cloud block needs 1.1
    ],
)
def test_the_local_terraform_must_run_the_stacks_blocks(monkeypatch, tmp_path, blocks, version, refused):
    monkeypatch.setenv(TERRAFORM_BINARY_ENV, _terraform(tmp_path, version))
    problems = framework_problems({"gke": _stack(**blocks)})
    assert bool(problems) is refused
    if refused:
        assert f"is {version}: upgrade it" in problems[0]


def test_no_terraform_is_refused_with_what_failed(monkeypatch, tmp_path):
    monkeypatch.setenv(TERRAFORM_BINARY_ENV, str(tmp_path / "missing"))
    (problem,) = framework_problems({"gke": _stack()})
    assert problem.startswith("the stacks need Terraform 1.4.0 or newer, and ") and "missing version` failed" in problem


def test_a_given_terraform_is_judged_without_asking_again(monkeypatch, tmp_path):
    monkeypatch.setenv(TERRAFORM_BINARY_ENV, str(tmp_path / "missing"))
    old = LocalTerraform("terraform", (1, 3, 9))
    assert framework_problems({"gke": _stack()}, old) == [
        "the stacks need Terraform 1.4.0 or newer; terraform is 1.3.9: upgrade it"
    ]
    assert framework_problems({"gke": _stack()}, LocalTerraform("terraform", (1, 11, 4))) == []


def test_the_synth_asks_terraform_before_it_builds_the_app(monkeypatch, tmp_path):
    """Asked after, ``terraform version`` ran beside the finished app: the synth's peak memory grew by its size."""
    from rayfort import synth
    from rayfort.config import Environment
    from tests.config.test_models import MINIMAL

    calls: list[str] = []
    monkeypatch.setattr(synth, "local_terraform", lambda: calls.append("terraform") or LocalTerraform("t", (1, 11, 4)))

    def build(env, outdir):
        calls.append("build")
        from stacks import build_app

        return build_app(env, outdir=outdir)

    synth.synthesize(Environment.model_validate(MINIMAL), tmp_path / "cdktf.out", build)
    assert calls == ["terraform", "build"]
