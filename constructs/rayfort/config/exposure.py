"""Settings shared by every tenant's exposure."""

from __future__ import annotations

from typing import Literal, TYPE_CHECKING

from pydantic import Field

from rayfort.config._types import Cidr, Model, Problem

if TYPE_CHECKING:
    from rayfort.config.environment import Environment


class DnsZone(Model):
    """The Cloud DNS zone holding the dashboard host names."""

    existing: str | None = Field(default=None, pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    """An existing managed zone's name; when absent a zone is created."""
    dns_name: str = Field(default="ray.example.com", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    """The zone's domain, without the trailing dot."""


class CloudArmor(Model):
    """An optional Cloud Armor policy in front of the dashboards."""

    enabled: bool = False
    """Attach a security policy through the BackendConfig."""
    allowed_ranges: list[Cidr] = []
    """Source ranges allowed; all others denied."""
    rate_limit_per_minute: int = Field(default=600, ge=1)
    """Requests per minute per client IP before throttling."""


class ExposureSettings(Model):
    """How dashboards are published behind IAP."""

    api: Literal["ingress", "gateway"] = "ingress"
    """GKE Ingress with BackendConfig, or Gateway API with GCPBackendPolicy."""
    dns_zone: DnsZone = DnsZone()
    """Zone of the dashboard host names."""
    ssl_profile: Literal["MODERN", "RESTRICTED"] = "RESTRICTED"
    """SSL policy profile; TLS 1.2 is always the minimum."""
    cloud_armor: CloudArmor = CloudArmor()
    """Optional Cloud Armor policy."""
    custom_oauth_secret: str | None = None
    """Secret Manager secret holding a custom OAuth client; IAP's Google-managed client when absent."""


def problems(env: Environment) -> list[Problem]:
    """Rules of this domain that span several fields of the environment."""
    return []
