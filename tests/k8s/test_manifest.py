"""KubernetesObject: a stack's objects are written by one element, at the addresses they would have on their own."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsii._kernel.providers import process

from rayfort import synth_workers
from rayfort._cdk import FRAMEWORK, App, Construct, TerraformStack, Token
from rayfort._providers import google
from rayfort.k8s.manifest import HOLDER_ID, KubernetesObject, unique_id
from rayfort.synth_workers import synthesize_app


def _config_map(name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "team-a"}, "data": data}


def _synth(tmp_path: Path, make) -> dict[str, dict[str, Any]]:
    app = App(outdir=str(tmp_path), skip_validation=True)
    make(app)
    app.synth()
    return {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "stacks").glob("*/cdk.tf.json")}


def _without_override_lists(stack: dict[str, Any]) -> dict[str, Any]:
    # The framework lists the attributes an element was given as overrides; the holder gives none.
    stack["//"]["metadata"].pop("overrides", None)
    return stack


@pytest.mark.parametrize(
    "path",
    [
        ("quota",),
        ("identity", "ksa-ray-head", "object"),
        ("a", "Default", "object"),
        ("team", "Resource", "object"),
        ("network-policy", "policy", "object"),  # "policy" ends the component before it: left out of the name
        ("ns", "weird.name:1", "object"),
        ("x" * 250, "object"),
    ],
)
def test_logical_ids_are_the_frameworks(tmp_path: Path, path: tuple[str, ...]) -> None:
    app = App(outdir=str(tmp_path), skip_validation=True)
    scope: Construct = TerraformStack(app, "s")
    for component in path[:-1]:
        scope = Construct(scope, component)
    element = google.ServiceAccount(scope, path[-1], account_id="a")
    assert unique_id(path) == element.friendly_unique_id


def _objects(app: App, *, own_elements: bool) -> None:
    """Objects in nested scopes, depending on objects and on an element; with ``own_elements`` each is its own."""
    stack = TerraformStack(app, "k")
    account = google.ServiceAccount(stack, "account", account_id="a")
    team = Construct(stack, "team")
    first = KubernetesObject(team, "first", _config_map("first", {"email": account.email}))
    second = KubernetesObject(Construct(team, "inner"), "second", _config_map("second"), depends_on=[first, account])
    third = KubernetesObject(stack, "third", _config_map("third", {"empty": {}}), depends_on=[second])
    if own_elements:
        for obj in (first, second, third):
            obj.manifest  # noqa: B018 (asking for the element makes it)


def test_the_holder_writes_what_elements_of_their_own_would(tmp_path: Path) -> None:
    held = _synth(tmp_path / "held", lambda app: _objects(app, own_elements=False))["k"]
    own = _synth(tmp_path / "own", lambda app: _objects(app, own_elements=True))["k"]
    assert _without_override_lists(held) == _without_override_lists(own)
    blocks = held["resource"]["kubernetes_manifest"]
    first, second, third = "team_first_object_B4B4AF07", "team_inner_second_object_62CC6E82", "third_object_4686B624"
    assert sorted(blocks) == [first, second, third]
    assert blocks[second]["depends_on"] == [f"kubernetes_manifest.{first}", "google_service_account.account"]
    assert blocks[second]["//"]["metadata"]["path"] == "k/team/inner/second/object"
    assert blocks[first]["manifest"]["data"]["email"] == "${google_service_account.account.email}"
    assert blocks[third]["manifest"]["data"]["empty"] == {}
    assert blocks[third]["field_manager"] == {"force_conflicts": False, "name": "rayfort"}


def test_an_object_referred_to_is_written_once(tmp_path: Path) -> None:
    def make(app: App) -> None:
        stack = TerraformStack(app, "k")
        namespace = KubernetesObject(stack, "namespace", _config_map("ns"))
        KubernetesObject(stack, "quota", _config_map("q", {"namespace": namespace.name}))

    stack = _synth(tmp_path, make)["k"]
    blocks = stack["resource"]["kubernetes_manifest"]
    assert sorted(blocks) == ["namespace_object_71CB9A2D", "quota_object_47681D12"]
    assert blocks["quota_object_47681D12"]["manifest"]["data"]["namespace"] == (
        "${kubernetes_manifest.namespace_object_71CB9A2D.manifest.metadata.name}"
    )


def test_name_in_stack_is_the_reference_the_framework_writes_for_name(tmp_path: Path) -> None:
    def make(app: App) -> None:
        stack = TerraformStack(app, "k")
        namespace = KubernetesObject(stack, "namespace", _config_map("ns"))
        KubernetesObject(stack, "spelled", _config_map("s", {"namespace": namespace.name_in_stack}))
        KubernetesObject(stack, "resolved", _config_map("r", {"namespace": namespace.name}))

    blocks = _synth(tmp_path, make)["k"]["resource"]["kubernetes_manifest"]
    spelled, resolved = (
        blocks[i]["manifest"]["data"]["namespace"] for i in sorted(blocks) if i != "namespace_object_71CB9A2D"
    )
    assert resolved == spelled == "${kubernetes_manifest.namespace_object_71CB9A2D.manifest.metadata.name}"


def test_a_reference_across_stacks_goes_through_remote_state(tmp_path: Path) -> None:
    """The holder is an element, so the framework finds the references in its blocks when it prepares."""

    def make(app: App) -> None:
        platform = TerraformStack(app, "platform")
        account = google.ServiceAccount(platform, "account", account_id="a")
        namespace = KubernetesObject(platform, "namespace", _config_map("ns"))
        tenant = TerraformStack(app, "tenant")
        KubernetesObject(tenant, "config", _config_map("c", {"email": account.email, "namespace": namespace.name}))

    stacks = _synth(tmp_path, make)
    data = stacks["tenant"]["resource"]["kubernetes_manifest"]["config_object_67A8A47D"]["manifest"]["data"]
    assert data["email"].startswith("${data.terraform_remote_state.cross-stack-reference-input-platform.outputs.")
    assert data["namespace"].startswith("${data.terraform_remote_state.cross-stack-reference-input-platform.outputs.")
    assert len(stacks["platform"]["output"]) == 2


def test_one_id_twice_in_a_scope_is_refused(tmp_path: Path) -> None:
    stack = TerraformStack(App(outdir=str(tmp_path)), "k")
    KubernetesObject(stack, "quota", _config_map("a"))
    with pytest.raises(ValueError, match="There is already a Construct with name 'quota'"):
        KubernetesObject(stack, "quota", _config_map("b"))


def test_depends_on_names_only_its_own_stack(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    elsewhere = KubernetesObject(TerraformStack(app, "a"), "namespace", _config_map("ns"))
    with pytest.raises(ValueError, match="a/namespace/object is in another stack"):
        KubernetesObject(TerraformStack(app, "b"), "quota", _config_map("q"), depends_on=[elsewhere])


def test_the_holder_has_no_address_and_nothing_else_in_the_stack(tmp_path: Path) -> None:
    def make(app: App) -> None:
        KubernetesObject(TerraformStack(app, "k"), "quota", _config_map("q"))

    stack = _synth(tmp_path, make)["k"]
    assert set(stack) == {"//", "resource", "terraform"}
    assert HOLDER_ID not in json.dumps(stack)


def test_objects_cost_round_trips_per_stack_not_per_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty objects in one scope: none crosses to the jsii runtime as it is made, and the stack's blocks cross
    once in the synth, as one string of JSON."""
    sent: Counter[str] = Counter()
    send = process._NodeProcess.send

    def counting(self, request, response_type):
        sent[type(request).__name__] += 1
        return send(self, request, response_type)

    app = App(outdir=str(tmp_path))
    scope = Construct(TerraformStack(app, "k"), "policies")
    monkeypatch.setattr(process._NodeProcess, "send", counting)
    for index in range(40):
        KubernetesObject(scope, f"policy-{index}", _config_map(f"p{index}", {"index": str(index)}))
    created = sum(sent.values())
    sent.clear()
    app.synth()
    monkeypatch.undo()
    assert created <= 6  # where the scope is, and the stack's holder
    # The framework asks the holder twice and resolves its blocks twice, preparing (no block holds a token, so
    # nothing crosses) and writing: the blocks cross once.
    assert sent["_CompleteRequest"] == 4, sent
    assert sent["StaticInvokeRequest"] == 1, sent
    assert sum(sent.values()) <= 12, sent


