"""Pod Security Standards *restricted* checker for the pods rayfort makes.

rayfort's namespaces enforce ``restricted``; a manifest that fails it is only
discovered when the apiserver (or the KubeRay operator, for pods it creates
later) is refused. This judge evaluates manifests before they are applied, the
way the upstream admission library evaluates a pod at the ``latest`` policy
version (``PROFILE_VERSION``): every baseline check, with the baseline checks
that restricted overrides replaced by their restricted variants.

It also renders the containers KubeRay injects that are not in any template
(the in-tree autoscaler and the default RayJob submitter), because those are
refused in a restricted namespace just the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PROFILE_VERSION = "v1.37"

_CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")

_SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ping_group_range",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_notsent_lowat",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.tcp_wmem",
    }
)
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_ALLOWED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_CONFINED_PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
_APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"

_TEMPLATE_FIELDS = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
# The autoscalerOptions fields KubeRay copies onto the autoscaler container.
_AUTOSCALER_CONTAINER_FIELDS = (
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "resources",
    "env",
    "envFrom",
    "volumeMounts",
    "securityContext",
)


@dataclass(frozen=True)
class Violation:
    """One way a pod breaks the restricted profile, and the field to change."""

    check: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.check}]"


def check_pod_spec(
    pod_spec: Mapping[str, Any],
    *,
    where: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Restricted-profile violations of one pod spec found at ``where``.

    ``metadata`` is the pod (template) metadata: AppArmor can still be set
    through its annotations.
    """
    return _evaluate(_Pod.of(pod_spec, metadata, where))


def pod_templates(obj: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod spec a Kubernetes or ray.io object will create pods from.

    Injected KubeRay containers are included, so the spec yielded for a Ray
    head is the one the operator will actually submit.
    """
    for pod in _pods(obj):
        yield pod.spec_path, pod.rendered_spec()


def check_object(obj: Mapping[str, Any]) -> list[Violation]:
    """Restricted-profile violations of every pod an object will create."""
    return [violation for pod in _pods(obj) for violation in _evaluate(pod)]


def check_operator_values(values: Mapping[str, Any]) -> list[Violation]:
    """Violations of the operator pod the kuberay-operator chart renders.

    Paths name the values keys to change (``securityContext.*`` for the
    operator container, ``podSecurityContext.*`` for the pod).
    """
    container: dict[str, Any] = {
        "name": "kuberay-operator",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/metrics", "port": "http"}},
        "readinessProbe": {"httpGet": {"path": "/metrics", "port": "http"}},
    }
    for key in ("securityContext", "env", "resources"):
        if values.get(key):
            container[key] = values[key]
    spec: dict[str, Any] = {"containers": [container], "volumes": _operator_volumes(values)}
    if values.get("podSecurityContext"):
        spec["securityContext"] = values["podSecurityContext"]
    pod = _Pod(
        spec=spec,
        annotations=_mapping(values.get("annotations")),
        spec_path="",
        metadata_path="annotations",
        context_path="podSecurityContext",
        listed=(_Container("", container),),
    )
    return _evaluate(pod)


def _operator_volumes(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The volumes the chart adds for file logging and the config map."""
    logging = _mapping(values.get("logging"))
    volumes: list[dict[str, Any]] = []
    if logging.get("baseDir") and logging.get("fileName"):
        size = logging.get("sizeLimit")
        volumes.append({"name": "kuberay-logs", "emptyDir": {"sizeLimit": size} if size else {}})
    if _mapping(values.get("configuration")).get("enabled"):
        volumes.append({"name": "operator-config", "configMap": {"name": "kuberay-operator-config"}})
    return volumes


@dataclass(frozen=True)
class _Container:
    path: str
    fields: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.fields.get("name", "?"))

    @property
    def security_context(self) -> Mapping[str, Any]:
        return _mapping(self.fields.get("securityContext"))

    def at(self, field: str) -> str:
        return _join(self.path, field)


