"""The cluster settings rayfort refuses, each with a message that says what is allowed."""

from __future__ import annotations

import pytest

from rayfort.config import Environment, cross_field_problems
from rayfort.config.checks.cluster import problems
from rayfort.config.derived import admitted_image_patterns
from tests.conftest import environment
from tests.gke.variants import CONFIDENTIAL_GPU_POOL, DEV, build, dev_with


def _problems(data: dict) -> list[tuple[tuple, str]]:
    return [(p.path, p.message) for p in problems(Environment.model_validate(data))]


@pytest.mark.parametrize("name", ["dev", "prod", "airgapped"])
def test_shipped_environments_break_no_cluster_rule(name: str) -> None:
    assert problems(environment(name)) == []


def test_a_gvisor_pool_beside_a_plain_pool_is_accepted() -> None:
    assert _problems(dev_with(node_pools=[{"name": "default"}, {"name": "untrusted", "sandbox": True}])) == []


def test_a_cluster_of_sandbox_pools_only_is_refused() -> None:
    """GKE keeps its system pods off sandbox pools, so it refuses a cluster without another pool."""
    [(path, message)] = _problems(dev_with(node_pools=[{"name": "untrusted", "sandbox": True}]))
    assert path == ("cluster", "node_pools")
    assert "untrusted: sandbox.gke.io/runtime=gvisor:NoSchedule" in message and "sandbox pools" in message


def test_confidential_gpu_pool_needs_the_h100_tdx_shape() -> None:
    l4 = {"name": "gpu", "machine_type": "g2-standard-8", "gpu": {"type": "nvidia-l4"}}
    [(path, message)] = _problems(dev_with(node_pools=[{"name": "cpu"}, l4]))
    assert path == ("cluster", "node_pools", 1, "confidential_instance_type")
    assert "a3-highgpu-1g" in message and "nvidia-h100-80gb" in message and "TDX" in message
    assert "confidential_instance_type: null" in message


@pytest.mark.parametrize(
    "change",
    [
        {"confidential_instance_type": "SEV"},
        {"gpu": {"type": "nvidia-h100-80gb", "count": 2}},
        {"machine_type": "a3-highgpu-2g"},
    ],
)
def test_confidential_gpu_pool_refuses_any_other_shape(change: dict) -> None:
    pool = {**CONFIDENTIAL_GPU_POOL, **change}
    [(path, _)] = _problems(dev_with(node_pools=[{"name": "cpu"}, pool]))
    assert path[-1] == "confidential_instance_type"


def test_confidential_gpu_pool_must_be_spot() -> None:
    pool = {**CONFIDENTIAL_GPU_POOL, "spot": False}
    [(path, message)] = _problems(dev_with(node_pools=[{"name": "cpu"}, pool]))
    assert path == ("cluster", "node_pools", 1, "spot")
    assert "spot: true" in message


def test_confidential_gpu_shape_is_accepted() -> None:
    build(dev_with(node_pools=[{"name": "cpu"}, CONFIDENTIAL_GPU_POOL]))


def test_a_non_confidential_gpu_pool_passes_config_and_is_left_to_the_waiver_rule() -> None:
    """confidential_instance_type: null is the documented way out; the waiver engine judges it."""
    l4 = {
        "name": "gpu",
        "machine_type": "g2-standard-8",
        "gpu": {"type": "nvidia-l4"},
        "confidential_instance_type": None,
    }
    build(dev_with(node_pools=[{"name": "cpu"}, l4]))


@pytest.mark.parametrize(
    ("tech", "machine", "allowed"),
    [
        ("SEV", "c3-standard-4", "n2d-*, c2d-*, c3d-*"),
        ("SEV_SNP", "c2d-standard-4", "n2d-*"),
        ("TDX", "n2d-standard-2", "c3-*"),
        ("TDX", "a3-highgpu-1g", "c3-*"),
    ],
)
def test_confidential_technology_must_match_the_machine_family(tech: str, machine: str, allowed: str) -> None:
    pool = {"name": "default", "machine_type": machine, "confidential_instance_type": tech}
    [(path, message)] = _problems(dev_with(node_pools=[pool]))
    assert path == ("cluster", "node_pools", 0, "machine_type")
    assert message.endswith(f"allowed machine families: {allowed}")


