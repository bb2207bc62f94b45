"""Every Kubernetes object a deployment puts in the cluster, where it goes, and which kinds exist when.

Objects come from ``kubernetes_manifest`` (literal, or one per ``for_each``
value of a chart's rendered files), from the native ``kubernetes_*`` resources,
and from each ``helm_release``, rendered with the real chart and the release's
values (the release itself is a Secret in its namespace).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rayfort_tools.judges.deployability import helm
from rayfort_tools.judges.deployability.terraform import UNKNOWN, Deployment, Stack, step_into
from rayfort_tools.judges.reference import ReferenceMissing, reference_dir

# Cluster-scoped kinds of Kubernetes 1.33 itself (every other built-in kind is namespaced).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)

NO_NAMESPACE: Any = type("NoNamespace", (), {"__repr__": lambda self: "<no namespace>"})()
"""A kubernetes_manifest without metadata.namespace: the provider refuses it for a namespaced kind."""

# Namespaces every GKE cluster has before any stack runs (gmp-*: Managed Service for Prometheus).
CLUSTER_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease", "gmp-public", "gmp-system"})


def is_builtin_group(group: str) -> bool:
    """Groups Kubernetes serves itself: core, un-dotted (apps, policy) and *.k8s.io, except the CRD-based ones."""
    if group in {"gateway.networking.k8s.io", "snapshot.storage.k8s.io"} or group.endswith(".x-k8s.io"):
        return False
    return "." not in group or group.endswith(".k8s.io")


@dataclass(frozen=True)
class ClusterFeature:
    """Kinds GKE serves on a cluster whose configuration turns the feature on (GKE documentation)."""

    group: str
    kinds: frozenset[str] | None
    """None: every kind of the group."""
    enabled: Callable[[dict], bool]
    feature: str


def _setting(cluster: dict, path: str) -> Any:
    return step_into(cluster, path.split("."))


def _on(path: str) -> Callable[[dict], bool]:
    return lambda cluster: _setting(cluster, path) is True


def _gateway_api(cluster: dict) -> bool:
    return _setting(cluster, "gateway_api_config.channel") in {"CHANNEL_STANDARD", "CHANNEL_EXPERIMENTAL"}


def _http_load_balancing(cluster: dict) -> bool:
    return _setting(cluster, "addons_config.http_load_balancing.disabled") is not True


CLUSTER_FEATURES = (
    ClusterFeature("cloud.google.com", frozenset({"BackendConfig"}), _http_load_balancing, "HTTP load balancing"),
    ClusterFeature(
        "networking.gke.io",
        frozenset({"ManagedCertificate", "FrontendConfig"}),
        _http_load_balancing,
        "HTTP load balancing",
    ),
    ClusterFeature(
        "networking.gke.io",
        frozenset({"GCPBackendPolicy", "HealthCheckPolicy", "GCPGatewayPolicy"}),
        _gateway_api,
        "gateway_api_config",
    ),
    ClusterFeature("gateway.networking.k8s.io", None, _gateway_api, "gateway_api_config"),
    ClusterFeature(
        "monitoring.googleapis.com", None, _on("monitoring_config.managed_prometheus.enabled"), "managed Prometheus"
    ),
    ClusterFeature("secrets-store.csi.x-k8s.io", None, _on("secret_manager_config.enabled"), "secret_manager_config"),
    ClusterFeature("ray.io", None, _on("addons_config.ray_operator_config.enabled"), "ray_operator_config"),
)


@dataclass(frozen=True)
class Placement:
    """One object applied by one Terraform block of one stack."""

    stack: str
    address: str
    obj: dict
    namespace: Any
    """Literal namespace; None when cluster-scoped; UNKNOWN when the judge cannot compute it."""
    via: str = ""
    """How the object gets there beyond the block itself (a chart rendering), for messages."""
    after: frozenset[str] = field(default_factory=frozenset)
    """Blocks the applying block waits for in its stack."""

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        metadata = self.obj.get("metadata") or {}
        return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""

    def describe(self) -> str:
        where = f"{self.namespace}/" if isinstance(self.namespace, str) else ""
        return f"{self.kind} {where}{self.name}" + (f" ({self.via})" if self.via else "")


@dataclass(frozen=True)
class Problem:
    """An object source the judge could not read completely, or a chart it cannot vouch for."""

    stack: str
    address: str
    message: str


@dataclass
class Cluster:
    """Every object of a deployment, and the CRDs it installs."""

    placements: list[Placement]
    problems: list[Problem]
    crd_scopes: dict[tuple[str, str], str]
    """(group, kind) -> "Namespaced" | "Cluster", from every CRD the judge knows of."""
    crd_names: dict[tuple[str, str], str]
    """(group, kind) -> CRD name (``<plural>.<group>``)."""

    def crd_name(self, group: str, kind: str) -> str:
        return self.crd_names.get((group, kind), f"{kind.lower()}s.{group}")

    def cluster_scoped(self, placement: Placement) -> bool:
        scope = self.crd_scopes.get((placement.group, placement.kind))
        if scope is not None:
            return scope == "Cluster"
        return placement.kind in CLUSTER_SCOPED_KINDS and is_builtin_group(placement.group)

    def crds(self) -> Iterator[tuple[Placement, str, str]]:
        """(placement, group, kind) of every CRD the deployment applies."""
        for placement in self.placements:
            if placement.kind == "CustomResourceDefinition":
                spec = placement.obj.get("spec") or {}
                yield placement, str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))


def read_cluster(deployment: Deployment) -> Cluster:
    placements: list[Placement] = []
    problems: list[Problem] = []
    for stack in deployment.stacks.values():
        for address, body in stack.resources():
            resource_type = address.split(".")[0]
            after = stack.dependencies(address)
            if resource_type == "kubernetes_manifest":
                _manifest(stack, address, body, after, placements, problems)
            elif resource_type == "helm_release":
                _release(stack, address, body, after, placements, problems)
            elif resource_type.startswith("kubernetes_"):
                _native(stack, address, body, after, placements)
    known = _reference_crds()
    cluster = Cluster(placements, problems, {gk: scope for gk, scope, _ in known}, {gk: name for gk, _, name in known})
    for placement, group, kind in cluster.crds():
        cluster.crd_scopes[(group, kind)] = str((placement.obj.get("spec") or {}).get("scope", "Namespaced"))
        cluster.crd_names[(group, kind)] = placement.name
    # Namespaces of rendered objects without one are the release's; literal ones are already set.
    cluster.placements = [_scoped(cluster, placement) for placement in placements]
    return cluster


def _scoped(cluster: Cluster, placement: Placement) -> Placement:
    if cluster.cluster_scoped(placement):
        return Placement(placement.stack, placement.address, placement.obj, None, placement.via, placement.after)
    return placement


def _namespace(stack: Stack, obj: dict, owner: str, default: Any) -> Any:
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if "namespace" not in metadata:
        return default
    value = stack.literal(metadata["namespace"], owner)
    return value if isinstance(value, str) else UNKNOWN


def _manifest(
    stack: Stack, address: str, body: dict, after: frozenset, placements: list, problems: list[Problem]
) -> None:
    manifest = body.get("manifest")
    if isinstance(manifest, dict):
        placements.append(
            Placement(stack.name, address, manifest, _namespace(stack, manifest, address, NO_NAMESPACE), "", after)
        )
        return
    for obj, via in _for_each_objects(stack, address, body, problems):
        placements.append(
            Placement(stack.name, address, obj, _namespace(stack, obj, address, NO_NAMESPACE), via, after)
        )


_FILTER_KIND = re.compile(r"\.kind\s*==\s*\"(?P<kind>\w+)\"")


def _for_each_objects(stack: Stack, address: str, body: dict, problems: list[Problem]) -> Iterator[tuple[dict, str]]:
    """The objects of a ``manifest = each.value`` block: a chart's rendered files, or a literal map."""
    for_each = body.get("for_each")
    if body.get("manifest") != "${each.value}" or for_each is None:
        problems.append(Problem(stack.name, address, "manifest is an expression the judge cannot read"))
        return
    literal = stack.literal(for_each)
    if isinstance(literal, dict) and all(isinstance(v, dict) for v in literal.values()):
        for key, obj in literal.items():
            yield obj, f"for_each key {key}"
        return
    templates = [ref for ref in stack.refs(for_each) if ref.type == "helm_template" and ref.path]
    if len(templates) != 1:
        problems.append(Problem(stack.name, address, "for_each is an expression the judge cannot read"))
        return
    template = templates[0]
    wants_crds = template.path[0] == "crds"
    rendered = _render_block(stack, template.address, stack.blocks[template.address], problems, wants_crds)
    if rendered is None:
        return
    documents = rendered.crds if template.path[0] == "crds" else rendered.templates
    wanted = _FILTER_KIND.search(str(for_each))
    for document in documents:
        if wanted is None or document.get("kind") == wanted["kind"]:
            yield (
                document,
                f"{template.path[0]} of {template.address}, chart {rendered.chart.name} {rendered.chart.version}",
            )