@dataclass(frozen=True)
class _Pod:
    """A pod as admission sees it, and which manifest field each part came from."""

    spec: Mapping[str, Any]
    annotations: Mapping[str, Any]
    spec_path: str
    metadata_path: str
    context_path: str
    listed: tuple[_Container, ...]
    injected: tuple[_Container, ...] = ()

    @classmethod
    def of(
        cls,
        spec: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        where: str,
        injected: tuple[_Container, ...] = (),
    ) -> _Pod:
        listed = tuple(
            _Container(_join(where, f"{kind}[{index}]"), _mapping(fields))
            for kind in _CONTAINER_KINDS
            for index, fields in enumerate(_sequence(spec.get(kind)))
        )
        return cls(
            spec=spec,
            annotations=_mapping(_mapping(metadata).get("annotations")),
            spec_path=where,
            metadata_path=_join(_template_path(where), "metadata.annotations"),
            context_path=_join(where, "securityContext"),
            listed=listed,
            injected=injected,
        )

    @property
    def containers(self) -> tuple[_Container, ...]:
        return self.listed + self.injected

    @property
    def security_context(self) -> Mapping[str, Any]:
        return _mapping(self.spec.get("securityContext"))

    @property
    def is_windows(self) -> bool:
        """Restricted exempts Windows pods from the Linux-only checks."""
        return _mapping(self.spec.get("os")).get("name") == "windows"

    @property
    def in_user_namespace(self) -> bool:
        """Root inside a user namespace is not root on the node."""
        return self.spec.get("hostUsers") is False

    def at(self, field: str) -> str:
        return _join(self.spec_path, field)

    def in_context(self, field: str) -> str:
        return _join(self.context_path, field)

    def security_contexts(self, field: str) -> Iterator[tuple[str, Mapping[str, Any], str]]:
        """(path of ``field``, security context, who) for the pod and each container."""
        yield self.in_context(field), self.security_context, "pod"
        for c in self.containers:
            yield c.at(f"securityContext.{field}"), c.security_context, f'container "{c.name}"'

    def rendered_spec(self) -> dict[str, Any]:
        """The pod spec with the injected containers appended, as KubeRay does."""
        spec = dict(self.spec)
        if self.injected:
            spec["containers"] = [
                *_sequence(spec.get("containers")),
                *(c.fields for c in self.injected),
            ]
        return spec


def _evaluate(pod: _Pod) -> list[Violation]:
    return [violation for check in _CHECKS for violation in check(pod)]


def _host_namespaces(pod: _Pod) -> Iterator[Violation]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(field) is True:
            yield Violation("hostNamespaces", pod.at(field), f"{field}=true shares the node's namespace")


def _privileged(pod: _Pod) -> Iterator[Violation]:
    for c in pod.containers:
        if c.security_context.get("privileged") is True:
            yield Violation(
                "privileged",
                c.at("securityContext.privileged"),
                f'container "{c.name}" must not set securityContext.privileged=true',
            )


def _capabilities(pod: _Pod) -> Iterator[Violation]:
    if pod.is_windows:
        return
    for c in pod.containers:
        capabilities = _mapping(c.security_context.get("capabilities"))
        if "ALL" not in _sequence(capabilities.get("drop")):
            yield Violation(
                "capabilities_restricted",
                c.at("securityContext.capabilities.drop"),
                f'container "{c.name}" must set securityContext.capabilities.drop=["ALL"]',
            )
        for index, capability in enumerate(_sequence(capabilities.get("add"))):
            if capability != "NET_BIND_SERVICE":
                yield Violation(
                    "capabilities_restricted",
                    c.at(f"securityContext.capabilities.add[{index}]"),
                    f'container "{c.name}" may only add NET_BIND_SERVICE, not {capability!r}',
                )


def _restricted_volumes(pod: _Pod) -> Iterator[Violation]:
    for index, volume in enumerate(_sequence(pod.spec.get("volumes"))):
        volume = _mapping(volume)
        # A volume with no source is defaulted to emptyDir by the apiserver.
        for source in sorted(k for k, v in volume.items() if k != "name" and v is not None):
            if source not in _ALLOWED_VOLUME_SOURCES:
                yield Violation(
                    "restrictedVolumes",
                    pod.at(f"volumes[{index}].{source}"),
                    f'volume "{volume.get("name", "?")}" uses restricted volume type {source!r}',
                )


def _host_ports(pod: _Pod) -> Iterator[Violation]:
    for c in pod.containers:
        for index, port in enumerate(_sequence(c.fields.get("ports"))):
            host_port = _mapping(port).get("hostPort")
            if host_port:
                yield Violation(
                    "hostPorts",
                    c.at(f"ports[{index}].hostPort"),
                    f'container "{c.name}" must not bind host port {host_port}',
                )


def _apparmor(pod: _Pod) -> Iterator[Violation]:
    for key, value in sorted(pod.annotations.items()):
        if key.startswith(_APPARMOR_ANNOTATION_PREFIX) and not _confining_annotation(value):
            yield Violation(
                "appArmorProfile",
                f'{pod.metadata_path}["{key}"]',
                f"AppArmor annotation must be runtime/default or localhost/*, not {value!r}",
            )
    for path, context, who in pod.security_contexts("appArmorProfile"):
        profile = context.get("appArmorProfile")
        if profile is not None and _mapping(profile).get("type") not in _CONFINED_PROFILE_TYPES:
            yield Violation(
                "appArmorProfile",
                f"{path}.type",
                f"{who} must set appArmorProfile.type to RuntimeDefault or Localhost",
            )