@pytest.mark.parametrize(
    ("tech", "machine"), [("SEV", "c2d-standard-4"), ("SEV_SNP", "n2d-standard-4"), ("TDX", "c3-standard-4")]
)
def test_supported_confidential_machines_pass(tech: str, machine: str) -> None:
    build(dev_with(node_pools=[{"name": "default", "machine_type": machine, "confidential_instance_type": tech}]))


def test_autopilot_refuses_node_pools() -> None:
    found = _problems(dev_with(mode="autopilot", node_pools=[{"name": "default"}]))
    assert found == [(("cluster", "node_pools"), found[0][1])]
    assert "not allowed in autopilot mode" in found[0][1]


DEV_REGISTRIES = list(DEV["cluster"]["binary_authorization_registries"])


def test_autopilot_skips_pool_rules_it_refuses_wholesale() -> None:
    found = _problems(dev_with(mode="autopilot", node_pools=[{"name": "x", "sandbox": True}]))
    assert [path for path, _ in found] == [("cluster", "node_pools")]


def test_duplicate_pool_names_are_refused() -> None:
    [(path, message)] = _problems(dev_with(node_pools=[{"name": "a"}, {"name": "a"}]))
    assert path == ("cluster", "node_pools", 1, "name") and "unique" in message


@pytest.mark.parametrize("pattern", ["docker.io/**", "docker.io/*", "*", "ghcr.io", "Docker.io/x/**", "a/b/**x"])
def test_binary_authorization_patterns_must_name_more_than_a_registry(pattern: str) -> None:
    [(path, message)] = _problems(dev_with(binary_authorization_registries=[*DEV_REGISTRIES, pattern]))
    assert path == ("cluster", "binary_authorization_registries", len(DEV_REGISTRIES))
    assert "registry/path" in message


def test_tenants_need_google_groups_for_rbac() -> None:
    data = dev_with()
    del data["cluster"]["security_group"]
    [(path, message)] = _problems(data)
    assert path == ("cluster", "security_group") and "gke-security-groups@" in message


def test_without_tenants_no_security_group_is_needed() -> None:
    data = dev_with()
    del data["cluster"]["security_group"]
    data["tenants"] = []
    assert _problems(data) == []


def test_airgapped_admits_only_the_mirror() -> None:
    assert admitted_image_patterns(environment("airgapped")) == (
        "europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/**",
    )


def test_prod_admits_only_its_mirror() -> None:
    assert admitted_image_patterns(environment("prod")) == (
        "europe-west4-docker.pkg.dev/rayfort-prod-000000/rayfort-mirror/**",
    )


def test_without_a_mirror_nothing_upstream_is_admitted_unless_named() -> None:
    """dev names its upstream repositories exactly (waived RF025); no floating repository wildcard."""
    assert admitted_image_patterns(environment("dev")) == tuple(DEV_REGISTRIES)
    assert not any(pattern.endswith("*") for pattern in DEV_REGISTRIES)


def test_without_a_mirror_the_images_rayfort_runs_must_be_named() -> None:
    [(path, message)] = _problems(dev_with(binary_authorization_registries=[]))
    assert path == ("registry_mirror",)
    assert "quay.io/kuberay/operator:v1.7.0" in message and "RF025" in message


def test_cert_manager_images_are_needed_only_when_a_tenant_needs_them() -> None:
    from rayfort.config.derived import upstream_images

    data = dev_with()
    data["tenants"] = []
    assert not any("cert-manager" in image for image in upstream_images(build(data)))
    assert any("cert-manager-webhook" in image for image in upstream_images(environment("dev")))


def test_gke_addon_needs_no_operator_image_and_extra_patterns_follow() -> None:
    from rayfort.config.derived import upstream_images

    extra = "europe-docker.pkg.dev/corp-images/ray/**"
    data = dev_with(binary_authorization_registries=[*DEV_REGISTRIES, extra])
    data["kuberay"] = {"install": "gke-addon"}
    env = build(data)
    assert admitted_image_patterns(env) == (*DEV_REGISTRIES, extra)
    assert not any("kuberay/operator" in image for image in upstream_images(env))


