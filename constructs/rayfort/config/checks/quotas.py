"""What the environment will use of each project quota, against the limits it states (``quotas``).

The counts include what GKE creates for rayfort's objects (a load balancer's
forwarding rule, backend services, firewall rules) as GKE documents them, so a
plan that would fail half-way on a quota is refused before anything is applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from rayfort.config._types import Problem
from rayfort.config.environment import Environment

# GKE's own firewall rules for a private cluster (all, master, vms, inkubelet, exkubelet) and, at most,
# rayfort's node firewall (rayfort.network.firewall: health checks, control plane, IAP SSH, egress lockdown).
PLATFORM_FIREWALL_RULES = 5 + 8


@dataclass(frozen=True)
class Usage:
    """How many of one quota's objects the environment creates, and what they are."""

    quota: str
    """The field of ``quotas``."""
    count: int
    what: str
    """What makes up the count, in words."""


def usage(env: Environment) -> list[Usage]:
    """Every quota ``quotas`` states, with what this environment uses of it."""
    published = [t for t in env.tenants if t.exposure.iap.enabled]
    internal = [t for t in env.tenants if t.exposure.internal.enabled]
    static = [t for t in internal if t.exposure.internal.static_ip]
    iap, ilb = len(published), len(internal)
    gateway = env.exposure.api == "gateway"
    shared = 1 if gateway and published else 0
    if gateway:
        edge_rules, edge_what = shared, "the shared Gateway's HTTPS rule"
        certificates = 1 if env.exposure.shares_one_certificate() and published else iap
    else:
        edge_rules, edge_what = 2 * iap, f"{iap} IAP Ingress load balancers (HTTPS and the HTTP redirect)"
        certificates = 0
    redis = sum(t.redis.memory_size_gb * (2 if t.redis.tier == "STANDARD_HA" else 1) for t in env.tenants)
    return [
        Usage("forwarding_rules", edge_rules + ilb, f"{edge_what} and {ilb} internal load balancers"),
        Usage(
            "backend_services",
            iap + (1 if published and not gateway else 0) + ilb,
            f"{iap} dashboard backends{'' if gateway else ' and the Ingress default backend'} and {ilb} internal "
            "load balancers",
        ),
        Usage("ssl_certificates", 0 if gateway else iap, "one managed certificate per Ingress dashboard"),
        Usage("certificate_manager_certificates", certificates, "the shared Gateway's certificates"),
        Usage(
            "global_addresses",
            shared if gateway else iap,
            "the shared Gateway's address" if gateway else "one address per Ingress dashboard",
        ),
        Usage("internal_addresses", len(static), "tenants' static internal load balancer addresses"),
        Usage(
            "firewall_rules",
            PLATFORM_FIREWALL_RULES + (1 if published else 0) + ilb + (1 if internal else 0),
            f"GKE's and rayfort's node rules ({PLATFORM_FIREWALL_RULES} at most), the load balancer health checks "
            f"and one per internal load balancer ({ilb})",
        ),
        Usage(
            "memorystore_gb",
            redis,
            f"{len(env.tenants)} tenants' Redis instances (a STANDARD_HA instance counts its replica)",
        ),
    ]


def problems(env: Environment) -> list[Problem]:
    """Each quota the environment would exceed, with the count and what makes it up."""
    found = []
    for use in usage(env):
        limit = getattr(env.quotas, use.quota)
        if use.count > limit:
            found.append(
                Problem(
                    ("quotas", use.quota),
                    limit,
                    f"this environment needs {use.count} ({use.what}), more than the project's quota; raise the "
                    f"quota and set quotas.{use.quota} to it, or publish fewer tenants",
                )
            )
    return found
