"""cert-manager, which issues the tenants' Ray TLS certificates: namespace, network fence and pinned release.

The chart ships its CRDs as templates, not in a ``crds/`` folder, so Helm applies
and upgrades them with the release in the same atomic step; the reason KubeRay's
CRDs are applied separately (Helm never upgrades ``crds/``) does not hold here.
``skip_crds`` stays true (the chart has nothing in ``crds/``), and ``crds.keep``
keeps the CRDs if the release is ever uninstalled or replaced: removing them
would garbage-collect every tenant's Issuer and Certificate. (Rendering them
through ``helm_template`` like KubeRayCrds would also leave them unjudged: the
schema judge has reference CRDs for the KubeRay chart only.)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import yaml

from rayfort._cdk import Construct
from rayfort._providers import helm
from rayfort.config.cluster import CERT_MANAGER_COMPONENTS, CERT_MANAGER_IMAGE
from rayfort.k8s.manifest import KubernetesObject
from rayfort.k8s.namespace import restricted_namespace
from rayfort.k8s.network_policy import api_server_egress, dns_egress, pods_in
from rayfort.kuberay.chart import REGISTRY_USERNAME, release_safeguards
from rayfort.versions import CERT_MANAGER_VERSION

"""Chart and image version: the newest patch of the newest supported minor line, 1.21 (Kubernetes 1.33 included)."""
CHART_NAME = "cert-manager"
CHART_REPOSITORY = "https://charts.jetstack.io"
"""The public chart repository, used only when the environment has no mirror."""
NAMESPACE = "cert-manager"
RELEASE_NAME = "cert-manager"
"""Release name; the chart names its objects and labels its pods with it."""
IMAGE_PREFIX = CERT_MANAGER_IMAGE
COMPONENTS = CERT_MANAGER_COMPONENTS
WEBHOOK_PORT = 10250
"""The webhook's serving port; GKE's control plane may reach nodes on 10250 without an extra firewall rule."""
KONNECTIVITY_AGENT = ("kube-system", {"k8s-app": "konnectivity-agent"})
"""Where webhook calls come from on clusters whose control plane reaches pods through Konnectivity."""
_MANAGED = {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/part-of": "cert-manager"}

_POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
_CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def upstream_image(component: str) -> str:
    """The upstream image of one component at the pinned version."""
    return f"{IMAGE_PREFIX}{component}:{CERT_MANAGER_VERSION}"


@dataclass(frozen=True)
class ComponentResources:
    """Requests and limits of one cert-manager container."""

    cpu_request: str
    """Steady-state need."""
    memory: str
    """Request and limit alike, so the pod is never the first evicted for memory."""
    cpu_limit: str
    """Bounded, so a re-issuance storm cannot starve the node."""

    def as_chart_values(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory},
        }


@dataclass(frozen=True)
class CertManagerValues:
    """What rayfort sets in the chart; every default is the secure one."""

    image_repositories: tuple[tuple[str, str], ...] = tuple(
        (component, f"{IMAGE_PREFIX}{component}") for component in COMPONENTS
    )
    """(component, image repository) for every component; the mirror's copies when air-gapped."""
    replicas: int = 2
    """Controller, webhook and cainjector replicas; two, with a disruption budget, so a drain never stops issuance."""
    controller: ComponentResources = field(default_factory=lambda: ComponentResources("50m", "512Mi", "500m"))
    """The controller caches Certificates and their Secrets; memory grows with their number."""
    webhook: ComponentResources = field(default_factory=lambda: ComponentResources("20m", "128Mi", "200m"))
    """The webhook validates and defaults cert-manager objects."""
    cainjector: ComponentResources = field(default_factory=lambda: ComponentResources("20m", "256Mi", "200m"))
    """The cainjector writes the webhook's CA into the webhook configurations."""
    startupapicheck: ComponentResources = field(default_factory=lambda: ComponentResources("10m", "64Mi", "100m"))
    """The post-install Job that waits until the webhook answers."""

    def _image(self, component: str) -> dict[str, str]:
        repository = dict(self.image_repositories)[component]
        return {"repository": repository, "tag": CERT_MANAGER_VERSION, "pullPolicy": "IfNotPresent"}

    def _workload(self, component: str, resources: ComponentResources) -> dict[str, Any]:
        """Image, restricted security contexts and resources: the keys every component's pod shares."""
        return {
            "image": self._image(component),
            # Copies, so the YAML spells each context out instead of aliasing one.
            "securityContext": copy.deepcopy(_POD_SECURITY_CONTEXT),
            "containerSecurityContext": copy.deepcopy(_CONTAINER_SECURITY_CONTEXT),
            "resources": resources.as_chart_values(),
        }

    def _replicated(self) -> dict[str, Any]:
        return {"replicaCount": self.replicas, "podDisruptionBudget": {"enabled": True, "minAvailable": 1}}

    def as_chart_values(self) -> dict[str, Any]:
        """The values in the chart's own key names."""
        return {
            "crds": {"enabled": True, "keep": True},
            # Leader-election Leases in cert-manager's own namespace, so no Role is granted in kube-system.
            "global": {
                "leaderElection": {"namespace": NAMESPACE},
                # No cert-manager rights folded into the admin/edit/view roles tenants' users hold.
                "rbac": {"create": True, "aggregateClusterRoles": False},
            },
            **self._workload("controller", self.controller),
            **self._replicated(),
            "webhook": {
                **self._workload("webhook", self.webhook),
                **self._replicated(),
                "securePort": WEBHOOK_PORT,
                "hostNetwork": False,
                # The chart's own policies admit 0.0.0.0/0; cert_manager_network_policies replaces them.
                "networkPolicy": {"enabled": False},
            },
            "cainjector": {"enabled": True, **self._workload("cainjector", self.cainjector), **self._replicated()},
            "startupapicheck": {"enabled": True, **self._workload("startupapicheck", self.startupapicheck)},
            "acmesolver": {"image": self._image("acmesolver")},
        }

    def to_yaml(self) -> str:
        """The values as YAML with sorted keys, so the same settings always give the same bytes."""
        return yaml.safe_dump(self.as_chart_values(), sort_keys=True, default_flow_style=False)