def test_problems_reach_the_loader(tmp_path) -> None:
    """A refused pool is reported through the environment file, with its line."""
    import yaml

    from rayfort.config import ConfigError, load_environment

    data = dev_with(node_pools=[{"name": "default", "sandbox": True}])
    path = tmp_path / "sandbox.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError, match=r"cluster\.node_pools.*sandbox\.gke\.io/runtime=gvisor"):
        load_environment(path)
    assert cross_field_problems(Environment.model_validate(DEV)) == []


@pytest.mark.parametrize(
    "image",
    [
        "rayproject/ray:2.52.1-py311",
        "docker.io/rayproject/ray@sha256:" + "a" * 64,
    ],
)
def test_tenant_images_from_admitted_registries_pass(image: str) -> None:
    data = dev_with()
    data["tenants"][0]["image"] = image
    build(data)


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/someone/ray:latest",
        "ray:latest",
        "docker.io/rayproject/ray/extra:1",
        "docker.io/rayproject/ray-ml:2.52.1",
    ],
)
def test_tenant_images_binary_authorization_would_deny_are_refused(image: str) -> None:
    data = dev_with()
    data["tenants"][0]["image"] = image
    [(path, message)] = _problems(data)
    assert path == ("tenants", 0, "image")
    assert "docker.io/rayproject/ray," in message and "binary_authorization_registries" in message


def test_an_extra_pattern_admits_a_custom_tenant_image() -> None:
    data = dev_with(binary_authorization_registries=[*DEV_REGISTRIES, "ghcr.io/someone/**"])
    data["tenants"][0]["image"] = "ghcr.io/someone/ray:latest"
    build(data)


def test_airgapped_tenant_images_must_come_from_the_mirror() -> None:
    import yaml

    from tests.conftest import ENVIRONMENTS

    data = yaml.safe_load((ENVIRONMENTS / "airgapped.yaml").read_text())
    data["tenants"][0]["image"] = "rayproject/ray:2.52.1-py311"
    [(path, _)] = _problems(data)
    assert path == ("tenants", 0, "image")
    data["tenants"][0]["image"] = "europe-west3-docker.pkg.dev/rayfort-airgap-000000/rayfort-mirror/ray:2.52.1"
    build(data)


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"start_time": "2026-01-03T02:00:00Z", "end_time": "2026-01-03T04:00:00Z"}, "recurrence"),
        ({"recurrence": "FREQ=WEEKLY;BYDAY=SU"}, "recurrence"),
        ({"end_time": "2026-01-03T01:00:00Z"}, "end_time"),
    ],
)
def test_maintenance_windows_gke_would_refuse_are_refused(window: dict, field: str) -> None:
    [(path, _)] = _problems(dev_with(maintenance_window=window))
    assert path == ("cluster", "maintenance_window", field)


def test_a_daily_four_hour_window_passes() -> None:
    build(
        dev_with(
            maintenance_window={
                "start_time": "2026-01-03T01:00:00Z",
                "end_time": "2026-01-03T05:00:00Z",
                "recurrence": "FREQ=DAILY",
            }
        )
    )


def test_existing_keys_must_be_in_the_cluster_region() -> None:
    ring = "projects/corp-kms-000000/locations/{}/keyRings/gke/cryptoKeys/"
    kms = {
        "create": None,
        "existing": {
            "boot_disk_key": ring.format("europe-west1") + "boot",
            "secrets_key": ring.format("global") + "etcd",
        },
    }
    [(path, message)] = _problems(dev_with(kms=kms))
    assert path == ("cluster", "kms", "existing", "secrets_key")
    assert message.endswith("europe-west1")


def test_dns_endpoint_needs_an_enforced_perimeter() -> None:
    [(path, message)] = _problems(dev_with(control_plane_access="dns_endpoint"))
    assert path == ("cluster", "control_plane_access")
    assert "enforce" in message and "internal_ip" in message
    data = dev_with(control_plane_access="dns_endpoint")
    data["network"]["service_controls"] = {"enabled": True, "enforce": True, "access_policy_id": "1"}
    assert _problems(data) == []
