"""Audit constructs without a synth: the filter grammar, the alerts, the dashboard builder, the settings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rayfort.audit import filters
from rayfort.audit.alerts import TenantQuotaUse, platform_alerts, promql_metric, tenant_alerts
from rayfort.audit.dashboard import MOSAIC_COLUMNS, Dashboard, Row, TenantDashboardSpec, Text, tenant_dashboard
from rayfort.audit.logging_query import FilterSyntaxError, parse_filter
from rayfort.config import ConfigError, load_environment
from rayfort.policy import RayfortRules
from tests.audit.dashboard_schema import DASHBOARD_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
QUOTA = TenantQuotaUse(cpu_cores=16, memory_bytes=64 * 2**30, pods=50)

# --- the Logging query language grammar check ---------------------------------------------------

SHIPPED_FILTERS = [
    filters.sink_filter(),
    filters.KMS_KEY_LOGS,
    *(c.query for c in filters.AUDIT_CATEGORIES),
    *(m.query for a in platform_alerts("kuberay-system") for m in a.log_metrics),
]


@pytest.mark.parametrize("query", SHIPPED_FILTERS)
def test_every_shipped_filter_parses(query: str) -> None:
    assert parse_filter(query)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ('logName:"a" and severity>=ERROR', "lowercase 'and'"),
        ('logName:"a" or severity>=ERROR', "lowercase 'or'"),
        ('(logName:"a" OR severity>=ERROR', "never closed"),
        ('logName:"a")', "unbalanced"),
        ('logname:"a"', "not a LogEntry field"),
        ('protoPayload.method="x"', "not an AuditLog field"),
        ("severity>=SEVERE", "not a LogSeverity"),
        ("resource=gke_nodepool", "resource.type or .labels"),
        ("logName", "no operator"),
        ('logName:"a" AND', "ends"),
        ('AND logName:"a"', "no term before it"),
        ('logName=="a"', "expected a value"),
        ('logName:"a', "unexpected character"),
        ("", "empty"),
    ],
)
def test_malformed_filters_are_refused(query: str, says: str) -> None:
    with pytest.raises(FilterSyntaxError, match=says):
        parse_filter(query)


def test_operators_values_and_quoted_fields_are_read() -> None:
    parsed = parse_filter(
        'NOT severity<INFO -resource.type="gce_instance" protoPayload.metadata."@type"=~"Vpc.*" '
        'resource.labels.namespace_name!=("a" OR "b") log_id("cloudaudit.googleapis.com/activity")'
    )
    assert [(c.field, c.operator, c.values) for c in parsed] == [
        (("severity",), "<", ("INFO",)),
        (("resource", "type"), "=", ("gce_instance",)),
        (("protoPayload", "metadata", "@type"), "=~", ("Vpc.*",)),
        (("resource", "labels", "namespace_name"), "!=", ("a", "b")),
    ]


def test_the_sink_keeps_each_category_an_auditor_asks_for() -> None:
    names = [c.name for c in filters.AUDIT_CATEGORIES]
    assert names == ["admin-activity", "data-access", "policy-denied", "iap-access", "kubernetes-audit"]
    by_name = {
        c.name: {(cmp.field, cmp.operator, cmp.values) for cmp in parse_filter(c.query)}
        for c in filters.AUDIT_CATEGORIES
    }
    assert ((("logName",), ":", ("cloudaudit.googleapis.com%2Factivity",))) in by_name["admin-activity"]
    assert ((("logName",), ":", ("cloudaudit.googleapis.com%2Fdata_access",))) in by_name["data-access"]
    assert ((("protoPayload", "metadata", "@type"), "=", (filters.VPC_SC_METADATA,))) in by_name["policy-denied"]
    assert ((("logName",), ":", ("cloudaudit.googleapis.com%2Fpolicy",))) in by_name["policy-denied"]
    assert ((("protoPayload", "serviceName"), "=", ("iap.googleapis.com",))) in by_name["iap-access"]
    assert ((("resource", "type"), "=", ("k8s_cluster",))) in by_name["kubernetes-audit"]
    sink = filters.sink_filter()
    assert sink.count(" OR (") == len(names) - 1 and all(f"({c.query})" in sink for c in filters.AUDIT_CATEGORIES)


# --- alerts -----------------------------------------------------------------------------------


def test_promql_names_follow_cloud_monitorings_mapping() -> None:
    assert promql_metric("kubernetes.io/container/restart_count") == "kubernetes_io:container_restart_count"
    assert (
        promql_metric("logging.googleapis.com/user/rayfort_iap_denials")
        == "logging_googleapis_com:user_rayfort_iap_denials"
    )


PLATFORM = {alert.id: alert for alert in platform_alerts("kuberay-system")}
TENANT = {alert.id: alert for alert in tenant_alerts("team-a", "team-a", QUOTA)}

# alert id -> (fragments every condition query must hold, what the documentation must tell the person paged)
EXPECTED = {
    "kuberay-operator-errors": (
        ["logging_googleapis_com:user_rayfort_kuberay_operator_errors[10m]", "> 5"],
        "kubectl -n kuberay-system get pods",
    ),
    "vpc-sc-violation": (["logging_googleapis_com:user_rayfort_vpc_sc_violations[5m]", "> 0"], "violationReason"),
    "iap-denial-spike": (["logging_googleapis_com:user_rayfort_iap_denials[5m]", "> 50"], "cloud_armor.allowed_ranges"),
    "binary-authorization-denial": (
        ["logging_googleapis_com:user_rayfort_binauthz_denials", "> 0"],
        "Never switch the policy to dry-run",
    ),
    "kms-key-destruction": (
        ["logging_googleapis_com:user_rayfort_kms_destructions", "> 0"],
        "gcloud kms keys versions restore",
    ),
    "node-pool-upgrade-failed": (
        ["logging_googleapis_com:user_rayfort_node_pool_upgrade_failures[30m]"],
        "PodDisruptionBudgets",
    ),
    "ray-head": (['container_name="ray-head"', "restart_count"], "kubectl -n team-a get pods -l ray.io/node-type=head"),
    "gcs-failover": (['container_name="ray-head"', 'container_name="ray-worker"', "< 600", "> 600"], "Memorystore"),
    "quota": (['namespace_name="team-a"', "> 0.9"], "kubectl -n team-a describe resourcequota"),
}


def test_every_required_alert_exists() -> None:
    assert set(EXPECTED) == set(PLATFORM) | set(TENANT)


@pytest.mark.parametrize("alert_id", sorted(EXPECTED))
def test_each_alert_has_its_condition_and_says_what_to_do(alert_id: str) -> None:
    alert = PLATFORM.get(alert_id) or TENANT[alert_id]
    fragments, action = EXPECTED[alert_id]
    queries = " ".join(c.query for c in alert.conditions)
    assert all(fragment in queries for fragment in fragments), queries
    assert "**What to do" in alert.documentation and action in alert.documentation
    for metric in alert.log_metrics:
        assert f"logging_googleapis_com:user_{metric.name}" in queries
        assert f"```\n{metric.query}\n```" in alert.documentation  # the entries to read, as a Logs Explorer query
        parse_filter(metric.query)


def test_ray_head_alert_watches_restarts_and_readiness() -> None:
    restart, ready = TENANT["ray-head"].conditions
    assert restart.query.startswith("sum(increase(kubernetes_io:container_restart_count{")
    assert 'up{namespace="team-a",job="team-a-ray",instance=~"team-a-head-.*"}' in ready.query
    assert "absent(up{" in ready.query and ready.duration == "300s"


def test_quota_alert_compares_requests_with_the_tenants_quota() -> None:
    cpu, memory, pods = TENANT["quota"].conditions
    assert cpu.query.endswith("/ 16 > 0.9") and "cpu_request_cores" in cpu.query
    assert memory.query.endswith(f"/ {64 * 2**30} > 0.9") and "memory_request_bytes" in memory.query
    assert pods.query.endswith("/ 50 > 0.9")
    gpu = tenant_alerts("t", "t", TenantQuotaUse(16, 2**30, 10, gpus=4))[2].conditions[-1]
    assert "accelerator_request" in gpu.query and gpu.query.endswith("/ 4 > 0.9")


def test_gke_addon_has_no_operator_alert() -> None:
    assert "kuberay-operator-errors" not in {a.id for a in platform_alerts(None)}


# --- the dashboard builder ----------------------------------------------------------------------


def _spec(gpus: bool = False) -> TenantDashboardSpec:
    return TenantDashboardSpec("team-a", "team-a", "cc-1001", QUOTA, gpus)


@pytest.mark.parametrize("gpus", [False, True])
def test_tenant_dashboard_matches_the_dashboard_schema(gpus: bool) -> None:
    body = json.loads(tenant_dashboard(_spec(gpus)).to_json())
    jsonschema.validate(body, DASHBOARD_SCHEMA)
    for tile in body["mosaicLayout"]["tiles"]:
        assert tile["xPos"] + tile["width"] <= MOSAIC_COLUMNS


def test_tenant_dashboard_shows_ray_core_metrics_quota_use_and_costs() -> None:
    text = tenant_dashboard(_spec(gpus=True)).to_json()
    for metric in (
        "ray_tasks",
        "ray_actors",
        "ray_node_cpu_utilization",
        "ray_node_mem_used",
        "ray_object_store_memory",
        "ray_node_gpus_utilization",
    ):
        assert f'{metric}{{namespace=\\"team-a\\"}}' in text
    assert "/ 16" in text and "Pods / quota" in text
    assert "Cost drivers billed to cc-1001" in text and "l.key = 'cost-center' AND l.value = 'cc-1001'" in text


@pytest.mark.parametrize(
    "broken",
    [
        {"displayName": "d"},
        {"displayName": "d", "mosaicLayout": {"columns": 48, "tiles": []}, "gridLayout": {}},
        {"displayName": "d", "mosaicLayout": {"columns": 96, "tiles": []}},
        {
            "displayName": "d",
            "mosaicLayout": {
                "columns": 48,
                "tiles": [
                    {
                        "width": 1,
                        "height": 1,
                        "widget": {"xyChart": {"dataSets": [{"timeSeriesQuery": {"promQuery": "up"}}]}},
                    }
                ],
            },
        },
        {
            "displayName": "d",
            "mosaicLayout": {
                "columns": 48,
                "tiles": [{"width": 1, "height": 1, "widget": {"text": {"content": "x", "format": "HTML"}}}],
            },
        },
        {
            "displayName": "d",
            "mosaicLayout": {
                "columns": 48,
                "tiles": [
                    {
                        "width": 1,
                        "height": 1,
                        "widget": {"text": {}, "scorecard": {"timeSeriesQuery": {"prometheusQuery": "up"}}},
                    }
                ],
            },
        },
    ],
)
def test_the_schema_refuses_what_the_api_would(broken: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, DASHBOARD_SCHEMA)


def test_rows_share_the_grid_and_stack_down() -> None:
    tiles = Dashboard("d", (Row((Text("a", "a"), Text("b", "b")), 4), Row((Text("c", "c"),), 6))).tiles()
    assert [(t.x, t.y, t.width, t.height) for t in tiles] == [(0, 0, 24, 4), (24, 0, 24, 4), (0, 4, 48, 6)]


def test_dashboard_json_is_deterministic() -> None:
    assert tenant_dashboard(_spec()).to_json() == tenant_dashboard(_spec()).to_json()


# --- settings -----------------------------------------------------------------------------------


def _load(tmp_path: Path, audit: str, base: str = "dev") -> object:
    text = (ROOT / "environments" / f"{base}.yaml").read_text()
    start = text.index("\naudit:\n")
    end = text.index("\n\n", start + 1)
    path = tmp_path / "env.yaml"
    path.write_text(text[:start] + "\n" + audit.strip("\n") + text[end:])
    return load_environment(path)


def test_defaults_are_the_secure_ones() -> None:
    env = load_environment(ROOT / "environments" / "dev.yaml")
    assert env.audit.retention_days == 400 and env.audit.locked is True
    assert env.audit.bucket_project(env) == env.project_id and env.audit.bucket_location(env) == env.region


@pytest.mark.parametrize(
    ("audit", "says"),
    [
        (
            "audit:\n  notification_channels: [projects/other-project-01/notificationChannels/1]",
            "alert policies can only notify",
        ),
        ("audit:\n  notification_channels: [my-pager]", "must be a Cloud Monitoring notification channel"),
        ("audit:\n  retention_days: 4000", "less than or equal to 3650"),
        (
            "audit:\n  kms_key: projects/k-project-01/locations/us-east1/keyRings/r/cryptoKeys/k",
            "must be in the bucket's location",
        ),
        ("audit:\n  lock: false", "unknown key"),
    ],
)
def test_bad_audit_settings_are_refused_with_line_and_field(tmp_path: Path, audit: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as refused:
        _load(tmp_path, audit)
    assert "audit." in str(refused.value) and "line " in str(refused.value)


def test_a_key_project_the_org_policy_refuses_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gcp.restrictCmekCryptoKeyProjects refuses"):
        _load(
            tmp_path, "audit:\n  kms_key: projects/elsewhere-01/locations/europe-west4/keyRings/r/cryptoKeys/k", "prod"
        )


@pytest.mark.parametrize("audit", ["audit:\n  retention_days: 30", "audit:\n  locked: false"])
def test_shortening_or_unlocking_needs_a_waiver(tmp_path: Path, audit: str) -> None:
    env = _load(tmp_path, audit)
    refusal = RayfortRules(env.waivers, environment=env).judge_environment()
    assert refusal is not None and "RF043" in refusal.describe() and "audit/retention/bucket" in refusal.describe()
    waiver = {
        "rule": "RF043",
        "resource": "audit/retention/bucket",
        "reason": "a sandbox whose logs hold no customer data",
    }
    waived = env.model_copy(update={"waivers": [*env.waivers, type(env.waivers[0]).model_validate(waiver)]})
    assert RayfortRules(waived.waivers, environment=waived).judge_environment() is None
