"""Judge: tenant network isolation, proven by an analyzer rayfort did not write.

rayfort's own code writes the NetworkPolicies, so it must not also be the one
to say what they allow. This judge hands namespaces, representative pods and
NetworkPolicies to network-config-analyzer (NCA), reads back the connectivity
NCA computes, and compares it with the flows rayfort means to allow, both
ways: every required flow is allowed, and nothing else touching a tenant pod
is.

The pods are every kind KubeRay derives from what a tenant runs (heads,
workers, the GCS fault-tolerance cleanup Job's pod, RayJob submitters, and the
clusters a team creates itself), plus pods an attacker could create: probes
generated from every NetworkPolicy's selectors and from every tenant pod's
labels, placed in other tenants' namespaces and in fresh namespaces (copies),
and in the tenant's own namespace with the ``ray.io/`` labels dropped. A new
policy is probed without a new test. The tenant is the trust boundary: the
clusters of one tenant may use each other's Ray ports (a NetworkPolicy cannot
pair pods by a label's value), which is tolerated, never required.

NCA pins its dependencies exactly (PyYAML, lxml, networkx, ...) and installs
a top-level package named ``collector``, so it lives in its own virtualenv and
runs as a subprocess: ``RAYFORT_NCA`` names that venv or its ``nca``
executable, by default ``.venv-nca`` in the working directory.

Reading NCA's output
--------------------
NCA is run as ``nca --connectivity --output_endpoints pods --output_format
txt_no_fw_rules --print_ipv6``. That format lists allowed traffic pair by pair,
without the grouping of its firewall-rule formats (which would need NCA's
selector language parsed back). Each line reads ``SRC => DST : TRAFFIC``:

* SRC and DST are ``namespace/pod``, or an IP block written as ranges and/or
  CIDRs joined by commas (``35.191.0.0-35.191.255.255``). One side at most is
  an IP block. NCA splits the address space at every CIDR the policies name.
* TRAFFIC is ``All connections``, ``No connections``, ``All but CUBES`` or
  CUBES: ``{protocols:TCP, UDP,dst_ports:53,8080-8090},{...}``. A cube without
  ``protocols`` means every protocol, without ``dst_ports`` every port.
  ``protocols`` may be ``all but NAMES``.
* The same pair may appear on several lines; they add up.

Protocols other than TCP, UDP and SCTP have no ports and NetworkPolicies
cannot name them, so they are counted together ("protocols without ports"). Anything else in
the output (an unknown line, a dimension such as ``src_ports`` or
``icmp_type``, an exclusion of a port-less protocol) raises NcaOutputError
rather than being guessed at.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

NCA_ENV_VAR = "RAYFORT_NCA"
DEFAULT_NCA = Path(".venv-nca") / "bin" / "nca"
NCA_TIMEOUT_SECONDS = 300

GOOGLE_HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")

CROSS_TENANT = "no-cross-tenant"
RAY_HEAD_WORKER = "ray-head-worker"
DNS = "dns"
OPERATOR_DASHBOARD = "operator-dashboard"
HEALTH_CHECKS = "health-checks"
DECLARED_EGRESS = "declared-egress"
DECLARED_INGRESS = "declared-ingress"
METRICS = "metrics"
REDIS_CLEANUP = "redis-cleanup"
JOB_SUBMITTERS = "job-submitters"
ADMITTED_CLUSTERS = "admitted-clusters"
ATTACKER_PROBES = "attacker-probes"
NOTHING_ELSE = "nothing-else"

_DESCRIPTIONS = {
    CROSS_TENANT: "no pod of one tenant reaches a pod of another tenant, on any port",
    RAY_HEAD_WORKER: "workers reach their own head, and the head its workers, on the Ray ports",
    DNS: "every tenant pod reaches kube-dns on UDP and TCP 53",
    OPERATOR_DASHBOARD: "the operator namespace reaches each head's dashboard",
    HEALTH_CHECKS: "the health-check ranges reach only the dashboard of exposed heads",
    DECLARED_EGRESS: "tenant pods reach their declared external ranges",
    DECLARED_INGRESS: "declared source ranges (internal load balancers) reach the head on their ports",
    METRICS: "managed Prometheus collectors reach the metrics port of Ray pods",
    REDIS_CLEANUP: "the GCS fault-tolerance cleanup pod reaches its tenant's Redis, and nothing else but DNS",
    JOB_SUBMITTERS: "a RayJob submitter reaches its own cluster's dashboard, nothing else but DNS "
    "(other dashboards of its own tenant at most)",
    ADMITTED_CLUSTERS: "a cluster a team creates itself gets its Ray flows, "
    "and nothing the platform's cluster does not",
    ATTACKER_PROBES: "pods an attacker could create (a tenant's labels copied into another tenant's or a fresh "
    "namespace, or its own namespace without Ray labels) reach no tenant pod, nor tenant pods them",
    NOTHING_ELSE: "no other traffic to or from a tenant pod is allowed",
}
ASSERTIONS = tuple(_DESCRIPTIONS)

_ANALYSED_KINDS = ("Namespace", "Pod", "NetworkPolicy")
NODE_TYPES = frozenset({"head", "worker", "redis-cleanup"})
"""KubeRay's ``ray.io/node-type`` values of the pods a RayCluster makes (redis-cleanup: ``buildRedisCleanupJob``)."""
# KubeRay v1.7 getSubmitterTemplate (ray-operator/controllers/ray/rayjob_controller.go) labels submitter pods so.
SUBMITTER_CRD_LABEL = ("ray.io/originated-from-crd", "RayJob")
SUBMITTER_JOB_LABEL = "ray.io/originated-from-cr-name"
RAY_LABEL_PREFIX = "ray.io/"
"""Labels KubeRay owns; a probe in the tenant's own namespace carries the tenant's labels without them."""
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server; the only namespace label a fresh namespace cannot copy."""
PROBE_PREFIX = "probe-"
ATTACKER_NAMESPACE_PREFIX = "attacker-"
# Pair-by-pair connectivity between pods (not deployments), IPv6 included.
_NCA_QUERY = (
    "--connectivity",
    "--output_endpoints", "pods",
    "--output_format", "txt_no_fw_rules",
    "--print_ipv6",
)  # fmt: skip


# --- what rayfort intends -------------------------------------------------


@dataclass(frozen=True)
class Ports:
    """A protocol and an inclusive port range."""

    protocol: str
    first: int
    last: int


def tcp(first: int, last: int | None = None) -> Ports:
    return Ports("TCP", first, first if last is None else last)


def udp(first: int, last: int | None = None) -> Ports:
    return Ports("UDP", first, first if last is None else last)


DEFAULT_WORKER_PORTS = tcp(10002, 10100)


@dataclass(frozen=True)
class RayPorts:
    """The ports a Ray cluster's nodes open to each other.

    ``to_head`` is what workers may reach on their head (GCS, dashboard,
    client, dashboard agent, metrics and the pinned worker port range);
    ``to_worker`` what the head may reach on its workers.
    """

    to_head: tuple[Ports, ...] = (
        tcp(6379),
        tcp(8265),
        tcp(10001),
        tcp(52365),
        tcp(8080),
        DEFAULT_WORKER_PORTS,
    )
    to_worker: tuple[Ports, ...] = (tcp(52365), tcp(8080), DEFAULT_WORKER_PORTS)
    between_workers: tuple[Ports, ...] = ()
    """What workers of one cluster may reach on each other (object transfer, actor calls)."""
    dashboard: int = 8265
    metrics: int = 8080


@dataclass(frozen=True)
class Egress:
    """An external range a tenant's Ray pods may reach, e.g. Google APIs or Redis."""

    cidr: str
    ports: tuple[Ports, ...]
    node_types: frozenset[str] = frozenset({"head", "worker"})
    platform_cluster_only: bool = False
    """Only the platform cluster's pods reach it, not the clusters a team makes (e.g. its Redis)."""

    def __post_init__(self) -> None:
        ipaddress.ip_network(self.cidr)
        if not self.node_types or not self.node_types <= NODE_TYPES:
            raise ValueError(f"node_types must be among {sorted(NODE_TYPES)}, not {set(self.node_types)}")


