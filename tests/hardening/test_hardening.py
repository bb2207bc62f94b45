"""No security property lives only in a snapshot.

Every security-looking value in the synthesized dev, prod and air-gapped stacks
must be kept by a catalogue setting, a control that refuses its weakening, an
intent assertion or a named intent test (``tests/hardening/registry.py``); the
first test lists any that is not, and fails. The others check that each way of
keeping a value really keeps it.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rayfort.controls import CONTROLS, Setting
from rayfort.controls.compare import AddressSet, Allowlist
from rayfort.policy.rules import RULES
from rayfort_tools.review.diff import attribute_changes
from tests.hardening.registry import ANY, HARDENING, NOT_HARDENING, NOT_SECURITY, SECURITY, Hardening

ROOT = Path(__file__).resolve().parents[2]
RULE = {rule.id: rule for rule in RULES}

Leaf = tuple[str, str, Any]
"""(where: resource type or kubernetes_manifest:<Kind>, path, value)."""


def where(resource_type: str, body: dict) -> str:
    if resource_type != "kubernetes_manifest":
        return resource_type
    manifest = body.get("manifest")
    return f"kubernetes_manifest:{manifest.get('kind') if isinstance(manifest, dict) else 'reference'}"


def _is_env(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(e, dict) and "name" in e for e in value)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf; list items as ``[]``, a container's env as ``env.<NAME>``."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key not in ("//", "depends_on"):
                yield from leaves(child, f"{path}.{key}" if path else key)
        if not value:
            yield path, value
    elif _is_env(value) and path.endswith(".env"):
        for entry in value:
            yield from leaves({k: v for k, v in entry.items() if k != "name"}, f"{path}.{entry['name']}")
    elif isinstance(value, list):
        for child in value:
            yield from leaves(child, f"{path}[]")
        if not value:
            yield path, value
    else:
        yield path, value


def resources(synthesized: dict) -> Iterator[tuple[str, str, str, dict]]:
    """(environment/stack, resource type, where, body) of every synthesized resource."""
    for env, stacks in synthesized.items():
        for stack, tf_json in stacks.items():
            for resource_type, items in sorted(tf_json.get("resource", {}).items()):
                for body in items.values():
                    yield f"{env}/{stack}", resource_type, where(resource_type, body), body


def is_security(path: str) -> bool:
    return bool(SECURITY.search(path)) and not NOT_SECURITY.search(path)


def _matches(entry: Any, at: str, path: str) -> bool:
    """Whether an entry's patterns match; ``[]`` in a pattern is a list item, not a character class."""
    return fnmatch.fnmatchcase(at, entry.where) and fnmatch.fnmatchcase(path, entry.path.replace("[]", "[[][]]"))


def _setting_covers(setting: Setting, resource_type: str, body: dict, path: str) -> bool:
    """A catalogue setting ranks this attribute (the review reports a weaker value)."""
    if setting.resource_type not in (resource_type, "*") or any(p.startswith("(") for p in setting.path):
        return False
    if not setting.applies(body):
        return False
    plain = path.replace("[]", "")
    widening = isinstance(setting.compare, (AddressSet, Allowlist))
    return plain == setting.attribute or (widening and plain.startswith(setting.attribute + "."))


SETTINGS = [(control.id, setting) for control in CONTROLS for setting in control.settings]


def kept_by(resource_type: str, at: str, body: dict, path: str) -> list[str]:
    """What keeps one attribute from being weakened unnoticed."""
    found = [f"{cid} (setting)" for cid, s in SETTINGS if _setting_covers(s, resource_type, body, path)]
    found += [f"registry: {e.why}" for e in HARDENING if _matches(e, at, path)]
    found += [f"not hardening: {e.why}" for e in NOT_HARDENING if _matches(e, at, path)]
    return found


def snapshot_only(synthesized: dict) -> dict[tuple[str, str], Any]:
    """Security-looking attributes nothing but a snapshot keeps: {(where, path): an example value}."""
    found: dict[tuple[str, str], Any] = {}
    for _, resource_type, at, body in resources(synthesized):
        for path, value in leaves({k: v for k, v in body.items() if k != "//"}):
            if is_security(path) and (at, path) not in found and not kept_by(resource_type, at, body, path):
                found[(at, path)] = value
    return found


def test_no_hardening_value_is_kept_by_a_snapshot_alone(synthesized) -> None:
    found = snapshot_only(synthesized)
    listing = "\n".join(f"  {at}  {path} = {value!r}" for (at, path), value in sorted(found.items()))
    assert not found, (
        "hardening values only a snapshot pins (add an intent assertion or a control in tests/hardening/registry.py, "
        f"or say why it is not hardening):\n{listing}"
    )


