"""DashboardEdge: what every tenant's dashboard shares at Google's edge.

The DNS zone (an existing one looked up, or a new one signed with DNSSEC), the
SSL policy (TLS 1.2 at least), the optional Cloud Armor policy and the optional
custom OAuth client read from Secret Manager.
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
        self.oauth_client = None
        if settings.custom_oauth_secret is not None:
            self.oauth_client = google.DataGoogleSecretManagerSecretVersion(
                self, "oauth-client", secret=settings.custom_oauth_secret
            )

    @property
    def security_policy_name(self) -> str | None:
        return self.armor.name if self.armor is not None else None

    @property
    def oauth_client_id(self) -> str | None:
        """The custom OAuth client's id; None means IAP's Google-managed client."""
        if self.oauth_client is None:
            return None
        return Fn.lookup(Fn.jsondecode(self.oauth_client.secret_data), "client_id")

    @property
    def oauth_client_secret(self) -> str | None:
        if self.oauth_client is None:
            return None
        return Fn.lookup(Fn.jsondecode(self.oauth_client.secret_data), "client_secret")

    def add_host(self, construct_id: str, host: str, address: str) -> None:
        """An A record for ``host`` in the zone, pointing at a load balancer address."""
        google.DnsRecordSet(
            self,
            construct_id,
            managed_zone=self.zone.name,
            name=f"{host}.",
            type="A",
            ttl=DNS_TTL_S,
            rrdatas=[address],
        )