@dataclass(frozen=True)
class Ingress:
    """A source range allowed to reach a tenant's Ray pods, e.g. an internal load balancer's clients."""

    cidr: str
    ports: tuple[Ports, ...]
    node_types: frozenset[str] = frozenset({"head"})

    def __post_init__(self) -> None:
        ipaddress.ip_network(self.cidr)


@dataclass(frozen=True)
class Submitter:
    """A RayJob whose submitter pod (KubeRay's K8sJobMode Job) submits to one cluster's dashboard."""

    job: str
    """The RayJob's name, its submitter pod's ``ray.io/originated-from-cr-name`` label."""
    cluster: str
    """The cluster it submits to: its ``clusterSelector``, or the cluster KubeRay made for it."""


@dataclass(frozen=True)
class Tenant:
    """A team's namespace, the platform's RayCluster in it, and what the team runs beside it."""

    namespace: str
    cluster: str
    exposed: bool = False
    ray_ports: RayPorts = RayPorts()
    egress: tuple[Egress, ...] = ()
    ingress: tuple[Ingress, ...] = ()
    scraped: bool = False
    """Managed Prometheus collectors scrape the Ray pods' metrics port."""
    operator_managed: bool = True
    """A RayCluster the operator reconciles (and calls on the dashboard); false for operatorless Deployments."""
    admitted_clusters: tuple[str, ...] = ()
    """Clusters the team created itself: the platform cluster's flows (its exposure aside), under their own name."""
    submitters: tuple[Submitter, ...] = ()
    """RayJobs with a submitter pod."""

    @property
    def clusters(self) -> tuple[str, ...]:
        return (self.cluster, *self.admitted_clusters)


@dataclass(frozen=True)
class IsolationExpectations:
    """Every flow rayfort means to allow to or from a tenant pod."""

    tenants: tuple[Tenant, ...]
    operator_namespace: str = "kuberay-system"
    dns_namespace: str = "kube-system"
    dns_labels: tuple[tuple[str, str], ...] = (("k8s-app", "kube-dns"),)
    health_check_ranges: tuple[str, ...] = GOOGLE_HEALTH_CHECK_RANGES
    monitoring_namespace: str = "gmp-system"


# --- what the judge reports ------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Traffic from one endpoint to another: a pod, or an IP range."""

    source: str
    destination: str
    traffic: str

    def __str__(self) -> str:
        return f"{self.source} -> {self.destination}: {self.traffic}"


