"""bench/scale.py's helpers: the generated environments, the counting of edge objects and the stack diff.

The benchmark itself synthesizes hundreds of tenants (`make bench-scale`); these check, in a fraction of a
second, that what it counts and compares is right, so its figures can be trusted.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from rayfort.config import load_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scale():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def _dev() -> dict:
    return yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())


def test_half_of_the_generated_tenants_are_behind_iap_and_each_gets_the_waivers_of_its_template(scale, tmp_path):
    data = scale.generate(_dev(), 5)
    names = [t["name"] for t in data["tenants"]]
    assert names == ["team-000", "team-001", "team-002", "team-003", "team-004"]
    assert [scale._behind_iap(t) for t in data["tenants"]] == [True, False, True, False, True]
    shipped = next(w["resource"] for w in _dev()["waivers"] if "team-a" in w["resource"])
    waived = sorted(w["resource"] for w in data["waivers"] if "team-00" in w["resource"])
    assert waived == [shipped.replace("team-a", f"team-00{i}") for i in (0, 2, 4)]
    assert not any("team-a" in str(w) or "team-b" in str(w) for w in data["waivers"])
    path = tmp_path / "five.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert len(load_environment(path).tenants) == 5  # valid input: the bench measures synth, not a refusal


def test_the_edits_add_one_iap_tenant_or_one_worker_and_change_nothing_else(scale):
    base = scale.generate(_dev(), 4)
    added = scale.generate(_dev(), 4, added_iap=True)
    assert added["tenants"][:4] == base["tenants"]
    assert added["tenants"][4]["name"] == "team-004" and scale._behind_iap(added["tenants"][4])
    edited = scale.generate(_dev(), 4, workers_of=0)
    assert edited["tenants"][1:] == base["tenants"][1:]
    before, after = base["tenants"][0]["worker_groups"][0], edited["tenants"][0]["worker_groups"][0]
    assert after["max_replicas"] == before["max_replicas"] + 1


def test_a_list_entry_naming_a_shipped_tenant_follows_its_copies(scale):
    base = {
        "tenants": [{"name": "risk", "exposure": {"iap": {"enabled": True}}}, {"name": "fraud"}],
        "deployer": {"service_accounts": ["tfc-network@x", "tfc-tenant-risk@x", "tfc-tenant-fraud@x", "tfc-riskier@x"]},
    }
    data = scale.generate(base, 3)
    assert data["deployer"]["service_accounts"] == [
        "tfc-network@x",
        "tfc-tenant-team-000@x",
        "tfc-tenant-team-002@x",
        "tfc-tenant-team-001@x",
        "tfc-riskier@x",
    ]


def _manifest(kind: str, spec: dict | None = None, annotations: dict | None = None) -> dict:
    return {"manifest": {"kind": kind, "metadata": {"annotations": annotations or {}}, "spec": spec or {}}}


def test_edge_objects_count_declared_resources_and_what_gke_creates_for_kubernetes_objects(scale):
    stacks = {
        "exposure": {
            "resource": {
                "google_compute_url_map": {"a": {}},
                "google_compute_global_forwarding_rule": {"a": {}, "b": {}},
                "google_certificate_manager_certificate": {"a": {}, "b": {}, "c": {}},
                "google_compute_global_address": {"a": {}},
                "google_compute_address": {"internal": {"address_type": "INTERNAL"}},
                "kubernetes_manifest": {
                    "gateway": _manifest(
                        "Gateway", {"listeners": [{"port": 443}, {"port": 443}, {"port": 80}], "addresses": [{}]}
                    ),
                },
            }
        },
        "tenant-a": {
            "resource": {
                "kubernetes_manifest": {
                    "ingress": _manifest("Ingress", annotations={"kubernetes.io/ingress.allow-http": "false"}),
                    "internal": _manifest("Ingress", annotations={"kubernetes.io/ingress.class": "gce-internal"}),
                    "lb": _manifest("Service", {"type": "LoadBalancer"}),
                    "plain": _manifest("Service", {"type": "ClusterIP"}),
                    "cert": _manifest("ManagedCertificate"),
                }
            }
        },
    }
    edge = scale.edge_objects(stacks)
    assert edge.load_balancers == {
        "url map": 1,
        "Gateway": 1,
        "Ingress": 1,
        "internal Ingress": 1,
        "LoadBalancer Service": 1,
    }
    # The Gateway's two ports, one forwarding rule each; an HTTPS-only Ingress one, the internal Ingress two.
    assert edge.forwarding_rules == {"declared": 2, "Gateway": 2, "Ingress": 3, "LoadBalancer Service": 1}
    assert sum(edge.certificates.values()) == 4
    assert edge.static_ips == {"external": 1}


def test_stack_sizes_and_the_diff_of_two_synths(scale):
    sizes = scale.stack_sizes({"s": {"resource": {"a": {"x": {}, "y": {}}, "b": {"z": {}}}, "data": {"d": {"r": {}}}}})
    assert (sizes["s"].resources, sizes["s"].data) == (3, 1)
    before = scale.digests({"network": b"1", "tenant-a": b"2", "exposure": b"3"})
    after = scale.digests({"network": b"1", "tenant-a": b"2", "tenant-b": b"4", "exposure": b"5"})
    change = scale.compare(before, after)
    assert (change.changed, change.added, change.removed) == (("exposure",), ("tenant-b",), ())
    assert str(change) == "changed exposure; added tenant-b"
    assert str(scale.compare(before, before)) == "nothing"