def test_the_detector_finds_a_new_hardening_value(synthesized) -> None:
    """A value added without an intent assertion or a control is caught: the detector detects.

    One planted value on a resource (a node pool), one in a manifest's list (the shared Gateway's listener);
    neither is kept by anything yet (a sandbox pool's ``sandbox_type`` is: RF049 ranks it).
    """
    stacks = copy.deepcopy(synthesized["dev"])
    pool = next(iter(stacks["gke"]["resource"]["google_container_node_pool"].values()))
    pool["node_config"]["metadata"]["block-project-ssh-keys"] = "true"
    (gateway,) = [
        body["manifest"]
        for body in stacks["exposure"]["resource"]["kubernetes_manifest"].values()
        if body["manifest"]["kind"] == "Gateway"
    ]
    gateway["spec"]["listeners"][0]["tls"] = {"mode": "Terminate"}
    assert set(snapshot_only({"dev": stacks})) == {
        ("google_container_node_pool", "node_config.metadata.block-project-ssh-keys"),
        ("kubernetes_manifest:Gateway", "manifest.spec.listeners[].tls.mode"),
    }


def test_every_registry_entry_matches_something(synthesized) -> None:
    """A stale entry would hide a future value under an old name."""
    seen = [(at, path) for _, _, at, body in resources(synthesized) for path, _ in leaves(body)]
    for entry in (*HARDENING, *NOT_HARDENING):
        assert any(_matches(entry, at, path) for at, path in seen), f"matches nothing: {entry}"


# --- each way of keeping a value keeps it --------------------------------------------------------


def _values(synthesized: dict, entry: Hardening) -> Iterator[tuple[str, str, list[Any]]]:
    for env, _, at, body in resources(synthesized):
        found = [v for path, v in leaves(body) if _matches(entry, at, path)]
        if found:
            yield env, str(body.get("//", {}).get("metadata", {}).get("path")), found


@pytest.mark.parametrize("entry", [e for e in HARDENING if e.expect is not ANY], ids=lambda e: f"{e.where}:{e.path}")
def test_intent_every_shipped_environment_has_the_hardened_value(synthesized, entry: Hardening) -> None:
    checked = 0
    for env, path, values in _values(synthesized, entry):
        checked += 1
        ok = entry.expect(values) if callable(entry.expect) else all(v == entry.expect for v in values)
        if not ok and isinstance(entry.expect, list):
            ok = values == entry.expect
        assert ok, f"{env} {path}: {entry.path} is {values}, expected {entry.expect!r} ({entry.why})"
    assert checked