@dataclass(frozen=True)
class Assertion:
    """One property of the isolation, with the connections that break it."""

    name: str
    description: str
    missing: tuple[Connection, ...] = ()
    unexpected: tuple[Connection, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


@dataclass(frozen=True)
class IsolationReport:
    """Each assertion's verdict, and what NCA warned about the policies."""

    assertions: tuple[Assertion, ...]
    nca_warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(assertion.passed for assertion in self.assertions)

    def __getitem__(self, name: str) -> Assertion:
        for assertion in self.assertions:
            if assertion.name == name:
                return assertion
        raise KeyError(name)

    def failed(self) -> tuple[str, ...]:
        return tuple(assertion.name for assertion in self.assertions if not assertion.passed)

    def summary(self) -> str:
        lines = []
        for assertion in self.assertions:
            verdict = "PASS" if assertion.passed else "FAIL"
            lines.append(f"{verdict} {assertion.name}: {assertion.description}")
            lines += [f"    missing    {c}" for c in assertion.missing]
            lines += [f"    unexpected {c}" for c in assertion.unexpected]
        return "\n".join(lines)


class NcaUnavailable(RuntimeError):
    """The nca executable is not on this machine."""


class NcaError(RuntimeError):
    """nca ran but did not answer the query."""


class NcaOutputError(NcaError):
    """nca answered in a form this judge does not understand."""


# --- traffic as sets -------------------------------------------------------
#
# Traffic is kept per (source, destination, protocol) as boxes
# (first_ip, last_ip, first_port, last_port). A pod endpoint is its
# "namespace/name"; an IP endpoint is "IPv4" or "IPv6" and its addresses are
# the box's IP range (pod-to-pod boxes use 0-0 there). Differences are taken
# on the grid of every boundary involved, so results come out as cells that
# lie wholly inside or outside any range the caller cuts at.

_PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")
_OTHER = "other"
_ALL_PORTS = (1, 65535)
_Box = tuple[int, int, int, int]
_Key = tuple[str, str, str]


@dataclass(frozen=True)
class _Endpoint:
    name: str
    first_ip: int = 0
    last_ip: int = 0

    @property
    def is_ip(self) -> bool:
        return self.name in ("IPv4", "IPv6")


def _ip_endpoint(cidr: str) -> _Endpoint:
    network = ipaddress.ip_network(cidr)
    return _Endpoint(f"IPv{network.version}", int(network[0]), int(network[-1]))


class Traffic:
    """Allowed or intended traffic, as sets that can be compared."""

    def __init__(self) -> None:
        self.boxes: dict[_Key, set[_Box]] = defaultdict(set)

    def add(self, source: _Endpoint, destination: _Endpoint, protocol: str, first: int, last: int) -> None:
        ip_side = source if source.is_ip else destination
        if protocol == _OTHER:
            first, last = _ALL_PORTS
        self.boxes[(source.name, destination.name, protocol)].add((ip_side.first_ip, ip_side.last_ip, first, last))

    def add_ports(self, source: _Endpoint, destination: _Endpoint, ports: Iterable[Ports]) -> None:
        for port in ports:
            self.add(source, destination, port.protocol, port.first, port.last)

    def update(self, other: Traffic) -> None:
        for key, boxes in other.boxes.items():
            self.boxes[key] |= boxes

    def minus(self, other: Traffic, ip_cuts: Mapping[str, Iterable[int]] | None = None) -> Traffic:
        """What self allows and other does not, cut also at ``ip_cuts`` (per IP version)."""
        result = Traffic()
        for key, boxes in self.boxes.items():
            theirs = other.boxes.get(key, set())
            cuts = {cut for end in key[:2] for cut in (ip_cuts or {}).get(end, ())}
            ip_bounds = sorted({b[0] for b in boxes | theirs} | {b[1] + 1 for b in boxes | theirs} | cuts)
            port_bounds = sorted({b[2] for b in boxes | theirs} | {b[3] + 1 for b in boxes | theirs})
            for box in boxes:
                for ip_first, ip_last in _cells(ip_bounds, box[0], box[1]):
                    for port_first, port_last in _cells(port_bounds, box[2], box[3]):
                        cell = (ip_first, ip_last, port_first, port_last)
                        if not any(_inside(cell, their) for their in theirs):
                            result.boxes[key].add(cell)
        return result

    def cells(self) -> Iterator[tuple[_Key, _Box]]:
        for key, boxes in self.boxes.items():
            for box in boxes:
                yield key, box

    def connections(self, names: Mapping[str, str] | None = None) -> tuple[Connection, ...]:
        """Readable connections: one per pair of endpoints, address range and traffic; ``names`` renames pods."""
        by_pair: dict[tuple[str, str], list[tuple[str, _Box]]] = defaultdict(list)
        for (source, destination, protocol), box in self.cells():
            by_pair[(source, destination)].append((protocol, box))
        result = []
        for (source, destination), items in by_pair.items():
            bounds = sorted({box[0] for _, box in items} | {box[1] + 1 for _, box in items})
            ports: dict[tuple[int, int], dict[str, list]] = defaultdict(lambda: defaultdict(list))
            for protocol, box in items:
                for ip_span in _cells(bounds, box[0], box[1]):
                    ports[ip_span][protocol].append((box[2], box[3]))
            ip_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for ip_span, by_protocol in ports.items():
                ip_spans[_describe_traffic(by_protocol)].append(ip_span)
            for described, spans in ip_spans.items():
                for span in _merge(spans):
                    ends = (_describe(end, *span) for end in (source, destination))
                    result.append(Connection(*((names or {}).get(end, end) for end in ends), described))
        return tuple(sorted(result, key=lambda c: (c.source, c.destination, c.traffic)))


def _cells(bounds: list[int], first: int, last: int) -> Iterator[tuple[int, int]]:
    """The grid cells between ``bounds`` that make up [first, last]."""
    inner = [b for b in bounds if first < b <= last]
    starts = [first, *inner]
    ends = [b - 1 for b in inner] + [last]
    return zip(starts, ends, strict=True)


def _inside(cell: _Box, box: _Box) -> bool:
    return box[0] <= cell[0] and cell[1] <= box[1] and box[2] <= cell[2] and cell[3] <= box[3]


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def _describe_traffic(by_protocol: Mapping[str, list[tuple[int, int]]]) -> str:
    merged = {protocol: _merge(spans) for protocol, spans in by_protocol.items()}
    if all(merged.get(protocol) == [_ALL_PORTS] for protocol in (*_PORT_PROTOCOLS, _OTHER)):
        return "all traffic"
    parts = [
        f"{protocol} " + ",".join(str(a) if a == b else f"{a}-{b}" for a, b in merged[protocol])
        for protocol in _PORT_PROTOCOLS
        if protocol in merged
    ]
    if _OTHER in merged:
        parts.append("protocols without ports")
    return "; ".join(parts)


def _describe(name: str, ip_first: int, ip_last: int) -> str:
    if name not in ("IPv4", "IPv6"):
        return name
    address = ipaddress.IPv4Address if name == "IPv4" else ipaddress.IPv6Address
    networks = list(ipaddress.summarize_address_range(address(ip_first), address(ip_last)))
    return str(networks[0]) if len(networks) == 1 else f"{address(ip_first)}-{address(ip_last)}"


# --- reading NCA -----------------------------------------------------------

_LINE = re.compile(r"^(?P<source>\S+) => (?P<destination>\S+) : (?P<traffic>.+)$")
_CUBE = re.compile(r"\{([^{}]*)\}")
_CUBE_FIELD = re.compile(r",(?=[a-z_]+:)")


def parse_connectivity(text: str) -> Traffic:
    """NCA's ``txt_no_fw_rules`` connectivity, as traffic sets (see the module docstring)."""
    traffic = Traffic()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line.strip())
        if not match:
            raise NcaOutputError(f"line {number} is not 'SRC => DST : TRAFFIC': {line!r}")
        try:
            sources = _parse_endpoint(match["source"])
            destinations = _parse_endpoint(match["destination"])
            allowed = _parse_traffic(match["traffic"])
        except ValueError as error:
            raise NcaOutputError(f"line {number}: {error}: {line!r}") from error
        for source in sources:
            for destination in destinations:
                for protocol, first, last in allowed:
                    traffic.add(source, destination, protocol, first, last)
    return traffic


