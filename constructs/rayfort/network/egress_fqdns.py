"""The opt-in internet allowlist: named hosts on TCP 443 through Cloud NAT, everything else stays denied."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google

HTTPS = {"ip_protocol": "tcp", "ports": ["443"]}
ALLOW_PRIORITY = 1000


@dataclass(frozen=True)
class FqdnEgressProps:
    """Inputs of FqdnEgress."""

    name: str
    """Prefix of the policy's name."""
    network: str
    """The VPC the policy is attached to."""
    fqdns: tuple[str, ...]
    """Host names reached on TCP 443, such as pypi.org; at most 100, no wildcards."""


class FqdnEgress(Construct):
    """A global network firewall policy with one logged egress allow of host names (Cloud NGFW FQDN objects).

    Cloud NGFW resolves each name through Cloud DNS and matches the resolved
    addresses, so a package registry behind a changing CDN is reached by name, not
    by a range that also admits its neighbours. The VPC evaluates this policy
    before its VPC firewall rules (``PrivateNetworkProps.firewall_policy_first``):
    the rule's allow wins over the deny-all-egress rule, and traffic it does not
    match goes on to that rule. FQDN objects are a Cloud NGFW Standard feature.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FqdnEgressProps) -> None:
        super().__init__(scope, construct_id)
        self.policy = google.ComputeNetworkFirewallPolicy(
            self,
            "policy",
            name=f"{props.name}-egress-fqdns",
            description="rayfort: the internet hosts pods may reach on 443; everything else is denied",
        )
        self.rule = google.ComputeNetworkFirewallPolicyRule(
            self,
            "allow-fqdns",
            firewall_policy=self.policy.name,
            rule_name="allow-egress-fqdns",
            description="Named internet hosts on HTTPS through Cloud NAT; everything else stays denied",
            priority=ALLOW_PRIORITY,
            direction="EGRESS",
            action="allow",
            enable_logging=True,
            match={"dest_fqdns": list(props.fqdns), "layer4_configs": [dict(HTTPS)]},
        )
        google.ComputeNetworkFirewallPolicyAssociation(
            self,
            "association",
            name=f"{props.name}-egress-fqdns",
            firewall_policy=self.policy.id,
            attachment_target=props.network,
        )
