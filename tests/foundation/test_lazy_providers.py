"""Lazy provider packages break nobody: after rayfort's synth entry, the prebuilt modules work the documented way.

Importing rayfort changes nothing; the synth entry switches lazy loading on.
From then on a provider package is a shell that imports a submodule when asked
for it, so ``<package>.compute_network``, ``from <package> import x`` and
``from <package>.x import X`` work for any code in the process, and only the
modules used are loaded. Each check runs in a fresh interpreter, since what a
process imported first decides what it gets.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rayfort._cdk import FRAMEWORK, FRAMEWORK_ENV
from rayfort._providers import ProviderNamespace, _install_shell, _submodules, provider_package
from tests.conftest import ROOT
from tests.foundation import provider_stubs

GOOGLE = provider_package("google")

DOCUMENTED_USE = """
import json, sys
import rayfort.stacks, rayfort.synth  # the whole library and its synth entry
before = {package!r} in sys.modules

from rayfort._providers import use_lazy_provider_import
use_lazy_provider_import()  # what rayfort.synth.synthesize does first

import {package}
from {package} import compute_firewall
from {package}.storage_bucket import StorageBucket
from rayfort._cdk import App, TerraformStack
from rayfort._providers import google

app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "s")
{package}.provider.GoogleProvider(stack, "google", project="p")
{package}.compute_network.ComputeNetwork(stack, "documented", name="documented")
compute_firewall.ComputeFirewall(stack, "imported", name="imported", network="n", deny=[{{"protocol": "all"}}])
StorageBucket(stack, "bucket", name="bucket", location="EU")
google.ComputeNetwork(stack, "rayfort", name="rayfort")
app.synth()

try:
    {package}.no_such_module
    missing = "no error"
except AttributeError as error:
    missing = str(error)
print(json.dumps({{
    "imported_by_library": before,
    "all": {package}.__all__,
    "in_dir": "compute_network" in dir({package}),
    "missing": missing,
    "loaded": sorted(name.split(".")[1] for name in sys.modules if name.startswith({package!r} + ".")),
}}))
"""


@pytest.fixture(scope="module")
def documented_use(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    outdir = tmp_path_factory.mktemp("lazy") / "cdktf.out"
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DOCUMENTED_USE.format(package=GOOGLE)), str(outdir)],
        cwd=ROOT,
        env={**os.environ, FRAMEWORK_ENV: FRAMEWORK},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report, json.loads((outdir / "stacks" / "s" / "cdk.tf.json").read_text())


def _real_all(package: str) -> list[str]:
    """The ``__all__`` the package's own ``__init__`` declares, read without running it."""
    init = Path(importlib.util.find_spec(package).origin)
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "__all__" for target in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{init} declares no __all__")


def test_importing_rayfort_leaves_provider_packages_alone(documented_use) -> None:
    report, _ = documented_use
    assert report["imported_by_library"] is False


def test_the_documented_ways_work_after_lazy_loading_is_on(documented_use) -> None:
    _, tf_json = documented_use
    assert tf_json["resource"]["google_compute_network"]["documented"]["name"] == "documented"
    assert tf_json["resource"]["google_compute_network"]["rayfort"]["name"] == "rayfort"
    assert tf_json["resource"]["google_compute_firewall"]["imported"]["deny"] == [{"protocol": "all"}]
    assert tf_json["resource"]["google_storage_bucket"]["bucket"]["location"] == "EU"
    assert tf_json["provider"]["google"] == [{"project": "p"}]


def test_the_shell_lists_and_refuses_like_the_package(documented_use) -> None:
    report, _ = documented_use
    assert report["all"] == _real_all(GOOGLE)
    assert report["in_dir"] is True
    assert report["missing"] == f"module '{GOOGLE}' has no attribute 'no_such_module'"


def test_only_the_modules_used_are_loaded(documented_use) -> None:
    report, _ = documented_use
    used = {"_jsii", "compute_firewall", "compute_network", "provider", "storage_bucket"}
    assert set(report["loaded"]) == used


def test_every_provider_package_lists_its_submodules_as_its_init_does() -> None:
    for provider in ("google", "helm", "kubernetes"):
        package = provider_package(provider)
        _install_shell(package)  # a no-op when the package is already imported
        assert _submodules(sys.modules[package].__path__) == _real_all(package)