def _parse_endpoint(text: str) -> list[_Endpoint]:
    """A ``namespace/pod`` or a comma-joined list of IP ranges and CIDRs."""
    try:
        return [_parse_ip_range(item) for item in text.split(",")]
    except ValueError:
        pass
    namespace, slash, pod = text.partition("/")
    if not slash or not namespace or not pod or "/" in pod or "," in text:
        raise ValueError(f"neither a pod nor an IP block: {text!r}")
    return [_Endpoint(text)]


def _parse_ip_range(item: str) -> _Endpoint:
    if "/" in item:
        return _ip_endpoint(item)
    first, _, last = item.partition("-")
    first_ip = ipaddress.ip_address(first)
    last_ip = ipaddress.ip_address(last) if last else first_ip
    if first_ip.version != last_ip.version or last_ip < first_ip:
        raise ValueError(f"bad IP range {item!r}")
    return _Endpoint(f"IPv{first_ip.version}", int(first_ip), int(last_ip))


def _universe() -> list[tuple[str, int, int]]:
    return [(protocol, *_ALL_PORTS) for protocol in _PORT_PROTOCOLS] + [(_OTHER, *_ALL_PORTS)]


def _parse_traffic(text: str) -> list[tuple[str, int, int]]:
    if text == "All connections":
        return _universe()
    if text == "No connections":
        return []
    if text.startswith("All but "):
        return _complement(_parse_cubes(text.removeprefix("All but ")))
    return _parse_cubes(text)