def _release(
    stack: Stack, address: str, body: dict, after: frozenset, placements: list, problems: list[Problem]
) -> None:
    namespace = stack.literal(body.get("namespace", "default"), address)
    namespace = namespace if isinstance(namespace, str) else UNKNOWN
    name = stack.literal(body.get("name"), address)
    record = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"sh.helm.release.v1.{name}.v1"}}
    placements.append(Placement(stack.name, address, record, namespace, "the release record", after))
    rendered = _render_block(stack, address, body, problems, include_crds=not body.get("skip_crds"))
    if rendered is None:
        return
    via = f"rendered by chart {rendered.chart.name} {rendered.chart.version}"
    documents = [*rendered.templates, *rendered.crds]
    for document in documents:
        placements.append(
            Placement(stack.name, address, document, _namespace(stack, document, address, namespace), via, after)
        )


def _render_block(
    stack: Stack, address: str, body: dict, problems: list[Problem], include_crds: bool
) -> helm.Rendered | None:
    """Render a helm_release or helm_template with its reference chart; None (and a problem) when impossible."""
    chart_name = str(body.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    try:
        chart = helm.reference_chart(chart_name)
    except ReferenceMissing as missing:
        problems.append(Problem(stack.name, address, f"chart {chart_name} cannot be rendered: {missing}"))
        return None
    pinned = str(body.get("version", ""))
    if pinned.lstrip("v") != chart.version.lstrip("v"):
        problems.append(
            Problem(
                stack.name,
                address,
                f"pins chart {chart_name} {pinned or '(no version)'}, but the reference chart is {chart.version}: "
                "its objects are judged as that version renders them",
            )
        )
    values: dict = {}
    for document in body.get("values") or []:
        literal = stack.literal(document, address)
        loaded = helm.load_yaml(literal if isinstance(literal, str) else document) or {}
        _merge(values, loaded)
    strings = {}
    for setting in _as_list(body.get("set")):
        _assign(values, str(setting.get("name", "")), setting.get("value"), setting.get("type") == "string", strings)
    namespace = stack.literal(body.get("namespace", "default"), address)
    name = stack.literal(body.get("name", chart_name), address)
    try:
        return helm.render(
            chart,
            name if isinstance(name, str) else chart_name,
            namespace if isinstance(namespace, str) else "default",
            values,
            strings,
            include_crds,
        )
    except helm.RenderFailed as failed:
        problems.append(Problem(stack.name, address, str(failed)))
        return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _merge(into: dict, update: dict) -> None:
    """Helm's merge of values files: maps merge, anything else replaces."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _assign(values: dict, name: str, value: Any, as_string: bool, strings: dict[str, str]) -> None:
    if as_string or not re.fullmatch(r"[\w.-]+", name):
        strings[name] = str(value)
        return
    *parents, leaf = name.split(".")
    node = values
    for parent in parents:
        node = node.setdefault(parent, {})
    node[leaf] = helm.load_yaml(str(value)) if isinstance(value, str) else value


def native_kind(resource_type: str) -> str:
    """The kind a native kubernetes_* resource or data source stands for (kubernetes_cluster_role_v1: ClusterRole)."""
    words = re.sub(r"_v\d+$", "", resource_type.removeprefix("kubernetes_")).split("_")
    return "".join(word.capitalize() for word in words)


def _native(stack: Stack, address: str, body: dict, after: frozenset, placements: list) -> None:
    """A native kubernetes_* resource as the object it creates (kind from the resource type)."""
    resource_type = address.split(".")[0]
    kind = native_kind(resource_type)
    metadata = body.get("metadata")
    metadata = metadata[0] if isinstance(metadata, list) and metadata else metadata
    if not isinstance(metadata, dict):
        return  # data-plane helpers (kubernetes_labels, ...) and annotations carry no object of their own
    obj = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    placements.append(
        Placement(stack.name, address, obj, _namespace(stack, obj, address, "default"), resource_type, after)
    )


@functools.cache
def _reference_crds() -> tuple[tuple[tuple[str, str], str, str], ...]:
    """((group, kind), scope, CRD name) of the reference data's CRDs, for kinds whose CRD no stack applies."""
    root = reference_dir()
    if root is None:
        return ()
    found = []
    for path in sorted([*root.glob("crds/*.yaml"), *root.glob("kuberay-v*/crd/*.yaml")]):
        for document in helm.load_objects(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                spec = document["spec"]
                found.append(
                    (
                        (spec["group"], spec["names"]["kind"]),
                        spec.get("scope", "Namespaced"),
                        document["metadata"]["name"],
                    )
                )
    return tuple(found)


def clusters(deployment: Deployment) -> Iterator[tuple[Stack, str, dict]]:
    """(stack, address, configuration) of every GKE cluster the deployment creates."""
    for stack in deployment.stacks.values():
        for address, body in stack.resources("google_container_cluster"):
            yield stack, address, stack.literal(body, address)


def provided_by_cluster(deployment: Deployment, stack: str, group: str, kind: str) -> str | None:
    """The GKE feature serving this kind on a cluster created before ``stack``; None when there is none."""
    for cluster_stack, _address, config in clusters(deployment):
        if not deployment.before(cluster_stack.name, stack):
            continue
        for feature in CLUSTER_FEATURES:
            if feature.group == group and (feature.kinds is None or kind in feature.kinds) and feature.enabled(config):
                return feature.feature
    return None


def creates_namespace(placement: Placement) -> str | None:
    """The namespace an object creates, if it is a Namespace."""
    return placement.name if placement.kind == "Namespace" and is_builtin_group(placement.group) else None


def release_creates_namespace(stack: Stack) -> Iterator[tuple[str, str]]:
    """(address, namespace) of every helm_release that creates its own namespace."""
    for address, body in stack.resources("helm_release"):
        if body.get("create_namespace") is True:
            namespace = stack.literal(body.get("namespace", "default"), address)
            if isinstance(namespace, str):
                yield address, namespace
