"""Rules of exposure that span several fields of the environment."""

from __future__ import annotations

from rayfort.config._types import Problem
from rayfort.config.derived import dashboard_host
from rayfort.config.environment import Environment
from rayfort.config.exposure import LONGEST_TENANT_SUFFIX, MAX_CERTIFICATE_DOMAIN, MAX_RESOURCE_NAME


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    found: list[Problem] = []
    settings = env.exposure
    domain = settings.dns_zone.dns_name
    seen: dict[str, str] = {}
    for i, tenant in enumerate(env.tenants):
        exposed = tenant.exposure.iap.enabled or tenant.exposure.internal.static_ip
        resource_name = f"{env.cluster.name}-{tenant.name}{LONGEST_TENANT_SUFFIX}"
        if exposed and len(resource_name) > MAX_RESOURCE_NAME:
            found.append(
                Problem(
                    ("tenants", i, "name"),
                    tenant.name,
                    f"makes the load balancer resource name {resource_name} longer than "
                    f"{MAX_RESOURCE_NAME} characters; shorten the tenant or cluster name",
                )
            )
        if not tenant.exposure.iap.enabled:
            continue
        path = ("tenants", i, "exposure", "iap", "host")
        host = dashboard_host(env, tenant)
        if not host.endswith(f".{domain}"):
            found.append(Problem(path, host, f"is not in the dashboard zone; allowed: names ending in .{domain}"))
        wildcard_label = host.removesuffix(f".{domain}")
        if settings.shares_one_certificate() and host.endswith(f".{domain}") and "." in wildcard_label:
            found.append(
                Problem(
                    path,
                    host,
                    f"is not covered by the wildcard certificate *.{domain} (it names one label only); "
                    f"choose a host <name>.{domain}, or exposure.certificates: per-tenant",
                )
            )
        if host in seen:
            found.append(
                Problem(path, host, f"is already tenant {seen[host]}'s dashboard; each tenant needs its own host")
            )
        seen.setdefault(host, tenant.name)
        if settings.api == "ingress" and len(host) > MAX_CERTIFICATE_DOMAIN:
            found.append(
                Problem(
                    path,
                    host,
                    f"is longer than {MAX_CERTIFICATE_DOMAIN} characters, "
                    "the most a ManagedCertificate domain may have; choose a shorter host",
                )
            )
    if settings.cloud_armor.enabled and not settings.cloud_armor.allowed_ranges:
        found.append(
            Problem(
                ("exposure", "cloud_armor", "allowed_ranges"),
                [],
                "must list at least one range when Cloud Armor is enabled: it denies every other source",
            )
        )
    return found
