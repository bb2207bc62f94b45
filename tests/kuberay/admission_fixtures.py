"""Objects a team might submit: compliant ones, written by hand as a team would, not by rayfort's builders.

The namespaces they are submitted in are the platform's: ``platform_namespace`` is what a tenant's stack
writes, annotations included, which the API server hands the policies as ``namespaceObject``.
"""

from __future__ import annotations

import copy
from typing import Any

from rayfort.config import Environment
from rayfort.config.tenant import TenantSettings
from rayfort.kuberay.admission.node_pools import node_placement
from rayfort.tenant.namespace import tenant_namespace

TENANT = "team-a"
RAY_IMAGE = "docker.io/rayproject/ray:2.52.1-py311"
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
SMALL = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}
TLS_ENV = [
    {"name": "RAY_USE_TLS", "value": "1"},
    {"name": "RAY_TLS_SERVER_CERT", "value": "/etc/ray/tls/tls.crt"},
    {"name": "RAY_TLS_SERVER_KEY", "value": "/etc/ray/tls/tls.key"},
    {"name": "RAY_TLS_CA_CERT", "value": "/etc/ray/tls/ca.crt"},
]


def platform_namespace(env: Environment, tenant: str | TenantSettings = TENANT) -> dict[str, Any]:
    """The tenant's Namespace as its stack writes it from the environment (a name, or settings edited from it)."""
    settings = tenant if isinstance(tenant, TenantSettings) else next(t for t in env.tenants if t.name == tenant)
    return tenant_namespace(settings, node_placement(env, settings.name))


def namespace(tenant: str = TENANT, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A tenant-labelled namespace without the platform's annotations (or with only ``annotations``): the
    policies hold it to their strictest."""
    metadata: dict[str, Any] = {"name": tenant, "labels": {"rayfort.dev/tenant": tenant}}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _pod_template(role: str, image: str = RAY_IMAGE) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"rayfort.dev/tenant": TENANT}},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [
                {
                    "name": "ray-tls-cert",
                    "image": image,
                    "command": ["bash", "-c", "sign-leaf.sh"],
                    "securityContext": dict(RESTRICTED),
                    "resources": copy.deepcopy(SMALL),
                }
            ],
            "containers": [
                {
                    "name": f"ray-{role}",
                    "image": image,
                    "env": copy.deepcopy(TLS_ENV),
                    "securityContext": dict(RESTRICTED),
                    "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "1", "memory": "4Gi"}},
                }
            ],
        },
    }


def cluster_spec() -> dict[str, Any]:
    """A short-lived cluster a team starts itself: autoscaling, one worker group, token auth, TLS."""
    return {
        "rayVersion": "2.52.1",
        "authOptions": {"mode": "token"},
        "enableInTreeAutoscaling": True,
        "autoscalerOptions": {"securityContext": dict(RESTRICTED), "resources": copy.deepcopy(SMALL)},
        "headGroupSpec": {"serviceType": "ClusterIP", "rayStartParams": {}, "template": _pod_template("head")},
        "workerGroupSpecs": [
            {
                "groupName": "cpu",
                "replicas": 1,
                "minReplicas": 0,
                "maxReplicas": 2,
                "rayStartParams": {},
                "template": _pod_template("worker"),
            }
        ],
    }


def ray_cluster() -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "scratch", "namespace": TENANT},
        "spec": cluster_spec(),
    }


def ray_job_on_platform_cluster() -> dict[str, Any]:
    """The default path: a job on the team's platform cluster, submitted by the operator over HTTP."""
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayJob",
        "metadata": {"name": "pi", "namespace": TENANT},
        "spec": {
            "clusterSelector": {"ray.io/cluster": TENANT},
            "submissionMode": "HTTPMode",
            "entrypoint": "python -c 'import ray; ray.init(); print(ray.cluster_resources())'",
        },
    }


def ray_job_with_cluster() -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayJob",
        "metadata": {"name": "train", "namespace": TENANT},
        "spec": {
            "submissionMode": "HTTPMode",
            "entrypoint": "python train.py",
            "shutdownAfterJobFinishes": True,
            "rayClusterSpec": cluster_spec(),
        },
    }


def ray_service() -> dict[str, Any]:
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {"name": "scoring", "namespace": TENANT},
        "spec": {
            "serveConfigV2": "applications: []\n",
            "serveService": {"spec": {"type": "ClusterIP", "ports": [{"name": "serve", "port": 8000}]}},
            "rayClusterConfig": cluster_spec(),
        },
    }


def submitter_template() -> dict[str, Any]:
    """A K8sJobMode submitter pod that Pod Security admits."""
    return {
        "metadata": {"labels": {"rayfort.dev/tenant": TENANT}},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "ray-job-submitter",
                    "image": RAY_IMAGE,
                    "securityContext": dict(RESTRICTED),
                    "resources": copy.deepcopy(SMALL),
                }
            ],
        },
    }


def service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "scoring", "namespace": TENANT},
        "spec": {"selector": {"ray.io/cluster": "scoring"}, "ports": [{"port": 8000, "targetPort": 8000}], **spec},
    }


def internal_load_balancer(**spec: Any) -> dict[str, Any]:
    svc = service(**{"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.200.0.0/24"], **spec})
    svc["metadata"]["annotations"] = {"networking.gke.io/load-balancer-type": "Internal"}
    return svc
