"""Settings shared by every tenant's exposure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from rayfort.config._types import INT32_MAX, Cidr, Model, SecretReference

if TYPE_CHECKING:
    from rayfort.config.tenant import TenantSettings

# A ManagedCertificate domain, and so a dashboard host on Ingress, is at most 63 characters.
MAX_CERTIFICATE_DOMAIN = 63
# Compute Engine and Certificate Manager resource names are at most 63 characters.
MAX_RESOURCE_NAME = 63
# The longest name the exposure stack gives a tenant's resources: <cluster>-<tenant><suffix>.
LONGEST_TENANT_SUFFIX = "-dashboard"


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
    # Cloud Armor's rateLimitThreshold.count is an int32 (Compute Engine API, SecurityPolicyRule).
    rate_limit_per_minute: int = Field(default=600, ge=1, le=INT32_MAX)
    """Requests per minute per client IP before throttling."""


class ExposureSettings(Model):
    """How dashboards are published behind IAP."""

    api: Literal["ingress", "gateway"] = "gateway"
    """One shared Gateway (one load balancer for every tenant), or an Ingress (a load balancer) per tenant."""
    certificates: Literal["per-tenant", "wildcard"] = "per-tenant"
    """Gateway only: a managed certificate per host, or one *.<zone> certificate proven by DNS authorization."""
    dns_zone: DnsZone = DnsZone()
    """Zone of the dashboard host names."""
    ssl_profile: Literal["MODERN", "RESTRICTED"] = "RESTRICTED"
    """SSL policy profile; TLS 1.2 is always the minimum."""
    cloud_armor: CloudArmor = CloudArmor()
    """Optional Cloud Armor policy."""
    custom_oauth_secret: SecretReference | None = None
    """Secret Manager secret (id, or projects/<project>/secrets/<id>) holding a custom OAuth client as JSON.

    The JSON is {"client_id", "client_secret"}; IAP's Google-managed client when absent."""

    def shares_one_certificate(self) -> bool:
        """Every tenant is served by the shared edge's wildcard certificate, none by a certificate of its own."""
        return self.api == "gateway" and self.certificates == "wildcard"

    def tenant_dashboard_host(self, tenant: TenantSettings) -> str:
        """The host a tenant's IAP dashboard is published on: its own setting, or <tenant>.<zone domain>."""
        return tenant.exposure.iap.host or f"{tenant.name}.{self.dns_zone.dns_name}"