def _confining_annotation(value: Any) -> bool:
    return value in ("", "runtime/default") or (isinstance(value, str) and value.startswith("localhost/"))


def _selinux(pod: _Pod) -> Iterator[Violation]:
    for path, context, who in pod.security_contexts("seLinuxOptions"):
        options = _mapping(context.get("seLinuxOptions"))
        if options.get("type", "") not in _SELINUX_TYPES:
            yield Violation(
                "seLinuxOptions",
                f"{path}.type",
                f"{who} must not set SELinux type {options['type']!r}",
            )
        for field in ("user", "role"):
            if options.get(field):
                yield Violation("seLinuxOptions", f"{path}.{field}", f"{who} must not set a SELinux {field}")


def _proc_mount(pod: _Pod) -> Iterator[Violation]:
    for c in pod.containers:
        proc_mount = c.security_context.get("procMount")
        if proc_mount not in (None, "Default"):
            yield Violation(
                "procMount_restricted",
                c.at("securityContext.procMount"),
                f'container "{c.name}" must not set procMount to {proc_mount!r}',
            )


def _seccomp(pod: _Pod) -> Iterator[Violation]:
    if pod.is_windows:
        return
    pod_profile = pod.security_context.get("seccompProfile")
    if pod_profile is not None and _profile_type(pod_profile) not in _CONFINED_PROFILE_TYPES:
        yield Violation(
            "seccompProfile_restricted",
            pod.in_context("seccompProfile.type"),
            f"pod sets seccompProfile.type {_profile_type(pod_profile)!r}; "
            "only RuntimeDefault or Localhost are allowed",
        )
    for c in pod.containers:
        profile = c.security_context.get("seccompProfile")
        if profile is None and pod_profile is None:
            message = f'pod or container "{c.name}" must set seccompProfile.type'
        elif profile is not None and _profile_type(profile) not in _CONFINED_PROFILE_TYPES:
            message = f'container "{c.name}" sets seccompProfile.type {_profile_type(profile)!r}'
        else:
            continue
        yield Violation(
            "seccompProfile_restricted",
            c.at("securityContext.seccompProfile.type"),
            f"{message}; only RuntimeDefault or Localhost are allowed",
        )


def _profile_type(profile: Any) -> Any:
    return _mapping(profile).get("type")


def _sysctls(pod: _Pod) -> Iterator[Violation]:
    for index, sysctl in enumerate(_sequence(pod.security_context.get("sysctls"))):
        name = _mapping(sysctl).get("name")
        if name not in _SAFE_SYSCTLS:
            yield Violation(
                "sysctls",
                pod.in_context(f"sysctls[{index}].name"),
                f"sysctl {name!r} is not in the safe set",
            )


def _allow_privilege_escalation(pod: _Pod) -> Iterator[Violation]:
    if pod.is_windows:
        return
    for c in pod.containers:
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield Violation(
                "allowPrivilegeEscalation",
                c.at("securityContext.allowPrivilegeEscalation"),
                f'container "{c.name}" must set securityContext.allowPrivilegeEscalation=false',
            )


def _run_as_non_root(pod: _Pod) -> Iterator[Violation]:
    if pod.in_user_namespace:
        return
    pod_setting = pod.security_context.get("runAsNonRoot")
    if pod_setting is not None and pod_setting is not True:
        yield Violation("runAsNonRoot", pod.in_context("runAsNonRoot"), "pod must not set runAsNonRoot=false")
    for c in pod.containers:
        setting = c.security_context.get("runAsNonRoot")
        path = c.at("securityContext.runAsNonRoot")
        if setting is not None:
            if setting is not True:
                yield Violation("runAsNonRoot", path, f'container "{c.name}" must not set runAsNonRoot=false')
        elif pod_setting is None:
            yield Violation("runAsNonRoot", path, f'pod or container "{c.name}" must set runAsNonRoot=true')


def _run_as_user(pod: _Pod) -> Iterator[Violation]:
    if pod.in_user_namespace:
        return
    if _is_root(pod.security_context.get("runAsUser")):
        yield Violation("runAsUser", pod.in_context("runAsUser"), "pod must not set runAsUser=0")
    for c in pod.containers:
        if _is_root(c.security_context.get("runAsUser")):
            yield Violation(
                "runAsUser",
                c.at("securityContext.runAsUser"),
                f'container "{c.name}" must not set runAsUser=0',
            )


def _is_root(uid: Any) -> bool:
    return uid == 0 and not isinstance(uid, bool)