def _complement(allowed: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    result = []
    for protocol, first, last in _universe():
        taken = _merge((a, b) for p, a, b in allowed if p == protocol)
        cursor = first
        for a, b in taken:
            if a > cursor:
                result.append((protocol, cursor, a - 1))
            cursor = max(cursor, b + 1)
        if cursor <= last:
            result.append((protocol, cursor, last))
    return result


def _parse_cubes(text: str) -> list[tuple[str, int, int]]:
    bodies = _CUBE.findall(text)
    if not bodies or ",".join(f"{{{body}}}" for body in bodies) != text:
        raise ValueError(f"unreadable traffic {text!r}")
    result = []
    for body in bodies:
        fields = {}
        for item in _CUBE_FIELD.split(body):
            name, colon, value = item.partition(":")
            if not colon:
                raise ValueError(f"unreadable traffic field {item!r}")
            fields[name] = value
        unknown = fields.keys() - {"protocols", "dst_ports"}
        if unknown:
            raise ValueError(f"traffic restricted on {sorted(unknown)}, which NetworkPolicies cannot express")
        protocols = _parse_protocols(fields["protocols"]) if "protocols" in fields else [*_PORT_PROTOCOLS, _OTHER]
        ports = _parse_ports(fields["dst_ports"]) if "dst_ports" in fields else [_ALL_PORTS]
        for protocol in protocols:
            for first, last in [_ALL_PORTS] if protocol == _OTHER else ports:
                result.append((protocol, first, last))
    return result


def _parse_protocols(text: str) -> list[str]:
    excluded = text.startswith("all but ")
    names = [name.strip().upper() for name in text.removeprefix("all but ").split(",")]
    if not excluded:
        return sorted({name if name in _PORT_PROTOCOLS else _OTHER for name in names})
    if any(name not in _PORT_PROTOCOLS for name in names):
        raise ValueError(f"cannot represent protocols {text!r}")
    return [protocol for protocol in (*_PORT_PROTOCOLS, _OTHER) if protocol not in names]


def _parse_ports(text: str) -> list[tuple[int, int]]:
    spans = []
    for item in text.split(","):
        first, _, last = item.strip().partition("-")
        spans.append((int(first), int(last or first)))
    return spans


def nca_executable() -> Path:
    """nca from ``RAYFORT_NCA`` (its venv or the executable), else ``.venv-nca/bin/nca``."""
    configured = os.environ.get(NCA_ENV_VAR)
    candidate = Path(configured) if configured else DEFAULT_NCA
    if candidate.is_dir():
        candidate = candidate / "bin" / "nca"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    raise NcaUnavailable(
        f"nca not found at {candidate}: create it with `python3 -m venv .venv-nca && "
        f".venv-nca/bin/pip install network-config-analyzer==2.1.0`, or point {NCA_ENV_VAR} "
        "at a venv or nca executable"
    )


def run_nca(resources: list[dict]) -> tuple[str, tuple[str, ...]]:
    """NCA's connectivity report for the resources, and the warnings it printed."""
    nca = nca_executable()
    with tempfile.TemporaryDirectory(prefix="rayfort-nca-") as scratch:
        # NCA reads a directory in no set order, and a pod read before its Namespace keeps an unlabelled stand-in
        # for it, which no namespaceSelector but the name label matches: the Namespaces go first, in their own list.
        namespaces, others = Path(scratch, "namespaces"), Path(scratch, "resources")
        namespaces.mkdir()
        others.mkdir()
        for index, resource in enumerate(resources):
            # Named after the resource, since NCA's warnings name the file.
            metadata = resource.get("metadata", {})
            name = "-".join((f"{index:04d}", resource["kind"], metadata.get("namespace", ""), metadata["name"]))
            # NCA reads .json as YAML; JSON keeps strings like "8080" strings.
            inputs = namespaces if resource["kind"] == "Namespace" else others
            (inputs / f"{name}.json").write_text(json.dumps(resource))
        report = Path(scratch, "connectivity.txt")
        lists = ["--resource_list", str(namespaces), "--resource_list", str(others)]
        command = [str(nca), *_NCA_QUERY, *lists, "--file_out", str(report)]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=NCA_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as timeout:
            raise NcaError(f"nca did not answer within {NCA_TIMEOUT_SECONDS} s") from timeout
        if completed.returncode != 0 or not report.is_file():
            output = f"{completed.stdout}\n{completed.stderr}".strip()
            raise NcaError(f"nca exited {completed.returncode}:\n{output}")
        warnings = tuple(
            line.strip().replace(f"{namespaces}{os.sep}", "").replace(f"{others}{os.sep}", "")
            for line in (completed.stdout + completed.stderr).splitlines()
            if "Warning" in line
        )
        return report.read_text(), warnings


# --- the judge ---------------------------------------------------------------


def _labels(resource: dict) -> dict:
    return resource.get("metadata", {}).get("labels") or {}


def _namespace_of(resource: dict) -> str:
    return resource["metadata"].get("namespace", "default")


def _pod_endpoint(pod: dict) -> _Endpoint:
    return _Endpoint(f"{_namespace_of(pod)}/{pod['metadata']['name']}")


class _Pods:
    """The pods that stand for what runs, found by namespace and labels."""

    def __init__(self, pods: list[dict]) -> None:
        self.pods = pods

    def find(self, namespace: str, selector: Mapping[str, str] | None = None, absent: str = "") -> list[_Endpoint]:
        return [
            _pod_endpoint(pod)
            for pod in self.pods
            if _namespace_of(pod) == namespace
            and all(_labels(pod).get(key) == value for key, value in (selector or {}).items())
            and absent not in _labels(pod)
        ]

    def ray(self, namespace: str, cluster: str, node_type: str) -> list[_Endpoint]:
        return self.find(namespace, {"ray.io/cluster": cluster, "ray.io/node-type": node_type})

    def submitters(self, namespace: str, job: str) -> list[_Endpoint]:
        crd_key, crd = SUBMITTER_CRD_LABEL
        return self.find(namespace, {crd_key: crd, SUBMITTER_JOB_LABEL: job}, absent="ray.io/node-type")


@dataclass
class _Intent:
    """What the judge expects: traffic each assertion requires, traffic it tolerates, and whose pods are whose."""

    required: dict[str, Traffic]
    tolerated: Traffic
    roles: dict[str, str]
    """Pod endpoint name -> the assertion its unexpected traffic breaks (cleanup, submitter, admitted)."""


def _cluster_flows(
    pods: _Pods, tenant: Tenant, cluster: str, other: str | None = None
) -> Iterator[tuple[_Endpoint, _Endpoint, tuple[Ports, ...]]]:
    """Head-worker flows within ``cluster``, or from its nodes to ``other``'s nodes of the same tenant."""
    ns, ports = tenant.namespace, tenant.ray_ports
    target = other or cluster
    heads, workers = pods.ray(ns, cluster, "head"), pods.ray(ns, cluster, "worker")
    target_heads, target_workers = pods.ray(ns, target, "head"), pods.ray(ns, target, "worker")
    for worker in workers:
        for head in target_heads:
            yield worker, head, ports.to_head
        if ports.between_workers:
            for peer in target_workers:
                if peer != worker:
                    yield worker, peer, ports.between_workers
    for head in heads:
        for worker in target_workers:
            yield head, worker, ports.to_worker


def _intent(pods: _Pods, expectations: IsolationExpectations) -> _Intent:
    """The traffic each assertion needs allowed, from the pods that are there."""
    dns_pods = pods.find(expectations.dns_namespace, dict(expectations.dns_labels))
    operator_pods = pods.find(expectations.operator_namespace)
    if not dns_pods:
        raise ValueError(f"no pod labelled {dict(expectations.dns_labels)} in {expectations.dns_namespace}")
    if not operator_pods:
        raise ValueError(f"no pod in the operator namespace {expectations.operator_namespace}")

    required = {
        name: Traffic()
        for name in (
            RAY_HEAD_WORKER,
            DNS,
            OPERATOR_DASHBOARD,
            HEALTH_CHECKS,
            DECLARED_EGRESS,
            DECLARED_INGRESS,
            METRICS,
            REDIS_CLEANUP,
            JOB_SUBMITTERS,
            ADMITTED_CLUSTERS,
        )
    }
    tolerated = Traffic()
    roles: dict[str, str] = {}
    for tenant in expectations.tenants:
        ns = tenant.namespace
        for cluster in tenant.clusters:
            if not pods.ray(ns, cluster, "head") or not pods.ray(ns, cluster, "worker"):
                raise ValueError(f"tenant {ns}: need a head and a worker pod of {cluster}")
        for pod in pods.find(ns):
            for dns in dns_pods:
                required[DNS].add_ports(pod, dns, (udp(53), tcp(53)))
        for cluster in tenant.clusters:
            admitted = cluster != tenant.cluster
            # A cluster the team made itself is judged under its own assertion, whatever the flow.
            own = ADMITTED_CLUSTERS if admitted else None
            if admitted:
                for node_type in ("head", "worker"):
                    roles.update((pod.name, ADMITTED_CLUSTERS) for pod in pods.ray(ns, cluster, node_type))
            for source, destination, ports in _cluster_flows(pods, tenant, cluster):
                required[own or RAY_HEAD_WORKER].add_ports(source, destination, ports)
            for other in tenant.clusters:
                if other != cluster:
                    for source, destination, ports in _cluster_flows(pods, tenant, cluster, other):
                        tolerated.add_ports(source, destination, ports)
            heads = pods.ray(ns, cluster, "head")
            nodes = heads + pods.ray(ns, cluster, "worker")
            dashboard = (tcp(tenant.ray_ports.dashboard),)
            for head in heads:
                if tenant.operator_managed:
                    for operator in operator_pods:
                        required[own or OPERATOR_DASHBOARD].add_ports(operator, head, dashboard)
                if tenant.exposed and not admitted:
                    for cidr in expectations.health_check_ranges:
                        required[HEALTH_CHECKS].add_ports(_ip_endpoint(cidr), head, dashboard)
            for egress in tenant.egress:
                if admitted and egress.platform_cluster_only:
                    continue
                for node_type in egress.node_types - {"redis-cleanup"}:
                    for pod in pods.ray(ns, cluster, node_type):
                        required[own or DECLARED_EGRESS].add_ports(pod, _ip_endpoint(egress.cidr), egress.ports)
            for ingress in tenant.ingress if not admitted else ():
                for node_type in ingress.node_types:
                    for pod in pods.ray(ns, cluster, node_type):
                        required[DECLARED_INGRESS].add_ports(_ip_endpoint(ingress.cidr), pod, ingress.ports)
            if tenant.scraped:
                collectors = pods.find(expectations.monitoring_namespace)
                if not collectors:
                    raise ValueError(f"no collector pod in {expectations.monitoring_namespace} to scrape {ns}")
                for collector in collectors:
                    for pod in nodes:
                        required[own or METRICS].add_ports(collector, pod, (tcp(tenant.ray_ports.metrics),))
        _cleanup_intent(pods, tenant, required[REDIS_CLEANUP], roles)
        _submitter_intent(pods, tenant, required[JOB_SUBMITTERS], tolerated, roles)
    return _Intent(required, tolerated, roles)


def _cleanup_intent(pods: _Pods, tenant: Tenant, required: Traffic, roles: dict[str, str]) -> None:
    """The cleanup pods of every cluster reach the egress declared for them (the tenant's Redis)."""
    declared = [egress for egress in tenant.egress if "redis-cleanup" in egress.node_types]
    cleanup = {cluster: pods.ray(tenant.namespace, cluster, "redis-cleanup") for cluster in tenant.clusters}
    if declared and not any(cleanup.values()):
        raise ValueError(f"tenant {tenant.namespace}: egress is declared for redis-cleanup pods, but there are none")
    for cluster, found in cleanup.items():
        roles.update((pod.name, REDIS_CLEANUP) for pod in found)
        for pod in found:
            for egress in declared:
                if cluster == tenant.cluster or not egress.platform_cluster_only:
                    required.add_ports(pod, _ip_endpoint(egress.cidr), egress.ports)


def _submitter_intent(
    pods: _Pods, tenant: Tenant, required: Traffic, tolerated: Traffic, roles: dict[str, str]
) -> None:
    """Each submitter reaches its cluster's dashboard; the tenant's other dashboards are tolerated."""
    dashboard = (tcp(tenant.ray_ports.dashboard),)
    for submitter in tenant.submitters:
        found = pods.submitters(tenant.namespace, submitter.job)
        if not found or not pods.ray(tenant.namespace, submitter.cluster, "head"):
            raise ValueError(
                f"tenant {tenant.namespace}: need a submitter pod of {submitter.job} and its cluster's head"
            )
        roles.update((pod.name, JOB_SUBMITTERS) for pod in found)
        for pod in found:
            for cluster in tenant.clusters:
                for head in pods.ray(tenant.namespace, cluster, "head"):
                    (required if cluster == submitter.cluster else tolerated).add_ports(pod, head, dashboard)


# --- probes an attacker could create -------------------------------------------


def selector_label_sets(selector: Mapping | None) -> list[dict[str, str]]:
    """Label sets that satisfy a label selector: one per value of each ``In`` (NotIn, DoesNotExist: left out)."""
    sets = [dict((selector or {}).get("matchLabels") or {})]
    for requirement in (selector or {}).get("matchExpressions") or []:
        key, operator = requirement["key"], requirement["operator"]
        if operator == "In":
            sets = [{**labels, key: value} for labels in sets for value in requirement["values"]]
        elif operator == "Exists":
            sets = [{**labels, key: "probe"} for labels in sets]
    return sets


def _peer_namespaces(peer: Mapping, policy_namespace: str) -> tuple[str, ...]:
    """The namespaces a peer's pod selector applies to, when it names them; () when it does not."""
    if "namespaceSelector" not in peer:
        return (policy_namespace,)
    names = selector_label_sets(peer["namespaceSelector"])
    return tuple(sorted({labels[NAMESPACE_NAME_LABEL] for labels in names if NAMESPACE_NAME_LABEL in labels}))


def _policy_selectors(policy: Mapping) -> Iterator[tuple[tuple[str, ...], Mapping]]:
    """(namespaces it applies in, pod selector) of a policy's target and of each of its pod peers."""
    namespace = _namespace_of(dict(policy))
    spec = policy.get("spec") or {}
    yield (namespace,), spec.get("podSelector") or {}
    for rules, side in ((spec.get("ingress") or [], "from"), (spec.get("egress") or [], "to")):
        for rule in rules:
            for peer in rule.get(side) or []:
                if "podSelector" in peer or "namespaceSelector" in peer:
                    yield _peer_namespaces(peer, namespace), peer.get("podSelector") or {}


def _forgeable_namespace_labels(policies: list[dict]) -> dict[str, str]:
    """Namespace labels the policies select by that whoever creates a namespace can set."""
    labels: dict[str, str] = {}
    for policy in policies:
        spec = policy.get("spec") or {}
        for rule in [*(spec.get("ingress") or []), *(spec.get("egress") or [])]:
            for peer in [*(rule.get("from") or []), *(rule.get("to") or [])]:
                for found in selector_label_sets(peer.get("namespaceSelector")):
                    labels.update((k, v) for k, v in found.items() if k != NAMESPACE_NAME_LABEL)
    return labels


def attacker_probes(analysed: list[dict], tenant_namespaces: list[str]) -> tuple[list[dict], dict[str, str]]:
    """Namespaces and pods an attacker could create, and a readable name for each probe.

    Label sets come from every policy's selectors and every tenant pod's labels. A set that
    belongs to tenant T (its policies' own pods, or T's pods) is copied into every other tenant's
    namespace and into a fresh namespace that copies T's namespace labels; in T itself it goes
    without its ``ray.io/`` labels. Sets of other namespaces (the operator's, kube-dns's, or of a
    peer in any namespace) are copied into every fresh namespace and every tenant namespace
    whose own sets they are not.
    """
    policies = [r for r in analysed if r["kind"] == "NetworkPolicy"]
    by_origin: dict[str, set[tuple[tuple[str, str], ...]]] = defaultdict(set)
    for policy in policies:
        for namespaces, selector in _policy_selectors(policy):
            for labels in selector_label_sets(selector):
                for origin in namespaces or ("",):
                    by_origin[origin].add(tuple(sorted(labels.items())))
    for pod in analysed:
        if pod["kind"] == "Pod" and _namespace_of(pod) in tenant_namespaces:
            by_origin[_namespace_of(pod)].add(tuple(sorted(_labels(pod).items())))
    foreign = set().union(*(sets for origin, sets in by_origin.items() if origin not in tenant_namespaces))

    namespace_labels = {r["metadata"]["name"]: _labels(r) for r in analysed if r["kind"] == "Namespace"}
    forgeable = _forgeable_namespace_labels(policies)
    placements: dict[str, set[tuple[tuple[str, str], ...]]] = defaultdict(set)
    resources: list[dict] = []
    for tenant in tenant_namespaces:
        own = by_origin.get(tenant, set())
        fresh = (ATTACKER_NAMESPACE_PREFIX + tenant)[:63].rstrip("-")
        copied = {k: v for k, v in namespace_labels.get(tenant, {}).items() if k != NAMESPACE_NAME_LABEL}
        resources.append(_namespace(fresh, {**forgeable, **copied}))
        placements[fresh] |= own | foreign
        # A set T's own pods carry is T's to run; stripped of KubeRay's labels it is not.
        placements[tenant] |= (foreign - own) | {
            tuple((k, v) for k, v in labels if not k.startswith(RAY_LABEL_PREFIX)) for labels in own
        }
        for other in tenant_namespaces:
            if other != tenant:
                placements[other] |= own - by_origin.get(other, set())
    names: dict[str, str] = {}
    for namespace in sorted(placements):
        for index, labels in enumerate(sorted(placements[namespace])):
            pod = f"{PROBE_PREFIX}{index}"
            resources.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": pod, "namespace": namespace, "labels": dict(labels)},
                    "spec": {"containers": [{"name": "probe", "image": "probe"}]},
                }
            )
            shown = ",".join(f"{k}={v}" for k, v in labels) or "no labels"
            names[f"{namespace}/{pod}"] = f"{namespace}/{pod}[{shown}]"
    return resources, names


