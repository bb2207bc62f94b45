"""Judge: tenant network isolation, proven by an analyzer rayfort did not write.

rayfort's own code writes the NetworkPolicies, so it must not also be the one
to say what they allow. This judge hands namespaces, representative pods and
NetworkPolicies to network-config-analyzer (NCA), reads back the connectivity
NCA computes, and compares it with the flows rayfort means to allow, both
ways: every required flow is allowed, and nothing else touching a tenant pod
is.

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
    NOTHING_ELSE: "no other traffic to or from a tenant pod is allowed",
}
ASSERTIONS = tuple(_DESCRIPTIONS)

_ANALYSED_KINDS = ("Namespace", "Pod", "NetworkPolicy")
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

    def __post_init__(self) -> None:
        ipaddress.ip_network(self.cidr)
        if not self.node_types or not self.node_types <= {"head", "worker"}:
            raise ValueError(f"node_types must be head and/or worker, not {set(self.node_types)}")


@dataclass(frozen=True)
class Ingress:
    """A source range allowed to reach a tenant's Ray pods, e.g. an internal load balancer's clients."""

    cidr: str
    ports: tuple[Ports, ...]
    node_types: frozenset[str] = frozenset({"head"})

    def __post_init__(self) -> None:
        ipaddress.ip_network(self.cidr)


@dataclass(frozen=True)
class Tenant:
    """A team's namespace and the one RayCluster in it."""

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

    def connections(self) -> tuple[Connection, ...]:
        """Readable connections: one per pair of endpoints, address range and traffic."""
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
                    result.append(Connection(_describe(source, *span), _describe(destination, *span), described))
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
        inputs = Path(scratch, "resources")
        inputs.mkdir()
        for index, resource in enumerate(resources):
            # Named after the resource, since NCA's warnings name the file.
            metadata = resource.get("metadata", {})
            name = "-".join((f"{index:04d}", resource["kind"], metadata.get("namespace", ""), metadata["name"]))
            # NCA reads .json as YAML; JSON keeps strings like "8080" strings.
            (inputs / f"{name}.json").write_text(json.dumps(resource))
        report = Path(scratch, "connectivity.txt")
        command = [str(nca), *_NCA_QUERY, "--resource_list", str(inputs), "--file_out", str(report)]
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
            line.strip().replace(f"{inputs}{os.sep}", "")
            for line in (completed.stdout + completed.stderr).splitlines()
            if "Warning" in line
        )
        return report.read_text(), warnings


# --- the judge ---------------------------------------------------------------


def _labels(resource: dict) -> dict:
    return resource.get("metadata", {}).get("labels") or {}


def _pod_endpoint(pod: dict) -> _Endpoint:
    metadata = pod["metadata"]
    return _Endpoint(f"{metadata.get('namespace', 'default')}/{metadata['name']}")


def _required_traffic(pods: list[dict], expectations: IsolationExpectations) -> dict[str, Traffic]:
    """The traffic each assertion needs allowed, from the pods that are there."""

    def pods_in(namespace: str, selector: Mapping[str, str] | None = None) -> list[_Endpoint]:
        return [
            _pod_endpoint(pod)
            for pod in pods
            if pod["metadata"].get("namespace", "default") == namespace
            and all(_labels(pod).get(key) == value for key, value in (selector or {}).items())
        ]

    def ray_pods(tenant: Tenant, node_type: str) -> list[_Endpoint]:
        return pods_in(tenant.namespace, {"ray.io/cluster": tenant.cluster, "ray.io/node-type": node_type})

    dns_pods = pods_in(expectations.dns_namespace, dict(expectations.dns_labels))
    operator_pods = pods_in(expectations.operator_namespace)
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
        )
    }
    for tenant in expectations.tenants:
        heads, workers = ray_pods(tenant, "head"), ray_pods(tenant, "worker")
        if not heads or not workers:
            raise ValueError(f"tenant {tenant.namespace}: need a head and a worker pod of {tenant.cluster}")
        dashboard = (tcp(tenant.ray_ports.dashboard),)
        for head in heads:
            for worker in workers:
                required[RAY_HEAD_WORKER].add_ports(worker, head, tenant.ray_ports.to_head)
                required[RAY_HEAD_WORKER].add_ports(head, worker, tenant.ray_ports.to_worker)
            if tenant.operator_managed:
                for operator in operator_pods:
                    required[OPERATOR_DASHBOARD].add_ports(operator, head, dashboard)
            if tenant.exposed:
                for cidr in expectations.health_check_ranges:
                    required[HEALTH_CHECKS].add_ports(_ip_endpoint(cidr), head, dashboard)
        for pod in pods_in(tenant.namespace):
            for dns in dns_pods:
                required[DNS].add_ports(pod, dns, (udp(53), tcp(53)))
        if tenant.ray_ports.between_workers:
            for source in workers:
                for destination in workers:
                    if source != destination:
                        required[RAY_HEAD_WORKER].add_ports(source, destination, tenant.ray_ports.between_workers)
        for egress in tenant.egress:
            for node_type in egress.node_types:
                for pod in ray_pods(tenant, node_type):
                    required[DECLARED_EGRESS].add_ports(pod, _ip_endpoint(egress.cidr), egress.ports)
        for ingress in tenant.ingress:
            for node_type in ingress.node_types:
                for pod in ray_pods(tenant, node_type):
                    required[DECLARED_INGRESS].add_ports(_ip_endpoint(ingress.cidr), pod, ingress.ports)
        if tenant.scraped:
            collectors = pods_in(expectations.monitoring_namespace)
            if not collectors:
                raise ValueError(
                    f"no collector pod in {expectations.monitoring_namespace} to scrape {tenant.namespace}"
                )
            for collector in collectors:
                for pod in heads + workers:
                    required[METRICS].add_ports(collector, pod, (tcp(tenant.ray_ports.metrics),))
    return required