def _weakened(body: dict, entry: Hardening, at: str) -> dict:
    weak = copy.deepcopy(body)

    def rewrite(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            if not value and _matches(entry, at, path):
                return entry.weaker
            return {k: (v if k == "//" else rewrite(v, f"{path}.{k}" if path else k)) for k, v in value.items()}
        if _is_env(value) and path.endswith(".env"):
            return [
                {"name": e["name"], **rewrite({k: v for k, v in e.items() if k != "name"}, f"{path}.{e['name']}")}
                for e in value
            ]
        if isinstance(value, list):
            return [rewrite(child, f"{path}[]") for child in value]
        return entry.weaker if _matches(entry, at, path) else value

    return rewrite(weak, "")


@pytest.mark.parametrize("entry", [e for e in HARDENING if e.control], ids=lambda e: f"{e.control}:{e.where}:{e.path}")
def test_the_control_named_catches_the_weakened_value(synthesized, entry: Hardening) -> None:
    rule = RULE.get(entry.control or "")
    checked = 0
    for env, resource_type, at, body in resources(synthesized):
        attributes = {k: v for k, v in body.items() if k != "//"}
        if not any(_matches(entry, at, path) for path, _ in leaves(attributes)):
            continue
        weak = _weakened(attributes, entry, at)
        refused = rule is not None and rule.applies(weak) and any(True for _ in rule.check(weak, resource_type))
        changes = attribute_changes(resource_type, attributes, weak)
        reported = any(a.control == entry.control and a.weakens for a in changes)
        assert refused or reported, f"{env}: {entry.control} misses {entry.path} = {entry.weaker!r} on {at}"
        checked += 1
    assert checked


@pytest.mark.parametrize("entry", [e for e in HARDENING if e.tested_by], ids=lambda e: f"{e.where}:{e.path}")
def test_the_intent_test_named_exists_and_names_the_attribute(entry: Hardening) -> None:
    file, _, name = (entry.tested_by or "").partition("::")
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    (test,) = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
    source = ast.get_source_segment((ROOT / file).read_text(encoding="utf-8"), test) or ""
    words = [w for w in entry.path.replace("[]", "").replace("*", ".").split(".") if len(w) > 3]
    assert any(word in source for word in words) or entry.where.endswith(
        ("NetworkPolicy", "AdmissionPolicy", ":Role")
    ), f"{entry.tested_by} does not mention {entry.path}"


# --- intent: tenant network isolation -------------------------------------------------------------


def _network_policies(synthesized: dict) -> Iterator[tuple[str, dict]]:
    for env, _, at, body in resources(synthesized):
        if at == "kubernetes_manifest:NetworkPolicy":
            yield env, body["manifest"]


def _peers(policy: dict) -> Iterator[tuple[str, dict]]:
    spec = policy.get("spec") or {}
    for rule in spec.get("ingress") or []:
        for peer in rule.get("from") or []:
            yield "ingress", peer
    for rule in spec.get("egress") or []:
        for peer in rule.get("to") or []:
            yield "egress", peer


def _selects_everything(selector: Any) -> bool:
    return isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions")


def test_network_policies_never_open_a_tenant_to_every_namespace(synthesized) -> None:
    """``namespaceSelector: {}`` in a peer lets a pod in any namespace that copies a tenant's labels in."""
    checked = 0
    for env, policy in _network_policies(synthesized):
        name = f"{env} {policy['metadata']['name']}"
        for direction, peer in _peers(policy):
            checked += 1
            if "namespaceSelector" in peer:
                assert not _selects_everything(peer["namespaceSelector"]), f"{name}: {direction} from every namespace"
            if direction == "ingress" and "ipBlock" in peer:
                assert peer["ipBlock"]["cidr"] != "0.0.0.0/0", f"{name}: ingress from anywhere"
            assert peer, f"{name}: an empty {direction} peer admits everything"
        for rule in (policy.get("spec") or {}).get("ingress") or []:
            assert rule.get("from"), f"{name}: an ingress rule without peers admits every source"
    assert checked > 20


def test_every_tenant_namespace_denies_by_default(synthesized) -> None:
    """Each tenant stack's namespace gets a policy that selects every pod and allows nothing."""
    tenants: set[str] = set()
    denies: set[str] = set()
    for stack, _, at, body in resources(synthesized):
        manifest = body.get("manifest") if isinstance(body.get("manifest"), dict) else {}
        labels = (manifest.get("metadata") or {}).get("labels") or {}
        if at == "kubernetes_manifest:Namespace" and "rayfort.dev/tenant" in labels:
            tenants.add(stack)
        spec = manifest.get("spec") or {}
        if (
            at == "kubernetes_manifest:NetworkPolicy"
            and spec.get("podSelector") == {}
            and set(spec.get("policyTypes") or []) == {"Ingress", "Egress"}
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            denies.add(stack)
    assert tenants and tenants <= denies, sorted(tenants - denies)


# --- intent: tenant roles -----------------------------------------------------------------------------


def test_tenant_roles_grant_least_privilege(synthesized) -> None:
    """No wildcard, no verb that escalates, no exec into pods; a secret only by name, only read."""
    checked = 0
    for stack, _, at, body in resources(synthesized):
        if at != "kubernetes_manifest:Role":
            continue
        for rule in body["manifest"]["rules"]:
            checked += 1
            where_ = f"{stack} {body['manifest']['metadata']['name']}: {rule}"
            assert "*" not in {*rule["verbs"], *rule["resources"], *rule["apiGroups"]}, where_
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), where_
            assert not {"pods/exec", "pods/attach", "pods/portforward", "serviceaccounts/token"} & set(
                rule["resources"]
            )
            if "secrets" in rule["resources"]:
                assert rule.get("resourceNames") and set(rule["verbs"]) == {"get"}, where_
    assert checked


# --- intent: projected service account tokens ------------------------------------------------------------


def _projected_tokens(value: Any) -> Iterator[tuple[str, dict]]:
    """(volume name, serviceAccountToken source) of every projected volume in a manifest."""
    if isinstance(value, dict):
        if "name" in value and isinstance(value.get("projected"), dict):
            for source in value["projected"].get("sources") or []:
                if "serviceAccountToken" in source:
                    yield value["name"], source["serviceAccountToken"]
        for child in value.values():
            yield from _projected_tokens(child)
    elif isinstance(value, list):
        for child in value:
            yield from _projected_tokens(child)


TOKEN_SECONDS = {"ray-tls-api": 600, "autoscaler-api-access": 3600}
"""The only projected tokens rayfort mounts, and how long each may live."""


def test_projected_tokens_expire_in_ten_minutes_or_in_an_hour(synthesized) -> None:
    """A pod's init container requests its leaf with a token that expires in ten minutes (the shortest
    ``expirationSeconds`` Kubernetes gives); the head's autoscaler sidecar, which talks to the API server for
    the cluster's life, gets an hour, as automounting would, renewed by the kubelet. No other token is mounted.
    """
    seen: dict[str, set[int]] = {}
    for stack, _, at, body in resources(synthesized):
        if not at.startswith("kubernetes_manifest:"):
            continue
        for volume, token in _projected_tokens(body.get("manifest")):
            assert volume in TOKEN_SECONDS, f"{stack} {at}: an unexpected projected token in {volume}"
            seen.setdefault(volume, set()).add(token["expirationSeconds"])
    assert seen == {volume: {seconds} for volume, seconds in TOKEN_SECONDS.items()}