def test_a_block_that_is_not_plain_data_crosses_on_its_own(tmp_path: Path) -> None:
    def make(app: App) -> None:
        stack = TerraformStack(app, "k")
        KubernetesObject(stack, "plain", _config_map("plain", {"key": "value"}))
        KubernetesObject(stack, "null", _config_map("null", {"key": None}))
        KubernetesObject(stack, "token", _config_map("token", {"key": Token.as_any("resolvable")}))

    blocks = _synth(tmp_path, make)["k"]["resource"]["kubernetes_manifest"]
    # sorted ids: null, plain, token; the kernel drops a null, as it always has
    assert [blocks[i]["manifest"]["data"] for i in sorted(blocks)] == [{}, {"key": "value"}, {"key": "resolvable"}]


def _mixed(app: App) -> App:
    platform = TerraformStack(app, "platform")
    account = google.ServiceAccount(platform, "account", account_id="a")
    stack = TerraformStack(app, "k")
    namespace = KubernetesObject(stack, "namespace", _config_map("ns"))  # a null: the framework writes it
    numbers = {"ratio": 0.000001, "big": 2**60, "whole": 3.0}
    KubernetesObject(stack, "plain", _config_map("p", {"namespace": namespace.name_in_stack, **numbers}))
    KubernetesObject(stack, "remote", _config_map("r", {"email": account.email}))  # a token, from another stack
    KubernetesObject(stack, "null", _config_map("n"))  # not plain data: a null
    KubernetesObject(Construct(stack, "team"), "nested", _config_map("x", {"a": "b"}), depends_on=[namespace])
    KubernetesObject(platform, "alone", _config_map("alone", {}))
    return app