def test_a_provider_registers_with_one_line() -> None:
    helm = ProviderNamespace("helm")
    assert helm.package == provider_package("helm")
    assert helm.HelmProvider.cls.__name__ == "HelmProvider"
    assert helm.Release.cls.__module__ == f"{helm.package}.release"


def test_the_editor_stubs_are_current() -> None:
    assert provider_stubs.main(["--check"]) == 0, "run `make stubs`"


def test_the_stubs_declare_the_module_s_public_names() -> None:
    from rayfort import _providers

    stub = ast.parse(provider_stubs.STUB.read_text())
    declared = {
        node.name if isinstance(node, (ast.ClassDef, ast.FunctionDef)) else node.target.id
        for node in stub.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) or isinstance(node, ast.AnnAssign)
    }
    assert set(_providers.__all__) <= declared
    assert {"ContainerCluster", "ContainerNodePool"} <= provider_stubs.used_classes()["google"]


# --- the JavaScript side: the jsii runtime loads a provider's modules when first used ---------------

WHICH_ENTRY = """
const loaded = [];
for (const name of process.argv.slice(1)) loaded.push(require(name).entry);
console.log(JSON.stringify(loaded));
"""


def _package(node_modules: Path, name: str, *, lazy: bool) -> None:
    lib = node_modules / name / "lib"
    lib.mkdir(parents=True)
    (node_modules / name / "package.json").write_text(json.dumps({"name": name, "main": "lib/index.js"}))
    (lib / "index.js").write_text('exports.entry = "index";\n')
    if lazy:
        (lib / "lazy-index.js").write_text('exports.entry = "lazy-index";\n')


def test_the_runtime_preload_loads_a_provider_package_through_its_lazy_index(tmp_path: Path) -> None:
    from rayfort._cdk import LAZY_PROVIDER_MODULES

    node_modules = tmp_path / "node_modules"
    packages = {
        "@cdktf/provider-google": True,  # a provider with a lazy index: redirected
        "@cdktn/provider-google": True,  # the same under CDK Terrain
        "@cdktf/provider-tiny": False,  # a provider without one: its usual entry point
        "@cdktf/not-a-provider": True,  # not a provider package: never redirected
        "provider-google": True,  # not in a provider scope
    }
    for name, lazy in packages.items():
        _package(node_modules, name, lazy=lazy)
    completed = subprocess.run(
        ["node", "--require", str(LAZY_PROVIDER_MODULES), "-e", WHICH_ENTRY, *packages],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(completed.stdout) == ["lazy-index", "lazy-index", "index", "index", "index"]


RUNTIME_ENVIRONMENT = """
import json, os, sys
from pathlib import Path

import rayfort._cdk  # starts the jsii runtime with the framework's import

def children(pid):
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

def node_options(pid):
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\\0")
    found = [e for e in environ if e.startswith(b"NODE_OPTIONS=")]
    return found[0].decode().split("=", 1)[1] if found else None

print(json.dumps({
    "runtime": [node_options(pid) for pid in children(os.getpid())],
    "after": os.environ.get("NODE_OPTIONS"),
}))
"""


@pytest.mark.parametrize("mode", ["lazy", "eager"])
def test_the_runtime_starts_with_the_preloads_and_the_process_keeps_its_node_options(mode: str) -> None:
    from rayfort._cdk import JSON_DATA, LAZY_PROVIDER_MODULES, NO_TOKEN_CREATION_STACKS, PROVIDER_IMPORT_ENV

    own = "--max-http-header-size=16384"
    completed = subprocess.run(
        [sys.executable, "-c", RUNTIME_ENVIRONMENT],
        cwd=ROOT,
        env={**os.environ, FRAMEWORK_ENV: FRAMEWORK, PROVIDER_IMPORT_ENV: mode, "NODE_OPTIONS": own},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    seen = json.loads(completed.stdout)
    assert seen["after"] == own, "nothing else the process starts inherits the preloads"
    lazy = [LAZY_PROVIDER_MODULES] if mode == "lazy" else []
    preloads = [JSON_DATA, *lazy] + (
        [NO_TOKEN_CREATION_STACKS] if FRAMEWORK == "cdktf" else []  # cdktn has a switch of its own
    )
    expected = " ".join([own, *(f'--require "{preload}"' for preload in preloads)])
    assert seen["runtime"] == [expected], "the jsii runtime is the process's one child"
