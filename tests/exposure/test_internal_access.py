"""Internal access: client and dashboard ports only, internal only, from the listed ranges only."""

from __future__ import annotations

import copy

import pytest

from rayfort.exposure.internal_access import GLOBAL_ACCESS, STATIC_ADDRESSES, internal_service
from rayfort.exposure.load_balancer_rules import (
    LOAD_BALANCER_TYPE,
    exposed_ports,
    is_internal_load_balancer,
    load_balancer_problems,
)
from rayfort_tools.judges.k8s_schema import validate_manifest
from tests.conftest import resources
from tests.exposure.conftest import of_kind, tenant_stack

SELECTOR = {"ray.io/cluster": "team-a", "ray.io/node-type": "head"}


def _service(**kwargs) -> dict:
    return internal_service("team-a-head-internal", "team-a", SELECTOR, ["10.200.0.0/24"], **kwargs)


def test_the_service_is_internal_and_exposes_client_and_dashboard_only() -> None:
    service = _service()
    assert is_internal_load_balancer(service)
    assert exposed_ports(service) == {10001, 8265}
    assert service["spec"]["loadBalancerSourceRanges"] == ["10.200.0.0/24"]
    assert service["spec"]["selector"] == SELECTOR
    assert load_balancer_problems(service) == []
    assert validate_manifest(service) == []


def test_global_access_and_static_address_are_annotations() -> None:
    service = _service(global_access=True, address_name="rayfort-dev-team-a-ray")
    annotations = service["metadata"]["annotations"]
    assert annotations[GLOBAL_ACCESS] == "true"
    assert annotations[STATIC_ADDRESSES] == "rayfort-dev-team-a-ray"
    assert GLOBAL_ACCESS not in _service()["metadata"]["annotations"]
    assert validate_manifest(service) == []


def test_it_is_not_the_operator_managed_head_service() -> None:
    assert _service()["metadata"]["name"] != "team-a-head-svc"


@pytest.mark.parametrize("port", [6379, "6379"])
def test_a_service_exposing_gcs_is_refused(port) -> None:
    service = _service()
    service["spec"]["ports"].append({"name": "gcs", "port": port, "targetPort": 6379})
    assert 6379 in exposed_ports(service)
    assert any("6379" in problem for problem in load_balancer_problems(service))


def test_gcs_as_target_port_alone_is_refused() -> None:
    service = _service()
    service["spec"]["ports"][0]["targetPort"] = 6379
    assert any("6379" in problem for problem in load_balancer_problems(service))


@pytest.mark.parametrize("annotation", [None, "External", "internal"])
def test_a_load_balancer_without_the_internal_annotation_is_refused(annotation) -> None:
    service = copy.deepcopy(_service())
    if annotation is None:
        del service["metadata"]["annotations"][LOAD_BALANCER_TYPE]
    else:
        service["metadata"]["annotations"][LOAD_BALANCER_TYPE] = annotation
    assert not is_internal_load_balancer(service)
    assert any("Internal" in problem for problem in load_balancer_problems(service))


def test_cluster_ip_services_are_not_load_balancers() -> None:
    service = _service()
    service["spec"]["type"] = "ClusterIP"
    assert load_balancer_problems(service) == []
    assert not is_internal_load_balancer(service)


def test_every_synthesized_load_balancer_passes_the_rules(published_stacks) -> None:
    seen = 0
    for name, stack in published_stacks.items():
        for service in of_kind(stack, "Service"):
            assert load_balancer_problems(service) == [], name
            seen += service["spec"]["type"] == "LoadBalancer"
    assert seen >= 4


def test_static_address_is_internal_in_the_node_subnet(all_stacks) -> None:
    stack = tenant_stack(all_stacks, "prod", "fraud-scoring")
    (address,) = resources(stack, "google_compute_address")
    assert address["address_type"] == "INTERNAL"
    assert address["subnetwork"].startswith("${data.terraform_remote_state.cross-stack-reference-input-network")
    (service,) = [s for s in of_kind(stack, "Service") if s["spec"]["type"] == "LoadBalancer"]
    assert service["metadata"]["annotations"][STATIC_ADDRESSES].startswith("${google_compute_address.")
    assert "internal-address" in stack["output"]


def test_airgapped_keeps_internal_access_and_publishes_nothing_else(all_stacks, exposure_stacks) -> None:
    # No tenant is published through IAP: no edge at all, only the tenants' internal load balancers.
    assert set(exposure_stacks["airgapped"]["resource"]) == {"terraform_data"}  # the deploy record
    services = [
        s
        for name, stack in all_stacks["airgapped"].items()
        if name.startswith("tenant-")
        for s in of_kind(stack, "Service")
        if s["spec"]["type"] == "LoadBalancer"
    ]
    assert services and all(is_internal_load_balancer(s) for s in services)


def _with_crafted_service(mutate):
    """A build that adds one more internal Service to a tenant stack, altered by ``mutate``."""
    from rayfort.k8s.manifest import KubernetesObject
    from stacks import build_app

    def build(env, outdir):
        app = build_app(env, outdir)
        service = _service()
        service["metadata"]["name"] = "crafted"
        mutate(service)
        tenant = next(child for child in app.node.children if child.node.id.startswith("tenant-"))
        KubernetesObject(tenant, "crafted", service)
        return app

    return build


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["metadata"]["annotations"].pop(LOAD_BALANCER_TYPE),
        lambda s: s["spec"]["ports"].append({"name": "gcs", "port": 6379, "targetPort": 6379}),
    ],
    ids=["public", "gcs"],
)
def test_synth_refuses_a_public_or_gcs_load_balancer(tmp_path, mutate) -> None:
    from rayfort.synth import SynthRefused
    from tests.app import synthesize
    from tests.exposure.conftest import exposure_environment

    with pytest.raises(SynthRefused):
        synthesize(exposure_environment("airgapped"), tmp_path / "cdktf.out", build=_with_crafted_service(mutate))
    assert not (tmp_path / "cdktf.out").exists()