def test_objects_left_out_of_the_synth_and_written_after_it_are_the_framework_s_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rayfort's synth writes plain objects itself (``synthesize_app``): the same files as the framework writes."""
    written: dict[str, list[str]] = {}
    add_blocks = synth_workers.add_blocks

    def recording(outdir, blocks, framework):
        written.update({stack: sorted(by_type["kubernetes_manifest"]) for stack, by_type in blocks.items()})
        add_blocks(outdir, blocks, framework)

    monkeypatch.setattr(synth_workers, "add_blocks", recording)
    framework = _mixed(App(outdir=str(tmp_path / "framework"), skip_validation=True))
    framework.synth()
    apps: list[App] = []
    synthesize_app(
        lambda: apps.append(_mixed(App(outdir=str(tmp_path / "ours"), skip_validation=True))) or apps[0],
        tmp_path / "ours",
        FRAMEWORK,
    )
    files = sorted(p.relative_to(tmp_path / "framework") for p in (tmp_path / "framework").rglob("*") if p.is_file())
    assert len(files) == 3
    for name in files:
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "framework" / name).read_bytes(), name
    apps[0].synth()  # once more, by the framework alone: it writes every block again
    for name in files:
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "framework" / name).read_bytes(), name
    ours = json.loads((tmp_path / "ours" / "stacks" / "k" / "cdk.tf.json").read_text())
    assert len(ours["resource"]["kubernetes_manifest"]) == 5
    # Written by rayfort: the plain blocks without a token; those with a token or a null went through the framework.
    assert written == {
        "k": ["plain_object_710B129C", "team_nested_object_4BFB5200"],
        "platform": ["alone_object_B76069ED"],
    }
