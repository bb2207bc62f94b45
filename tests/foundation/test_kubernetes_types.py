"""rayfort's kubernetes types synthesize exactly what the prebuilt provider classes do.

One exception under CDK Terrain: its prebuilt kubernetes provider names its source
``hashicorp/kubernetes``, cdktf's ``kubernetes``, the same provider address for
Terraform. rayfort writes ``kubernetes`` under both, so that switching frameworks
changes no kubernetes provider block.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from rayfort._cdk import FRAMEWORK, App, Fn, TerraformStack, Token
from rayfort._providers import kubernetes, use_lazy_provider_import

PREBUILT_SOURCE = {"cdktf": "kubernetes", "cdktn": "hashicorp/kubernetes"}


def _stack(outdir: Path, make) -> str:
    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "k")
    make(stack)
    app.synth()
    return (outdir / "stacks" / "k" / "cdk.tf.json").read_text()


def _objects(types):
    def make(stack):
        types.KubernetesProvider(
            stack,
            "kubernetes",
            host="https://10.0.0.2",
            token="${var.token}",
            cluster_ca_certificate="${base64decode(var.ca)}",
        )
        namespace = types.Manifest(
            stack,
            "namespace",
            manifest={
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "team-a", "labels": {"a.b/c": "d"}},
            },
            field_manager={"name": "rayfort", "force_conflicts": False},
        )
        types.Manifest(
            stack,
            "quota",
            manifest={
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "q", "namespace": Fn.lookup_nested(namespace.manifest, ["metadata", "name"])},
                "spec": {"hard": {"pods": "10"}},
            },
            depends_on=[namespace],
        )
        crds = types.Manifest(
            stack,
            "crds",
            manifest=Token.as_any_map("${each.value}"),
            field_manager={"name": "rayfort", "force_conflicts": False},
        )
        crds.add_override("for_each", "${var.crds}")
        types.DataKubernetesResource(
            stack,
            "crd",
            api_version="apiextensions.k8s.io/v1",
            kind="CustomResourceDefinition",
            metadata={"name": "rayclusters.ray.io"},
        )

    return make


def test_same_json_as_the_prebuilt_classes(tmp_path: Path) -> None:
    use_lazy_provider_import()  # as the synth entry does: load only these modules of the prebuilt package
    package = kubernetes.package  # the selected framework's prebuilt kubernetes provider

    class Prebuilt:
        DataKubernetesResource = importlib.import_module(f"{package}.data_kubernetes_resource").DataKubernetesResource
        Manifest = importlib.import_module(f"{package}.manifest").Manifest
        KubernetesProvider = importlib.import_module(f"{package}.provider").KubernetesProvider

    ours = _stack(tmp_path / "ours", _objects(kubernetes))
    theirs = _stack(tmp_path / "prebuilt", _objects(Prebuilt))
    prebuilt_source = f'"source": "{PREBUILT_SOURCE[FRAMEWORK]}"'
    assert prebuilt_source in theirs
    ours_json, theirs_json = json.loads(ours), json.loads(theirs.replace(prebuilt_source, '"source": "kubernetes"'))
    # Ours hand their attributes over as overrides, which the framework lists in the stack's metadata.
    assert ours_json["//"]["metadata"].pop("overrides") == {
        "kubernetes": ["cluster_ca_certificate", "host", "token"],
        "kubernetes_manifest": ["manifest", "field_manager", "manifest", "manifest", "field_manager", "for_each"],
        "kubernetes_resource": ["api_version", "kind", "metadata"],
    }
    assert theirs_json["//"]["metadata"].pop("overrides") == {"kubernetes_manifest": ["for_each"]}
    assert ours_json == theirs_json
    assert ours_json["terraform"]["required_providers"]["kubernetes"] == {"source": "kubernetes", "version": "2.38.0"}


def test_unknown_arguments_are_refused() -> None:
    app = App(outdir="/tmp/unused")
    with pytest.raises(TypeError, match="wait"):
        kubernetes.Manifest(TerraformStack(app, "k"), "m", manifest={}, wait={"rollout": True})