def _namespace(name: str, labels: Mapping[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**labels, NAMESPACE_NAME_LABEL: name}},
    }


# --- verdicts --------------------------------------------------------------------


def _touching_tenants(traffic: Traffic, namespaces: set[str]) -> Traffic:
    result = Traffic()
    for (source, destination, protocol), boxes in traffic.boxes.items():
        if source.split("/")[0] in namespaces or destination.split("/")[0] in namespaces:
            result.boxes[(source, destination, protocol)] = set(boxes)
    return result


def _classify(
    unexpected: Traffic,
    tenant_namespaces: set[str],
    health_checks: list[_Endpoint],
    probes: Mapping[str, str],
    roles: Mapping[str, str],
) -> dict[str, Traffic]:
    """Which assertion each unexpected cell breaks: probes first, then crossing tenants, then the pod's role."""
    by_assertion = {name: Traffic() for name in ASSERTIONS}
    for key, box in unexpected.cells():
        source, destination, _ = key
        source_ns, destination_ns = source.split("/")[0], destination.split("/")[0]
        if source in probes or destination in probes:
            name = ATTACKER_PROBES
        elif source_ns != destination_ns and {source_ns, destination_ns} <= tenant_namespaces:
            name = CROSS_TENANT
        elif source in roles or destination in roles:
            name = roles.get(source) or roles[destination]
        elif any(source == hc.name and hc.first_ip <= box[0] and box[1] <= hc.last_ip for hc in health_checks):
            name = HEALTH_CHECKS
        else:
            name = NOTHING_ELSE
        by_assertion[name].boxes[key].add(box)
    return by_assertion