def _windows_host_process(pod: _Pod) -> Iterator[Violation]:
    for path, context, who in pod.security_contexts("windowsOptions"):
        if _mapping(context.get("windowsOptions")).get("hostProcess") is True:
            yield Violation(
                "windowsHostProcess",
                f"{path}.hostProcess",
                f"{who} must not set windowsOptions.hostProcess=true",
            )


def _host_probes_and_lifecycle(pod: _Pod) -> Iterator[Violation]:
    for c in pod.containers:
        handlers = [(probe, c.fields.get(probe)) for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
        lifecycle = _mapping(c.fields.get("lifecycle"))
        handlers += [(f"lifecycle.{hook}", lifecycle.get(hook)) for hook in ("postStart", "preStop")]
        for handler_path, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _mapping(_mapping(handler).get(action)).get("host")
                if host:
                    yield Violation(
                        "hostProbesAndHostLifecycle",
                        c.at(f"{handler_path}.{action}.host"),
                        f'container "{c.name}" must not aim a probe or hook at host {host!r}',
                    )


_CHECKS = (
    _host_namespaces,
    _privileged,
    _capabilities,
    _restricted_volumes,
    _host_ports,
    _apparmor,
    _selinux,
    _proc_mount,
    _seccomp,
    _sysctls,
    _windows_host_process,
    _host_probes_and_lifecycle,
    _allow_privilege_escalation,
    _run_as_non_root,
    _run_as_user,
)


def _pods(obj: Mapping[str, Any]) -> Iterator[_Pod]:
    kind = obj.get("kind")
    spec = _mapping(obj.get("spec"))
    if kind == "Pod":
        yield _Pod.of(spec, _mapping(obj.get("metadata")), "spec")
    elif kind in _TEMPLATE_FIELDS:
        fields = _TEMPLATE_FIELDS[kind]
        template: Any = obj
        for field in fields:
            template = _mapping(template).get(field)
        if template is not None:
            yield _template_pod(template, ".".join(fields))
    elif kind == "RayCluster":
        yield from _ray_cluster_pods(spec, "spec")
    elif kind == "RayService":
        yield from _ray_cluster_pods(_mapping(spec.get("rayClusterConfig")), "spec.rayClusterConfig")
    elif kind == "RayJob":
        yield from _ray_job_pods(spec, "spec")
    elif kind == "RayCronJob":
        yield from _ray_job_pods(_mapping(spec.get("jobTemplate")), "spec.jobTemplate")


def _template_pod(template: Any, where: str, injected: tuple[_Container, ...] = ()) -> _Pod:
    template = _mapping(template)
    return _Pod.of(
        _mapping(template.get("spec")),
        _mapping(template.get("metadata")),
        f"{where}.spec",
        injected,
    )


def _ray_cluster_pods(cluster: Mapping[str, Any], where: str) -> Iterator[_Pod]:
    head = _mapping(cluster.get("headGroupSpec")).get("template")
    if head is not None:
        yield _template_pod(head, f"{where}.headGroupSpec.template", _autoscaler(cluster, where))
    for index, group in enumerate(_sequence(cluster.get("workerGroupSpecs"))):
        template = _mapping(group).get("template")
        if template is not None:
            yield _template_pod(template, f"{where}.workerGroupSpecs[{index}].template")


def _autoscaler(cluster: Mapping[str, Any], where: str) -> tuple[_Container, ...]:
    """The autoscaler KubeRay adds to the head pod; it takes nothing from the Ray container."""
    if cluster.get("enableInTreeAutoscaling") is not True:
        return ()
    options = _mapping(cluster.get("autoscalerOptions"))
    fields = {"name": "autoscaler"}
    fields.update((key, options[key]) for key in _AUTOSCALER_CONTAINER_FIELDS if options.get(key) is not None)
    return (_Container(f"{where}.autoscalerOptions", fields),)


def _ray_job_pods(job: Mapping[str, Any], where: str) -> Iterator[_Pod]:
    cluster = job.get("rayClusterSpec")
    if cluster is not None:
        yield from _ray_cluster_pods(_mapping(cluster), f"{where}.rayClusterSpec")
    submitter = job.get("submitterPodTemplate")
    if submitter is not None:
        yield _template_pod(submitter, f"{where}.submitterPodTemplate")
    elif job.get("submissionMode", "K8sJobMode") == "K8sJobMode":
        # Without a template KubeRay submits from a bare pod with no securityContext.
        default = {"containers": [{"name": "ray-job-submitter"}], "restartPolicy": "Never"}
        yield _Pod.of(default, None, f"{where}.submitterPodTemplate.spec")


def _template_path(spec_path: str) -> str:
    """The template a pod spec path belongs to: its metadata is a sibling."""
    parent, _, last = spec_path.rpartition(".")
    return parent if last == "spec" else spec_path


def _join(base: str, field: str) -> str:
    return f"{base}.{field}" if base else field


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
