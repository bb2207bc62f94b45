"""The installable library stands alone: its wheel, installed outside the repository, builds stacks by itself.

A platform team composes rayfort's stacks in its own app, with its own
settings and references, from ``pip install rayfort``. The wheel is built from
``constructs/`` and installed into a scratch venv in a temporary directory whose
other packages (the framework, the providers, pydantic) come from this venv's
site-packages through a path file: no download, no rebuild, and neither the
repository, its editable installs nor the tools are on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from rayfort._cdk import FRAMEWORK, FRAMEWORK_ENV
from tests.conftest import ROOT

LIBRARY = ROOT / "constructs"

APP = textwrap.dedent(
    """
    \"\"\"A platform team's app: one gke stack and one tenant stack, with its own settings and references.\"\"\"

    import sys

    from {framework} import App

    import rayfort
    from rayfort.config.cluster import ClusterSettings, CreatedKeys, NodePool
    from rayfort.config.environment import ResourceLabels
    from rayfort.config.tenant import TenantGroups, TenantSettings
    from rayfort.stacks import (
        GkeStack,
        GkeStackProps,
        NetworkRefs,
        OperatorRefs,
        Platform,
        TenantStack,
        use_lazy_provider_import,
    )

    use_lazy_provider_import()
    app = App(outdir=sys.argv[1])
    platform = Platform(
        project_id="bank-ml-prod",
        region="europe-west4",
        environment="ml",
        labels=ResourceLabels(team="ml-platform", cost_center="cc-42"),
    )
    # The bank's network is managed elsewhere: its ids are plain values here.
    network = NetworkRefs(
        network_id="projects/bank-net/global/networks/ml",
        subnet_id="projects/bank-net/regions/europe-west4/subnetworks/ml-nodes",
        subnet_cidr="10.20.0.0/20",
        pods_range_name="ml-pods",
        services_range_name="ml-services",
        control_plane_cidr="172.16.8.0/28",
        google_apis_cidr="199.36.153.8/30",
        private_services_cidr="10.30.0.0/20",
        private_services_range="ml-private-services",
    )
    gke = GkeStack(
        app,
        "ml-gke",
        platform,
        GkeStackProps(
            settings=ClusterSettings(
                name="ml", node_pools=[NodePool(name="cpu", machine_type="n2d-standard-8", max_nodes=6)]
            ),
            zones=("europe-west4-b",),
            admitted_images=("europe-west4-docker.pkg.dev/bank-ml-prod/ray/*",),
        ),
        network,
    )
    TenantStack(
        app,
        "ml-tenant-risk",
        platform,
        TenantSettings(name="risk", cost_center="cc-42", groups=TenantGroups(developers=["risk-ml@bank.example"])),
        CreatedKeys(key_ring="ml", rotation_days=30),
        network,
        gke.refs,
        OperatorRefs(stack=None, namespace="kuberay-system", mirror=None),
    )
    app.synth()
    print(rayfort.__file__)
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rayfort's wheel, built from a copy of constructs/ (the build leaves nothing in the repository)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(LIBRARY, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--disable-pip-version-check", "-w", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = (work / "dist").glob("rayfort-*.whl")
    return built


def test_the_wheel_holds_the_library_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("rayfort-")}
    assert packages == {"rayfort"}
    assert {"rayfort/stacks/tenant.py", "rayfort/k8s/pod_security.py", "rayfort/_providers.pyi"} <= set(names)
    assert "rayfort/py.typed" in names, "type checkers of a user's app read the library's annotations"
    assert "rayfort/lifecycle/providers.lock.hcl" in names
    preloads = {"rayfort/_lazy_provider_modules.cjs", "rayfort/_no_token_creation_stacks.cjs", "rayfort/_json_data.cjs"}
    assert preloads <= set(names), "the jsii runtime's preloads ship with the library"
    leaked = [
        name
        for name in names
        if any(
            part in {"judges", "review", "tools", "rayfort_tools", "tests", "checkov_policies"}
            for part in name.split("/")
        )
    ]
    assert leaked == []
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requirements = [line.split(" ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in requirements if any(tool in r for tool in ("checkov", "jsonschema", "kubernetes-validate"))]


@pytest.mark.slow
def test_an_app_of_its_own_synthesizes_a_gke_and_a_tenant_stack_from_the_installed_wheel(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # This venv's packages without their editable installs: a path in a .pth file is added to sys.path,
    # but the .pth files inside it (rayfort's and the tools' editable finders) are not run.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
        + ["--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )
    app = tmp_path / "app" / "main.py"
    app.parent.mkdir()
    app.write_text(APP.format(framework=FRAMEWORK))
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RAYFORT_", "VIRTUAL_ENV"))}
    run = subprocess.run(
        [python, "-O", app, tmp_path / "cdktf.out"],
        cwd=app.parent,
        env={**environment, FRAMEWORK_ENV: FRAMEWORK},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert Path(run.stdout.strip().splitlines()[-1]).is_relative_to(site), "rayfort came from the installed wheel"
    tools = subprocess.run([python, "-c", "import rayfort_tools"], cwd=app.parent, env=environment, capture_output=True)
    assert tools.returncode != 0, "the tools are not installed with the library"

    out = tmp_path / "cdktf.out" / "stacks"
    assert sorted(p.name for p in out.iterdir()) == ["ml-gke", "ml-tenant-risk"]
    gke = json.loads((out / "ml-gke" / "cdk.tf.json").read_text())
    (cluster,) = gke["resource"]["google_container_cluster"].values()
    assert cluster["name"] == "ml"
    assert cluster["network"] == "projects/bank-net/global/networks/ml"
    (pool,) = gke["resource"]["google_container_node_pool"].values()
    assert pool["node_config"]["machine_type"] == "n2d-standard-8"
    assert pool["autoscaling"]["max_node_count"] == 6

    tenant = json.loads((out / "ml-tenant-risk" / "cdk.tf.json").read_text())
    (key,) = tenant["resource"]["google_kms_crypto_key"].values()
    assert key["rotation_period"] == f"{30 * 86400}s"
    namespaces = [
        m["manifest"]["metadata"]["name"]
        for m in tenant["resource"]["kubernetes_manifest"].values()
        if m["manifest"]["kind"] == "Namespace"
    ]
    assert namespaces == ["risk"]
    # The cluster's address reaches the tenant stack as a cross-stack reference, not a copied value.
    (remote,) = tenant["data"]["terraform_remote_state"].values()
    assert "ml-gke" in json.dumps(remote)
    assert tenant["provider"]["kubernetes"][0]["host"].startswith("https://${data.terraform_remote_state.")