def check_tenant_isolation(resources: list[dict], expectations: IsolationExpectations) -> IsolationReport:
    """Run NCA over the Namespaces, Pods and NetworkPolicies in ``resources``, plus attacker probes, and judge them.

    Other kinds are not analysed. Pods stand for what runs: each cluster needs
    its head and at least one worker, each declared submitter and cleanup its pod,
    and kube-dns and the operator need a pod each, or a required flow could pass for
    want of anyone to check it on.
    """
    namespaces = [tenant.namespace for tenant in expectations.tenants]
    if len(set(namespaces)) != len(namespaces):
        raise ValueError(f"tenant namespaces repeat: {namespaces}")
    analysed = [resource for resource in resources if resource.get("kind") in _ANALYSED_KINDS]
    pods = _Pods([resource for resource in analysed if resource["kind"] == "Pod"])
    intent = _intent(pods, expectations)
    probes, probe_names = attacker_probes(analysed, namespaces)
    dns_pods = pods.find(expectations.dns_namespace, dict(expectations.dns_labels))
    for probe in probe_names:
        if probe.split("/")[0] in namespaces:  # the namespace's allow-dns covers whatever runs there
            for dns in dns_pods:
                intent.tolerated.add_ports(_Endpoint(probe), dns, (udp(53), tcp(53)))

    output, warnings = run_nca(analysed + probes)
    tenant_namespaces = set(namespaces)
    allowed = _touching_tenants(parse_connectivity(output), tenant_namespaces)

    expected = Traffic()
    for traffic in (*intent.required.values(), intent.tolerated):
        expected.update(traffic)
    health_checks = [_ip_endpoint(cidr) for cidr in expectations.health_check_ranges]
    cuts: dict[str, list[int]] = defaultdict(list)
    for hc in health_checks:
        cuts[hc.name] += [hc.first_ip, hc.last_ip + 1]
    unexpected = _classify(allowed.minus(expected, cuts), tenant_namespaces, health_checks, probe_names, intent.roles)

    assertions = []
    for name in ASSERTIONS:
        missing = intent.required[name].minus(allowed) if name in intent.required else Traffic()
        assertions.append(
            Assertion(name, _DESCRIPTIONS[name], missing.connections(), unexpected[name].connections(probe_names))
        )
    return IsolationReport(tuple(assertions), warnings)
