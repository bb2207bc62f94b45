"""dev, prod and airgapped synthesize with the audit trail, the alerts, the dashboards and a deploy record."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import pytest

from rayfort.audit.filters import AUDIT_CATEGORIES, KMS_KEY_LOGS, sink_filter
from rayfort.audit.logging_query import parse_filter
from rayfort.kms import IAM_PROPAGATION
from rayfort.lifecycle.order import deploy_order
from rayfort.stacks.audit import TENANT_DATA_SERVICES
from tests.audit.dashboard_schema import DASHBOARD_SCHEMA
from tests.conftest import SHIPPED, environment, resources

CHANNELS = {name: environment(name).audit.notification_channels for name in SHIPPED}


def _one(stack: dict, resource_type: str) -> tuple[str, dict]:
    (name, body), *rest = stack["resource"][resource_type].items()
    assert not rest, f"more than one {resource_type}"
    return name, body


@pytest.mark.parametrize("env", SHIPPED)
def test_audit_bucket_is_locked_with_cmek_and_waits_for_the_key_grant(synthesized, env: str) -> None:
    audit = synthesized[env]["audit"]
    _, bucket = _one(audit, "google_logging_project_bucket_config")
    settings = environment(env).audit
    assert bucket["locked"] is True and bucket["retention_days"] == settings.retention_days >= 400
    assert bucket["lifecycle"]["prevent_destroy"] is True
    key_name, _ = _one(audit, "google_kms_crypto_key")
    assert bucket["cmek_settings"]["kms_key_name"] == f"${{google_kms_crypto_key.{key_name}.id}}"
    grant_name, grant = _one(audit, "google_kms_crypto_key_iam_member")
    assert grant["crypto_key_id"] == f"${{google_kms_crypto_key.{key_name}.id}}"
    assert (
        grant["member"]
        == "serviceAccount:${data.google_logging_project_cmek_settings.logging-agent.service_account_id}"
    )
    # The bucket waits for the grant to propagate, like every other key user (rayfort.kms).
    (sleep_name, sleep), *others = [
        (name, body)
        for name, body in audit["resource"]["time_sleep"].items()
        if body["triggers"]["grant"] == f"${{google_kms_crypto_key_iam_member.{grant_name}.id}}"
    ]
    assert not others and sleep["create_duration"] == IAM_PROPAGATION
    assert bucket["depends_on"] == [f"time_sleep.{sleep_name}"]
    assert bucket["project"] == settings.bucket_project(environment(env))


@pytest.mark.parametrize("env", SHIPPED)
def test_the_sink_routes_every_audit_category_to_the_locked_bucket(synthesized, env: str) -> None:
    audit = synthesized[env]["audit"]
    bucket_name, _ = _one(audit, "google_logging_project_bucket_config")
    sinks = {body["name"]: body for body in resources(audit, "google_logging_project_sink")}
    main = sinks["rayfort-" + {"dev": "dev", "prod": "prod", "airgapped": "airgap"}[env] + "-audit"]
    assert main["filter"] == sink_filter() and parse_filter(main["filter"])
    assert all(f"({category.query})" in main["filter"] for category in AUDIT_CATEGORIES)
    assert main["destination"] == f"logging.googleapis.com/${{google_logging_project_bucket_config.{bucket_name}.id}}"
    assert main["unique_writer_identity"] is True and not main.get("disabled")
    assert main["project"] == environment(env).project_id


def test_prod_keeps_the_key_projects_trail_and_grants_writers_only_the_bucket(synthesized) -> None:
    audit = synthesized["prod"]["audit"]
    sinks = {body["project"]: body for body in resources(audit, "google_logging_project_sink")}
    assert sinks["rayfort-prod-kms-000000"]["filter"] == KMS_KEY_LOGS
    writers = resources(audit, "google_project_iam_member")
    assert len(writers) == 2 and {w["role"] for w in writers} == {"roles/logging.bucketWriter"}
    assert all(w["project"] == "rayfort-prod-audit-000000" for w in writers)
    assert all("resource.name.endsWith(" in w["condition"]["expression"] for w in writers)
    (scope,) = resources(audit, "google_monitoring_monitored_project")
    assert scope == {
        **scope,
        "metrics_scope": "locations/global/metricsScopes/rayfort-prod-000000",
        "name": "rayfort-prod-audit-000000",
    }
    # The audit project sits inside the perimeter: logging.googleapis.com is a restricted service.
    perimeter_projects = {
        key.removeprefix("perimeter-project-") for key in synthesized["prod"]["network"]["data"]["google_project"]
    }
    assert "rayfort-prod-audit-000000" in perimeter_projects


def test_dev_keeps_everything_in_its_project(synthesized) -> None:
    audit = synthesized["dev"]["audit"]
    assert not resources(audit, "google_project_iam_member")
    assert not resources(audit, "google_monitoring_monitored_project")


@pytest.mark.parametrize("env", SHIPPED)
def test_data_access_logs_cover_every_service_holding_tenant_data(synthesized, env: str) -> None:
    configs = {
        body["service"]: body for body in resources(synthesized[env]["audit"], "google_project_iam_audit_config")
    }
    assert set(configs) == set(TENANT_DATA_SERVICES)
    assert {
        "storage.googleapis.com",
        "redis.googleapis.com",
        "secretmanager.googleapis.com",
        "artifactregistry.googleapis.com",
    } == set(configs)
    for body in configs.values():
        assert {c["log_type"] for c in body["audit_log_config"]} == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
    gke_services = {body["service"] for body in resources(synthesized[env]["gke"], "google_project_iam_audit_config")}
    assert not gke_services & set(configs), "google_project_iam_audit_config is authoritative: one owner per service"


@pytest.mark.parametrize("env", SHIPPED)
def test_platform_alerts_notify_the_environments_channels(synthesized, env: str) -> None:
    audit = synthesized[env]["audit"]
    policies = {body["display_name"]: body for body in resources(audit, "google_monitoring_alert_policy")}
    assert len(policies) == 6
    metrics = {body["name"]: body for body in resources(audit, "google_logging_metric")}
    for policy in policies.values():
        assert policy["notification_channels"] == CHANNELS[env]
        assert policy["project"] == environment(env).project_id
        assert "**What to do" in policy["documentation"]["content"]
        assert policy["documentation"]["mime_type"] == "text/markdown"
        for condition in policy["conditions"]:
            promql = condition["condition_prometheus_query_language"]
            assert promql["query"] and promql["disable_metric_validation"] is True
        assert policy["depends_on"]
    for name, metric in metrics.items():
        parse_filter(metric["filter"])
        assert metric.get("bucket_name", "").startswith("${google_logging_project_bucket_config.") == (
            name != "rayfort_kuberay_operator_errors"
        )


@pytest.mark.parametrize("env", SHIPPED)
def test_each_tenant_has_its_alerts_and_a_valid_dashboard(synthesized, env: str) -> None:
    for tenant in environment(env).tenants:
        stack = synthesized[env][f"tenant-{tenant.name}"]
        policies = resources(stack, "google_monitoring_alert_policy")
        assert {p["display_name"].rsplit(": ", 1)[1] for p in policies} == {
            f"Ray head of {tenant.name} restarting or not ready",
            f"GCS fault-tolerance failover in {tenant.name}",
            f"Tenant {tenant.name} above 90% of its quota",
        }
        assert all(p["notification_channels"] == CHANNELS[env] for p in policies)
        (dashboard,) = resources(stack, "google_monitoring_dashboard")
        body = json.loads(dashboard["dashboard_json"].replace("$${", "${"))
        jsonschema.validate(body, DASHBOARD_SCHEMA)
        assert body["labels"] == {"rayfort-tenant": tenant.name, "cost-center": tenant.cost_center}


@pytest.mark.parametrize("env", SHIPPED)
def test_every_stack_records_the_review_it_was_deployed_with(synthesized, shipped_outdirs, env: str) -> None:
    for stack_id, stack in synthesized[env].items():
        variable = stack["variable"]["rayfort_review"]
        assert variable["type"] == "string" and "default" not in variable
        (record,) = resources(stack, "terraform_data")
        conditions = [p["condition"] for p in record["lifecycle"]["precondition"]]
        assert conditions[0] == '${jsondecode(var.rayfort_review).verdict == "pass"}'
        assert f'lookup(jsondecode(var.rayfort_review).stacks, "{stack_id}", "")' in conditions[1]
        assert 'filesha256("${path.module}/cdk.tf.json")' in conditions[1]
        assert stack["output"]["deploy_record"]["value"] == "${var.rayfort_review}"
        assert (shipped_outdirs[env] / "stacks" / stack_id / "cdk.tf.json").is_file()


def test_audit_deploys_after_network_and_before_the_cluster(shipped_outdirs) -> None:
    manifest = json.loads((shipped_outdirs["dev"] / "manifest.json").read_text())
    assert "audit" in manifest["stacks"]["gke"]["dependencies"]
    assert manifest["stacks"]["audit"]["dependencies"] == ["network"]
    assert deploy_order(manifest)[:3] == ["network", "audit", "gke"]


def test_the_record_matches_what_terraform_hashes(shipped_outdirs, tmp_path) -> None:
    import shutil

    from rayfort_tools.review.gate import Verdict
    from rayfort_tools.review.record import deploy_record, write_record
    from rayfort_tools.review.synth_output import SynthOutput

    out = tmp_path / "cdktf.out"
    shutil.copytree(shipped_outdirs["prod"], out)
    output = SynthOutput.load(out)
    record = deploy_record(output, Verdict(), "prod", "# review")
    assert record["verdict"] == "pass" and deploy_record(output, Verdict(unwaived=["x"]), "prod")["verdict"] == "fail"
    # Failures of a judge make judge treats as advisory are recorded, and do not refuse the deploy.
    failed = Verdict(failed_checks=["deployability: prod: [trust] x", "checkov: CKV_X"])
    assert deploy_record(output, failed, "prod")["verdict"] == "fail"
    advisory = deploy_record(
        output, Verdict(failed_checks=failed.failed_checks[:1]), "prod", "", frozenset({"deployability"})
    )
    assert advisory["verdict"] == "pass" and advisory["advisory_failures"] == ["deployability: prod: [trust] x"]
    blocked = deploy_record(output, failed, "prod", "", frozenset({"deployability"}))
    assert blocked["verdict"] == "fail" and blocked["failed_checks"] == ["checkov: CKV_X"]
    for stack in output.stacks:
        digest = hashlib.sha256((out / "stacks" / stack / "cdk.tf.json").read_bytes()).hexdigest()
        assert record["stacks"][stack] == digest
    written = write_record(output, record)
    value = json.loads(written[0].read_text())["rayfort_review"]
    assert json.loads(value) == record and written[0].name == "rayfort-review.auto.tfvars.json"