def _touching_tenants(traffic: Traffic, namespaces: set[str]) -> Traffic:
    result = Traffic()
    for (source, destination, protocol), boxes in traffic.boxes.items():
        if source.split("/")[0] in namespaces or destination.split("/")[0] in namespaces:
            result.boxes[(source, destination, protocol)] = set(boxes)
    return result


def _classify(unexpected: Traffic, tenant_namespaces: set[str], health_checks: list[_Endpoint]) -> dict[str, Traffic]:
    """Which assertion each unexpected cell breaks."""
    by_assertion = {name: Traffic() for name in (CROSS_TENANT, HEALTH_CHECKS, NOTHING_ELSE)}
    for key, box in unexpected.cells():
        source, destination, _ = key
        source_ns, destination_ns = source.split("/")[0], destination.split("/")[0]
        if source_ns != destination_ns and {source_ns, destination_ns} <= tenant_namespaces:
            name = CROSS_TENANT
        elif any(source == hc.name and hc.first_ip <= box[0] and box[1] <= hc.last_ip for hc in health_checks):
            name = HEALTH_CHECKS
        else:
            name = NOTHING_ELSE
        by_assertion[name].boxes[key].add(box)
    return by_assertion


def check_tenant_isolation(resources: list[dict], expectations: IsolationExpectations) -> IsolationReport:
    """Run NCA over the Namespaces, Pods and NetworkPolicies in ``resources`` and judge them.

    Other kinds are not analysed. Pods stand for what runs: each tenant needs
    its head and at least one worker, and kube-dns and the operator need a pod
    each, or a required flow could pass for want of anyone to check it on.
    """
    namespaces = [tenant.namespace for tenant in expectations.tenants]
    if len(set(namespaces)) != len(namespaces):
        raise ValueError(f"tenant namespaces repeat: {namespaces}")
    analysed = [resource for resource in resources if resource.get("kind") in _ANALYSED_KINDS]
    pods = [resource for resource in analysed if resource["kind"] == "Pod"]
    required = _required_traffic(pods, expectations)

    output, warnings = run_nca(analysed)
    tenant_namespaces = set(namespaces)
    allowed = _touching_tenants(parse_connectivity(output), tenant_namespaces)

    expected = Traffic()
    for traffic in required.values():
        expected.update(traffic)
    health_checks = [_ip_endpoint(cidr) for cidr in expectations.health_check_ranges]
    cuts: dict[str, list[int]] = defaultdict(list)
    for hc in health_checks:
        cuts[hc.name] += [hc.first_ip, hc.last_ip + 1]
    unexpected = _classify(allowed.minus(expected, cuts), tenant_namespaces, health_checks)

    assertions = []
    for name in ASSERTIONS:
        missing = required[name].minus(allowed) if name in required else Traffic()
        excess = unexpected.get(name, Traffic())
        assertions.append(Assertion(name, _DESCRIPTIONS[name], missing.connections(), excess.connections()))
    return IsolationReport(tuple(assertions), warnings)
