"""How nodes leave the VPC: Cloud NAT to the internet, or only the Google APIs VIP."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google

# Domains whose names resolve to the Google APIs VIP inside the VPC, by zone id.
GOOGLE_API_DOMAINS = {"googleapis": "googleapis.com.", "gcr": "gcr.io.", "pkg-dev": "pkg.dev."}
DEFAULT_INTERNET_GATEWAY = "default-internet-gateway"


@dataclass(frozen=True)
class CloudNatProps:
    """Inputs of CloudNat."""

    name: str
    """Prefix of the router, NAT and route names."""
    network: str
    """The VPC."""
    region: str
    """Region of the router and NAT."""
    subnet: str
    """The only subnet whose ranges (primary and secondary) are translated."""
    log_filter: str = "ALL"
    """Every translation logged by default; ERRORS_ONLY at least."""


class CloudNat(Construct):
    """Cloud Router and Cloud NAT for the node subnet, plus the default route NAT needs.

    The VPC is created without its default route, so the route to the internet
    gateway is added back here, and only in this egress mode.
    """

    def __init__(self, scope: Construct, construct_id: str, props: CloudNatProps) -> None:
        super().__init__(scope, construct_id)
        self.route = google.ComputeRoute(
            self,
            "default-route",
            name=f"{props.name}-egress-internet",
            network=props.network,
            dest_range="0.0.0.0/0",
            next_hop_gateway=DEFAULT_INTERNET_GATEWAY,
            priority=1000,
            description="Internet egress for Cloud NAT; nodes have no external addresses",
        )
        self.router = google.ComputeRouter(
            self,
            "router",
            name=f"{props.name}-router",
            network=props.network,
            region=props.region,
            description="Cloud Router of the node subnet's Cloud NAT",
        )
        self.nat = google.ComputeRouterNat(
            self,
            "nat",
            name=f"{props.name}-nat",
            router=self.router.name,
            region=props.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetwork=[{"name": props.subnet, "source_ip_ranges_to_nat": ["ALL_IP_RANGES"]}],
            enable_endpoint_independent_mapping=False,
            log_config={"enable": True, "filter": props.log_filter},
        )


@dataclass(frozen=True)
class GoogleApisAccessProps:
    """Inputs of GoogleApisAccess."""

    name: str
    """Prefix of the zone and route names."""
    network: str
    """The VPC the private zones are visible to."""
    vip_cidr: str
    """restricted.googleapis.com (199.36.153.4/30) inside a perimeter, private.googleapis.com otherwise."""
    vip_host: str
    """The VIP's host name: restricted.googleapis.com. or private.googleapis.com."""


class GoogleApisAccess(Construct):
    """Private DNS zones that send Google API, gcr.io and pkg.dev names to the VIP, and the route to it.

    Inside a VPC-SC perimeter the restricted VIP serves only services the perimeter
    supports, so a client cannot reach an unprotected API by accident. DNS query
    logging is switched on for the VPC, for forensics.
    """

    def __init__(self, scope: Construct, construct_id: str, props: GoogleApisAccessProps) -> None:
        super().__init__(scope, construct_id)
        addresses = [str(ip) for ip in ipaddress.IPv4Network(props.vip_cidr)]
        self.zones: dict[str, Any] = {}  # google.DnsManagedZone, by zone id
        for zone_id, domain in GOOGLE_API_DOMAINS.items():
            zone = google.DnsManagedZone(
                self,
                zone_id,
                name=f"{props.name}-{zone_id}",
                dns_name=domain,
                visibility="private",
                private_visibility_config={"networks": [{"network_url": props.network}]},
                description=f"Sends {domain.rstrip('.')} to {props.vip_host.rstrip('.')} inside the VPC",
            )
            self.zones[zone_id] = zone
            vip_name = props.vip_host if zone_id == "googleapis" else domain
            google.DnsRecordSet(
                self, f"{zone_id}-vip", managed_zone=zone.name, name=vip_name, type="A", ttl=300, rrdatas=addresses
            )
            google.DnsRecordSet(
                self,
                f"{zone_id}-wildcard",
                managed_zone=zone.name,
                name=f"*.{domain}",
                type="CNAME",
                ttl=300,
                rrdatas=[vip_name],
            )
        google.DnsPolicy(
            self,
            "logging",
            name=f"{props.name}-dns-logging",
            enable_logging=True,
            enable_inbound_forwarding=False,
            networks=[{"network_url": props.network}],
            description="Logs every DNS query from the VPC",
        )
        google.ComputeRoute(
            self,
            "vip-route",
            name=f"{props.name}-google-apis",
            network=props.network,
            dest_range=props.vip_cidr,
            next_hop_gateway=DEFAULT_INTERNET_GATEWAY,
            priority=1000,
            description=(
                f"Google APIs through {props.vip_host.rstrip('.')} ({props.vip_cidr}); the only way out when air-gapped"
            ),
        )

    @property
    def zone_names(self) -> list[str]:
        return [zone.name for zone in self.zones.values()]
