"""DashboardEdge: what every tenant's dashboard shares at Google's edge; and what a tenant adds to it.

The exposure stack holds the DNS zone (an existing one looked up, or a new one
signed with DNSSEC), the SSL policy (TLS 1.2 at least) and the optional Cloud
Armor policy. Each tenant stack adds its own A record (``dashboard_record``)
and reads the optional custom OAuth client from Secret Manager itself
(``OAuthClient``), so the secret never crosses stacks as an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct, Fn
from rayfort._providers import google
from rayfort.config.exposure import ExposureSettings
from rayfort.exposure.cloud_armor import DashboardArmor, DashboardArmorProps

DNS_TTL_S = 300


@dataclass(frozen=True)
class SharedEdge:
    """What a tenant's dashboard uses of the shared edge (references into the exposure stack)."""

    api: str
    """"gateway" (the shared Gateway) or "ingress" (a load balancer per tenant)."""
    zone_name: str
    """The dashboards' Cloud DNS zone, where each tenant adds its A record."""
    ssl_policy_name: str
    """The TLS 1.2+ SSL policy (Ingress: each tenant's FrontendConfig names it)."""
    security_policy_name: str | None = None
    """The Cloud Armor policy every dashboard backend names; None without Cloud Armor."""
    custom_oauth_secret: str | None = None
    """Secret Manager secret of a custom OAuth client; None: IAP's Google-managed client."""
    gateway_address: str | None = None
    """Gateway: the shared load balancer's IPv4 address."""
    gateway_namespace: str | None = None
    """Gateway: the shared Gateway's namespace (a reference, so routes wait for it)."""
    certificate_map: str | None = None
    """Gateway with per-tenant certificates: the map each tenant adds its entry to; None with the wildcard."""


@dataclass(frozen=True)
class DashboardEdgeProps:
    """Inputs of DashboardEdge."""

    name: str
    """Prefix of every resource name (the cluster name)."""
    settings: ExposureSettings
    """The environment's exposure section."""


class DashboardEdge(Construct):
    """Zone, SSL policy, security policy and OAuth client shared by the tenants' dashboards."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardEdgeProps) -> None:
        super().__init__(scope, construct_id)
        settings = props.settings
        self.zone: Any  # google.DataGoogleDnsManagedZone or google.DnsManagedZone: a name and a DNS name
        if settings.dns_zone.existing is not None:
            self.zone = google.DataGoogleDnsManagedZone(self, "zone", name=settings.dns_zone.existing)
        else:
            self.zone = google.DnsManagedZone(
                self,
                "zone",
                name=f"{props.name}-dashboards",
                dns_name=f"{settings.dns_zone.dns_name}.",
                visibility="public",
                description="rayfort dashboard host names",
                dnssec_config={
                    "state": "on",
                    "non_existence": "nsec3",
                    "default_key_specs": [
                        {"algorithm": "rsasha256", "key_length": 2048, "key_type": "keySigning"},
                        {"algorithm": "rsasha256", "key_length": 1024, "key_type": "zoneSigning"},
                    ],
                },
            )
        self.ssl_policy = google.ComputeSslPolicy(
            self,
            "ssl-policy",
            name=f"{props.name}-dashboards-tls",
            profile=settings.ssl_profile,
            min_tls_version="TLS_1_2",
            description="rayfort dashboards: TLS 1.2 or newer",
        )
        self.armor = None
        if settings.cloud_armor.enabled:
            self.armor = DashboardArmor(
                self,
                "armor",
                DashboardArmorProps(
                    name=f"{props.name}-dashboards",
                    allowed_ranges=tuple(settings.cloud_armor.allowed_ranges),
                    rate_limit_per_minute=settings.cloud_armor.rate_limit_per_minute,
                ),
            )

    @property
    def security_policy_name(self) -> str | None:
        return self.armor.name if self.armor is not None else None


@dataclass(frozen=True)
class DashboardProps:
    """Inputs of a tenant's dashboard on the shared edge, behind a Gateway route or an Ingress of its own."""

    resource_prefix: str
    """Prefix of the Google Cloud resource names (cluster and tenant)."""
    tenant: str
    """Tenant name; prefix of the in-cluster object names."""
    namespace: str
    """Tenant namespace (a reference to the tenant stack's Namespace)."""
    host: str
    """The dashboard's host name; with the Gateway, the namespace's dashboard-host annotation names it too."""
    selector: dict[str, str]
    """Labels of the head pod."""


def dashboard_record(scope: Construct, construct_id: str, zone_name: str, host: str, address: str) -> None:
    """An A record for ``host`` in the dashboards' zone, pointing at a load balancer address."""
    google.DnsRecordSet(
        scope, construct_id, managed_zone=zone_name, name=f"{host}.", type="A", ttl=DNS_TTL_S, rrdatas=[address]
    )


class OAuthClient(Construct):
    """A custom IAP OAuth client, {"client_id", "client_secret"} as JSON in a Secret Manager secret."""

    def __init__(self, scope: Construct, construct_id: str, secret: str) -> None:
        super().__init__(scope, construct_id)
        self.version = google.DataGoogleSecretManagerSecretVersion(self, "version", secret=secret)

    @property
    def client_id(self) -> str:
        return Fn.lookup(Fn.jsondecode(self.version.secret_data), "client_id")

    @property
    def client_secret(self) -> str:
        return Fn.lookup(Fn.jsondecode(self.version.secret_data), "client_secret")
