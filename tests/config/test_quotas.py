"""Project quotas: what an environment uses of each, counted as GKE and rayfort create it."""

from __future__ import annotations

from rayfort.config.checks.quotas import PLATFORM_FIREWALL_RULES, problems, usage
from rayfort.config.quotas import ProjectQuotas
from tests.conftest import environment


def _use(env) -> dict[str, int]:
    return {u.quota: u.count for u in usage(env)}


def _with_tenants(env, count: int, api: str = "gateway", certificates: str = "per-tenant"):
    template = env.tenants[0]
    tenants = [template.model_copy(update={"name": f"team-{i}"}) for i in range(count)]
    exposure = env.exposure.model_copy(update={"api": api, "certificates": certificates})
    return env.model_copy(update={"tenants": tenants, "exposure": exposure})


def test_every_quota_the_environment_states_is_counted() -> None:
    assert {u.quota for u in usage(environment("dev"))} == set(ProjectQuotas.model_fields)


def test_the_shared_gateway_keeps_the_edge_flat_while_ingress_grows_per_tenant() -> None:
    dev = environment("dev")  # team-a: IAP and an internal load balancer
    gateway = _use(_with_tenants(dev, 100))
    assert gateway["global_addresses"] == 1
    assert gateway["forwarding_rules"] == 1 + 100
    assert gateway["ssl_certificates"] == 0 and gateway["certificate_manager_certificates"] == 100
    assert _use(_with_tenants(dev, 100, certificates="wildcard"))["certificate_manager_certificates"] == 1
    ingress = _use(_with_tenants(dev, 100, api="ingress"))
    assert ingress["global_addresses"] == 100
    assert ingress["forwarding_rules"] == 2 * 100 + 100
    assert ingress["ssl_certificates"] == 100 and ingress["backend_services"] == 100 + 1 + 100
    assert _use(dev)["firewall_rules"] == PLATFORM_FIREWALL_RULES + 1 + 1 + 1


def test_synth_refuses_an_environment_above_a_quota_naming_it_and_the_count() -> None:
    env = _with_tenants(environment("dev"), 10, api="ingress")
    found = {p.path: p.message for p in problems(env)}
    assert ("quotas", "global_addresses") in found
    assert "needs 10" in found[("quotas", "global_addresses")]
    assert ("quotas", "forwarding_rules") in found and "needs 30" in found[("quotas", "forwarding_rules")]
    assert problems(environment("dev")) == [] and problems(environment("prod")) == []