def component_labels(component: str | None = None) -> dict[str, str]:
    """Labels the chart puts on the pods of the release, or of one of its components."""
    labels = {"app.kubernetes.io/instance": RELEASE_NAME}
    if component is not None:
        labels["app.kubernetes.io/component"] = component
    return labels


def _policy(name: str, pods: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(_MANAGED)},
        "spec": {"podSelector": {"matchLabels": pods} if pods else {}, **spec},
    }


def cert_manager_network_policies(control_plane_cidr: str) -> list[dict[str, Any]]:
    """Default deny, then exactly cert-manager's flows: its pods call the API server; the API server calls the webhook.

    Issuing from a CA or self-signed Issuer needs nothing else; ACME issuers, which
    would need the internet, stay blocked.
    """
    deny = _policy("default-deny", {}, {"policyTypes": ["Ingress", "Egress"]})
    api = _policy(
        "cert-manager-api-server",
        component_labels(),
        {
            "policyTypes": ["Egress"],
            "egress": [
                api_server_egress(control_plane_cidr),
                dns_egress(),
            ],
        },
    )
    webhook = _policy(
        "cert-manager-webhook",
        component_labels("webhook"),
        {
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": control_plane_cidr}}, pods_in(*KONNECTIVITY_AGENT)],
                    "ports": [{"protocol": "TCP", "port": WEBHOOK_PORT}],
                }
            ],
        },
    )
    return [deny, api, webhook]


@dataclass(frozen=True)
class CertManagerProps:
    """Inputs of CertManager."""

    control_plane_cidr: str
    """The control plane's private range: the webhook's only caller and the pods' API endpoint."""
    values: CertManagerValues = field(default_factory=CertManagerValues)
    """Typed chart values; upstream images by default."""
    repository: str = CHART_REPOSITORY
    """https:// chart repository, or the mirror's oci:// registry when air-gapped."""
    access_token: str | None = None
    """Token for an Artifact Registry OCI source; None for the public repository."""
    timeout_seconds: int = 600
    """How long Helm waits for the pods and the startup check before rolling back."""


class CertManager(Construct):
    """cert-manager in its own restricted namespace, fenced by network policies, from a pinned chart."""

    def __init__(self, scope: Construct, construct_id: str, props: CertManagerProps) -> None:
        super().__init__(scope, construct_id)
        self.values = props.values
        self.namespace = KubernetesObject(
            self, "namespace", restricted_namespace(NAMESPACE, {"app.kubernetes.io/part-of": "cert-manager"})
        )
        self.network_policies = [
            KubernetesObject(
                self,
                f"networkpolicy-{policy['metadata']['name']}",
                policy,
                depends_on=[self.namespace.manifest],
            )
            for policy in cert_manager_network_policies(props.control_plane_cidr)
        ]
        credentials: dict[str, Any] = {}
        if props.access_token is not None:
            credentials = {"repository_username": REGISTRY_USERNAME, "repository_password": props.access_token}
        self.release = helm.Release(
            self,
            "release",
            name=RELEASE_NAME,
            chart=CHART_NAME,
            repository=props.repository,
            version=CERT_MANAGER_VERSION,
            namespace=NAMESPACE,
            values=[props.values.to_yaml()],
            **release_safeguards(props.timeout_seconds),
            depends_on=[self.namespace.manifest, *(policy.manifest for policy in self.network_policies)],
            **credentials,
        )


# Where each component's settings sit in the chart's values: the controller at the top level.
COMPONENT_VALUES = {
    "controller": (),
    "webhook": ("webhook",),
    "cainjector": ("cainjector",),
    "startupapicheck": ("startupapicheck",),
}


def component_pod_specs(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pod spec the chart renders for each component from these values (contexts, resources, image)."""
    specs = {}
    for component, keys in COMPONENT_VALUES.items():
        node: dict[str, Any] = values
        for key in keys:
            node = node.get(key) or {}
        image = node.get("image") or {}
        container: dict[str, Any] = {"name": component, "image": f"{image.get('repository')}:{image.get('tag')}"}
        for key, target in (("containerSecurityContext", "securityContext"), ("resources", "resources")):
            if node.get(key):
                container[target] = node[key]
        spec: dict[str, Any] = {"containers": [container]}
        if node.get("securityContext"):
            spec["securityContext"] = node["securityContext"]
        specs[component] = spec
    return specs
