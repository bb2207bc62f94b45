"""Principals and service agents: one member syntax and one lookup of Google's service agents."""

from __future__ import annotations

from rayfort._cdk import App, TerraformStack
from rayfort.iam import Principal, ServiceAgents, storage_service_agent


def test_principals_carry_their_member_syntax_and_a_grant_name() -> None:
    assert Principal.service_account("a@p.iam.gserviceaccount.com", "a") == Principal(
        "serviceAccount:a@p.iam.gserviceaccount.com", "a"
    )
    assert Principal.group("ml@example.com", "ml").member == "group:ml@example.com"


def test_service_agents_are_addressed_by_project_number() -> None:
    agents = ServiceAgents("123")
    assert {name: getattr(agents, name).member for name in ("gke", "compute", "redis", "artifact_registry")} == {
        "gke": "serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com",
        "compute": "serviceAccount:service-123@compute-system.iam.gserviceaccount.com",
        "redis": "serviceAccount:service-123@cloud-redis.iam.gserviceaccount.com",
        "artifact_registry": "serviceAccount:service-123@gcp-sa-artifactregistry.iam.gserviceaccount.com",
    }
    assert agents.google_apis.member == "serviceAccount:123@cloudservices.gserviceaccount.com"
    assert len({agents.gke.name, agents.compute.name, agents.redis.name, agents.artifact_registry.name}) == 4


def test_project_number_and_storage_agent_are_read_at_plan_time() -> None:
    stack = TerraformStack(App(), "test")
    agents = ServiceAgents.read(stack, "project", "p-000000")
    assert agents.project_number.startswith("${TfToken")
    storage = storage_service_agent(stack, "storage-agent", "p-000000")
    assert storage.member.startswith("serviceAccount:${TfToken") and storage.name == "storage-agent"
