"""DashboardArmor: a Cloud Armor policy admitting only allow-listed ranges, rate-limited, Log4Shell blocked."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort._cdk import Construct
from rayfort._providers import google

# Cloud Armor accepts at most this many ranges in one basic match rule.
RANGES_PER_RULE = 10
DEFAULT_RULE_PRIORITY = 2147483647


@dataclass(frozen=True)
class DashboardArmorProps:
    """Inputs of DashboardArmor; everything not allow-listed is denied."""

    name: str
    """Policy name, referenced by BackendConfig or GCPBackendPolicy."""
    allowed_ranges: tuple[str, ...]
    """Source ranges admitted; at least one."""
    rate_limit_per_minute: int = 600
    """Requests per minute per client IP before 429."""


def _allow_rules(props: DashboardArmorProps) -> list[dict]:
    ranges = list(props.allowed_ranges)
    chunks = [ranges[i : i + RANGES_PER_RULE] for i in range(0, len(ranges), RANGES_PER_RULE)]
    return [
        {
            "priority": 2000 + i,
            "description": "allow-listed sources, throttled per client IP",
            "action": "throttle",
            "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": chunk}},
            "rate_limit_options": {
                "conform_action": "allow",
                "exceed_action": "deny(429)",
                "enforce_on_key": "IP",
                "rate_limit_threshold": {"count": props.rate_limit_per_minute, "interval_sec": 60},
            },
        }
        for i, chunk in enumerate(chunks)
    ]


class DashboardArmor(Construct):
    """The security policy in front of every tenant's dashboard backend."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardArmorProps) -> None:
        super().__init__(scope, construct_id)
        if not props.allowed_ranges:
            raise ValueError("a Cloud Armor allow-list needs at least one range")
        self.policy = google.ComputeSecurityPolicy(
            self,
            "policy",
            name=props.name,
            type="CLOUD_ARMOR",
            description="rayfort dashboards: allow-listed ranges only, rate-limited",
            rule=[
                {
                    "priority": 1000,
                    "description": "block Log4j JNDI lookups (CVE-2021-44228)",
                    "action": "deny(403)",
                    "preview": False,
                    "match": {"expr": {"expression": "evaluatePreconfiguredWaf('cve-canary')"}},
                },
                *_allow_rules(props),
                {
                    "priority": DEFAULT_RULE_PRIORITY,
                    "description": "deny everything not allow-listed",
                    "action": "deny(403)",
                    "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}},
                },
            ],
        )

    @property
    def name(self) -> str:
        return self.policy.name
