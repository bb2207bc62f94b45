"""The isolation judge's mechanics, without NCA: traffic as sets, reading NCA's answer, running it, intent.

The judge is only as good as its set arithmetic: a cell cut one port too wide,
a span merged across a gap or a complement that drops the last port would hide
an allowed flow, or invent one. These tests compare the arithmetic with a
point-by-point model on a small universe, and pin each reader and runner at its
edges (``make mutation MODULES=tenant_isolation``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rayfort_tools.judges import tenant_isolation as judge
from rayfort_tools.judges.tenant_isolation import (
    ADMITTED_CLUSTERS,
    RAY_HEAD_WORKER,
    Assertion,
    Connection,
    IsolationExpectations,
    IsolationReport,
    NcaError,
    NcaOutputError,
    RayPorts,
    Tenant,
    Traffic,
    _Endpoint,
    tcp,
)

# --- traffic as sets, against a point-by-point model ------------------------------------------

_KEYS = (("a/p", "b/q", "TCP"), ("IPv4", "b/q", "TCP"), ("a/p", "IPv4", "UDP"))


def _box(key: tuple[str, str, str], ips: tuple[int, int], ports: tuple[int, int]) -> tuple:
    """A realistic box: pod-to-pod traffic has the address range 0-0."""
    return key, ((min(ips), max(ips)) if "IPv4" in key[:2] else (0, 0)) + (min(ports), max(ports))


_boxes = st.lists(
    st.builds(
        _box,
        st.sampled_from(_KEYS),
        st.tuples(st.integers(0, 7), st.integers(0, 7)),
        st.tuples(st.integers(1, 8), st.integers(1, 8)),
    ),
    max_size=5,
)


def _traffic(boxes: Iterable[tuple[tuple[str, str, str], tuple[int, int, int, int]]]) -> Traffic:
    traffic = Traffic()
    for key, box in boxes:
        traffic.boxes[key].add(box)
    return traffic


def _points(traffic: Traffic) -> set[tuple]:
    return {
        (key, ip, port)
        for key, box in traffic.cells()
        for ip in range(box[0], box[1] + 1)
        for port in range(box[2], box[3] + 1)
    }


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_boxes, _boxes, st.sets(st.integers(1, 7), max_size=2))
def test_minus_is_set_difference_and_cells_respect_the_cuts(ours, theirs, cuts):
    mine, other = _traffic(ours), _traffic(theirs)
    result = mine.minus(other, {"IPv4": cuts})
    assert _points(result) == _points(mine) - _points(other)
    for key, (ip_first, ip_last, port_first, port_last) in result.cells():
        assert ip_first <= ip_last and port_first <= port_last
        if "IPv4" in key[:2]:
            assert not any(ip_first < cut <= ip_last for cut in cuts), (key, ip_first, ip_last, cuts)
        for box in other.boxes.get(key, ()):  # a cell lies wholly inside or outside what the other allows
            overlaps = ip_first <= box[1] and box[0] <= ip_last and port_first <= box[3] and box[2] <= port_last
            assert not overlaps


def test_an_ip_cut_splits_cells_on_either_end():
    source, destination = _Endpoint("IPv4", 0, 255), _Endpoint("IPv4", 0, 255)
    for ends in ((source, _Endpoint("a/p")), (_Endpoint("a/p"), destination)):
        traffic = Traffic()
        traffic.add(*ends, "TCP", 80, 80)
        cells = sorted(box for _, box in traffic.minus(Traffic(), {"IPv4": [128]}).cells())
        assert cells == [(0, 127, 80, 80), (128, 255, 80, 80)]


def test_protocols_without_ports_cover_every_port():
    traffic = Traffic()
    traffic.add(_Endpoint("a/p"), _Endpoint("b/q"), "other", 5, 5)
    traffic.add(_Endpoint("a/p"), _Endpoint("b/q"), "TCP", 5, 5)
    assert set(traffic.cells()) == {(("a/p", "b/q", "other"), (0, 0, 1, 65535)), (("a/p", "b/q", "TCP"), (0, 0, 5, 5))}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_boxes)
def test_connections_describe_exactly_the_traffic_in_merged_ranges(boxes):
    traffic = _traffic(boxes)
    described = set()
    for connection in traffic.connections():
        ends = []
        for end in (connection.source, connection.destination):
            if "/" in end and not end[0].isdigit():
                ends.append((end, [0]))
            else:
                endpoint = judge._parse_ip_range(end)
                ends.append((endpoint.name, range(endpoint.first_ip, endpoint.last_ip + 1)))
        (source, source_ips), (destination, destination_ips) = ends
        ips = source_ips if source == "IPv4" else destination_ips
        for protocol, first, last in _read_description(connection.traffic):
            for ip in ips:
                for port in range(first, last + 1):
                    described.add(((source, destination, protocol), ip, port))
    assert described == _points(traffic)
    ranges: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for connection in traffic.connections():
        if connection.source[0].isdigit():
            endpoint = judge._parse_ip_range(connection.source)
            ranges.setdefault((connection.destination, "from"), []).append(
                (endpoint.first_ip, endpoint.last_ip, connection.traffic)
            )
        elif connection.destination[0].isdigit():
            endpoint = judge._parse_ip_range(connection.destination)
            ranges.setdefault((connection.source, "to"), []).append(
                (endpoint.first_ip, endpoint.last_ip, connection.traffic)
            )
    for spans in ranges.values():
        spans.sort()
        for a, b in zip(spans, spans[1:], strict=False):
            assert a[1] < b[0], f"each address is described once, with all its traffic: {spans}"
            assert a[2] != b[2] or a[1] + 1 < b[0], f"touching ranges with the same traffic are merged: {spans}"


def _read_description(text: str) -> list[tuple[str, int, int]]:
    if text == "all traffic":
        return [(p, 1, 65535) for p in ("TCP", "UDP", "SCTP", "other")]
    result = []
    for part in text.split("; "):
        if part == "protocols without ports":
            result.append(("other", 1, 65535))
            continue
        protocol, _, ports = part.partition(" ")
        for item in ports.split(","):
            first, _, last = item.partition("-")
            result.append((protocol, int(first), int(last or first)))
    return result


def test_addresses_read_as_one_network_or_a_range():
    assert judge._describe("IPv4", 167772160, 167772415) == "10.0.0.0/24"
    assert judge._describe("IPv4", 167772160, 167772416) == "10.0.0.0-10.0.1.0"
    assert judge._describe("IPv6", 0, 2**128 - 1) == "::/0"
    assert judge._describe("team-a/h", 0, 0) == "team-a/h"


def test_spans_merge_when_they_touch_or_overlap_and_not_across_a_gap():
    assert judge._merge([(3, 4), (1, 2)]) == [(1, 4)]
    assert judge._merge([(1, 5), (2, 3)]) == [(1, 5)]
    assert judge._merge([(1, 3), (2, 6), (8, 9)]) == [(1, 6), (8, 9)]
    assert judge._merge([(5, 5), (5, 5)]) == [(5, 5)]
    assert judge._merge([(1, 2), (5, 6), (6, 9)]) == [(1, 2), (5, 9)]
    assert judge._merge([(1, 2), (5, 9), (6, 7)]) == [(1, 2), (5, 9)]


def test_traffic_is_described_port_by_port_or_as_all():
    assert judge._describe_traffic({"TCP": [(80, 80), (81, 90)], "UDP": [(53, 53)]}) == "TCP 80-90; UDP 53"
    every = {p: [(1, 65535)] for p in ("TCP", "UDP", "SCTP", "other")}
    assert judge._describe_traffic(every) == "all traffic"
    assert judge._describe_traffic({**every, "SCTP": [(1, 65534)]}) == (
        "TCP 1-65535; UDP 1-65535; SCTP 1-65534; protocols without ports"
    )


# --- reading NCA's answer ----------------------------------------------------------------------


def test_a_complement_keeps_every_port_not_taken_and_invents_none():
    tcp_only = [("UDP", 1, 65535), ("SCTP", 1, 65535), ("other", 1, 65535)]
    assert judge._complement([("TCP", 1, 65535)]) == tcp_only
    assert judge._complement([("TCP", 1, 79)]) == [("TCP", 80, 65535), *tcp_only]
    assert judge._complement([("TCP", 2, 65534)]) == [("TCP", 1, 1), ("TCP", 65535, 65535), *tcp_only]
    assert judge._complement([("TCP", 1, 65534)]) == [("TCP", 65535, 65535), *tcp_only]
    assert judge._complement([("TCP", 80, 80), ("TCP", 82, 90)]) == [
        ("TCP", 1, 79),
        ("TCP", 81, 81),
        ("TCP", 91, 65535),
        *tcp_only,
    ]


def test_protocols_without_ports_are_read_on_every_port():
    assert judge._parse_cubes("{protocols:ICMP,dst_ports:80}") == [("other", 1, 65535)]
    assert judge._parse_cubes("{protocols:TCP,dst_ports:80-81,90}") == [("TCP", 80, 81), ("TCP", 90, 90)]


@pytest.mark.parametrize("text", ["", "junk", " {protocols:TCP}", "{protocols:TCP}junk", "{protocols:TCP},"])
def test_traffic_outside_the_braces_is_refused(text):
    with pytest.raises(ValueError, match="unreadable traffic"):
        judge._parse_cubes(text)


@pytest.mark.parametrize("text", ["team-a", "/h", "team-a/", "team-a/h/x", "team-a/h,x", "team-a/h,10.0.0.1"])
def test_an_endpoint_is_a_pod_or_ip_blocks(text):
    with pytest.raises(ValueError, match="neither a pod nor an IP block"):
        judge._parse_endpoint(text)
    assert judge._parse_endpoint("team-a/h") == [_Endpoint("team-a/h")]


@pytest.mark.parametrize("text", ["10.0.0.5-10.0.0.1", "10.0.0.1-::1", "::1-10.0.0.1"])
def test_an_ip_range_runs_upwards_within_one_version(text):
    with pytest.raises(ValueError, match="bad IP range"):
        judge._parse_ip_range(text)
    assert judge._parse_ip_range("10.0.0.1-10.0.0.1") == _Endpoint("IPv4", 167772161, 167772161)


def test_blank_lines_are_skipped_and_errors_name_their_line():
    traffic = judge.parse_connectivity("\n  \nteam-a/h => team-b/w : {protocols:TCP,dst_ports:80}\n")
    assert traffic.connections() == (Connection("team-a/h", "team-b/w", "TCP 80"),)
    with pytest.raises(NcaOutputError, match="line 3 "):
        judge.parse_connectivity("\n\nnot a line")
    with pytest.raises(NcaOutputError, match="line 1: "):
        judge.parse_connectivity("team-a/h => team-b/w : {dst_ports:x}")


# --- running NCA ---------------------------------------------------------------------------------


def _fake_nca(tmp_path, monkeypatch, script: str) -> None:
    executable = tmp_path / "nca"
    executable.write_text("#!/bin/sh\n" + script)
    executable.chmod(0o755)
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(executable))


def _report_path() -> str:
    return 'while [ "$1" != --file_out ]; do shift; done; out="$2"\n'


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (_report_path() + 'echo "a/b => c/d : All connections" > "$out"\nexit 1\n', "exited 1"),
        (_report_path() + 'echo "a/b => c/d : All connections" > "$out"\nkill -9 $$\n', "exited -9"),
        ("exit 0\n", "exited 0"),
    ],
    ids=["failed-with-a-report", "killed-with-a-report", "no-report"],
)
def test_nca_must_exit_0_and_write_its_report(tmp_path, monkeypatch, script, message):
    _fake_nca(tmp_path, monkeypatch, script)
    with pytest.raises(NcaError, match=message):
        judge.run_nca([])


def test_nca_that_does_not_answer_in_time_is_an_error(tmp_path, monkeypatch):
    _fake_nca(tmp_path, monkeypatch, "exit 0\n")

    def late(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout", 0))

    monkeypatch.setattr(judge.subprocess, "run", late)
    with pytest.raises(NcaError, match="did not answer within"):
        judge.run_nca([])


def test_nca_must_be_an_executable_file(tmp_path, monkeypatch):
    directory = tmp_path / "venv" / "bin" / "nca"
    directory.mkdir(parents=True)
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(tmp_path / "venv"))
    with pytest.raises(judge.NcaUnavailable):
        judge.nca_executable()
    plain = tmp_path / "nca"
    plain.write_text("#!/bin/sh\n")
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(plain))
    with pytest.raises(judge.NcaUnavailable):
        judge.nca_executable()


# --- intent ------------------------------------------------------------------------------------------


def _pod(namespace: str, name: str, **labels: str) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": namespace, "name": name, "labels": labels}}


def _ray(namespace: str, cluster: str, node_type: str, name: str) -> dict:
    return _pod(namespace, name, **{"ray.io/cluster": cluster, "ray.io/node-type": node_type})


def test_workers_reach_each_other_only_where_the_ports_say_and_never_themselves():
    pods = judge._Pods([_ray("t", "c", "head", "h"), _ray("t", "c", "worker", "w1"), _ray("t", "c", "worker", "w2")])
    between = (tcp(10002, 10100),)
    flows = {
        (source.name, destination.name): ports
        for source, destination, ports in judge._cluster_flows(
            pods, Tenant("t", "c", ray_ports=RayPorts(between_workers=between)), "c"
        )
    }
    assert flows[("t/w1", "t/w2")] == between and flows[("t/w2", "t/w1")] == between
    assert ("t/w1", "t/w1") not in flows and ("t/w2", "t/w2") not in flows
    closed = {(s.name, d.name) for s, d, _ in judge._cluster_flows(pods, Tenant("t", "c"), "c")}
    assert closed == {("t/w1", "t/h"), ("t/w2", "t/h"), ("t/h", "t/w1"), ("t/h", "t/w2")}


@pytest.mark.parametrize("admitted", ["a-own", "z-own"])
def test_a_cluster_the_team_made_is_judged_under_its_own_assertion(admitted):
    """Whether its name sorts before or after the platform's cluster."""
    pods = judge._Pods(
        [
            _ray("t", "m-platform", "head", "ph"),
            _ray("t", "m-platform", "worker", "pw"),
            _ray("t", admitted, "head", "oh"),
            _ray("t", admitted, "worker", "ow"),
            _pod("kube-system", "dns", **{"k8s-app": "kube-dns"}),
            _pod("kuberay-system", "operator"),
        ]
    )
    expectations = IsolationExpectations(tenants=(Tenant("t", "m-platform", admitted_clusters=(admitted,)),))
    intent = judge._intent(pods, expectations)
    assert intent.roles == {"t/oh": ADMITTED_CLUSTERS, "t/ow": ADMITTED_CLUSTERS}
    assert {s for (s, _, _), _ in intent.required[ADMITTED_CLUSTERS].cells() if s[:2] == "t/"} == {"t/oh", "t/ow"}
    assert {s for (s, _, _), _ in intent.required[RAY_HEAD_WORKER].cells() if s[:2] == "t/"} == {"t/ph", "t/pw"}


def test_the_summary_names_each_verdict_and_its_connections():
    missing, unexpected = Connection("a/w", "a/h", "TCP 6379"), Connection("b/x", "a/h", "TCP 8265")
    report = IsolationReport(
        (
            Assertion("dns", "pods resolve names", (), ()),
            Assertion("ray", "workers reach their head", (missing,), (unexpected,)),
        ),
        (),
    )
    assert report.summary() == (
        "PASS dns: pods resolve names\n"
        "FAIL ray: workers reach their head\n"
        "    missing    a/w -> a/h: TCP 6379\n"
        "    unexpected b/x -> a/h: TCP 8265"
    )


# --- intent of every assertion, for a tenant that uses every feature ----------------------------------

_REDIS, _APIS, _DNS_OUT, _LB = "10.1.0.5/32", "10.0.0.0/24", "10.3.0.0/24", "10.2.0.0/24"


def _full_tenant(admitted: str = "own", **changes) -> Tenant:
    """Platform cluster p, a cluster the team made (own), Redis for p only, a submitter to p, scraped, exposed."""
    settings = {
        "namespace": "t",
        "cluster": "p",
        "exposed": True,
        "scraped": True,
        "admitted_clusters": (admitted,),
        # The platform-only egress comes first: skipping it for a team's cluster must not skip the rest.
        "egress": (
            judge.Egress(_REDIS, (tcp(6378),), frozenset({"head", "redis-cleanup"}), platform_cluster_only=True),
            judge.Egress(_APIS, (tcp(443),)),
            judge.Egress(_DNS_OUT, (tcp(53),), frozenset({"redis-cleanup"})),
        ),
        "ingress": (judge.Ingress(_LB, (tcp(10001),)),),
        "submitters": (judge.Submitter("j", "p"),),
    }
    return Tenant(**(settings | changes))


def _full_pods(*leave_out: str, admitted: str = "own") -> judge._Pods:
    crd_key, crd = judge.SUBMITTER_CRD_LABEL
    pods = [
        _ray("t", "p", "head", "ph"),
        _ray("t", "p", "worker", "pw"),
        _ray("t", admitted, "head", "oh"),
        _ray("t", admitted, "worker", "ow"),
        _ray("t", "p", "redis-cleanup", "pc"),
        _ray("t", admitted, "redis-cleanup", "oc"),
        _pod("t", "s", **{crd_key: crd, judge.SUBMITTER_JOB_LABEL: "j"}),
        _pod("kube-system", "dns", **{"k8s-app": "kube-dns"}),
        _pod("kuberay-system", "operator"),
        _pod("gmp-system", "collector"),
    ]
    return judge._Pods([p for p in pods if p["metadata"]["name"] not in leave_out])


def _flows(traffic: Traffic) -> set[tuple[str, str]]:
    return {(source, destination) for (source, destination, _), _ in traffic.cells()}


def _described(traffic: Traffic) -> set[str]:
    return {str(connection) for connection in traffic.connections()}


@pytest.mark.parametrize("admitted", ["own", "zz"])
def test_every_assertion_requires_exactly_the_flows_of_its_own_pods(admitted):
    """The team's cluster named before or after the platform's ("p")."""
    intent = judge._intent(_full_pods(admitted=admitted), IsolationExpectations(tenants=(_full_tenant(admitted),)))
    required = intent.required
    # Metrics: the collector scrapes the platform cluster under METRICS, the team's under its own name, on 8080.
    assert _described(required[judge.METRICS]) == {
        "gmp-system/collector -> t/ph: TCP 8080",
        "gmp-system/collector -> t/pw: TCP 8080",
    }
    admitted = _described(required[ADMITTED_CLUSTERS])
    assert {"gmp-system/collector -> t/oh: TCP 8080", "gmp-system/collector -> t/ow: TCP 8080"} <= admitted
    # Ingress from the load balancer's range reaches the platform head only.
    assert _described(required[judge.DECLARED_INGRESS]) == {f"{_LB} -> t/ph: TCP 10001"}
    # Egress: Redis for the platform head only; Google APIs for every Ray pod, the team's under its own name.
    assert _described(required[judge.DECLARED_EGRESS]) == {
        f"t/ph -> {_REDIS}: TCP 6378",
        f"t/ph -> {_APIS}: TCP 443",
        f"t/pw -> {_APIS}: TCP 443",
    }
    assert {f"t/oh -> {_APIS}: TCP 443", f"t/ow -> {_APIS}: TCP 443"} <= admitted
    assert not [c for c in admitted if _REDIS in c]
    # Cleanup pods: the platform's reaches Redis; both reach what is declared for every cluster.
    assert _described(required[judge.REDIS_CLEANUP]) == {
        f"t/pc -> {_REDIS}: TCP 6378",
        f"t/pc -> {_DNS_OUT}: TCP 53",
        f"t/oc -> {_DNS_OUT}: TCP 53",
    }
    # The submitter needs its own cluster's dashboard; another of the tenant's is only tolerated.
    assert _described(required[judge.JOB_SUBMITTERS]) == {"t/s -> t/ph: TCP 8265"}
    assert ("t/s", "t/oh") in _flows(intent.tolerated) and ("t/s", "t/ph") not in _flows(intent.tolerated)
    # Flows between the tenant's clusters are tolerated; flows within one are required, never merely tolerated.
    tolerated = _flows(intent.tolerated)
    assert {("t/ow", "t/ph"), ("t/pw", "t/oh"), ("t/ph", "t/ow"), ("t/oh", "t/pw")} <= tolerated
    assert not {("t/pw", "t/ph"), ("t/ow", "t/oh")} & tolerated
    assert intent.roles == {
        "t/oh": ADMITTED_CLUSTERS,
        "t/ow": ADMITTED_CLUSTERS,
        "t/pc": judge.REDIS_CLEANUP,
        "t/oc": judge.REDIS_CLEANUP,
        "t/s": judge.JOB_SUBMITTERS,
    }
    assert judge.RayPorts().metrics == 8080


@pytest.mark.parametrize(
    ("leave_out", "tenant", "message"),
    [
        (("collector",), {}, "no collector pod in gmp-system to scrape t"),
        (("pc", "oc"), {}, "egress is declared for redis-cleanup pods, but there are none"),
        (("s",), {}, "need a submitter pod of j and its cluster's head"),
        ((), {"submitters": (judge.Submitter("j", "elsewhere"),)}, "need a submitter pod of j and its cluster's head"),
    ],
)
def test_a_pod_the_intent_needs_and_cannot_find_is_an_error(leave_out, tenant, message):
    with pytest.raises(ValueError, match=message):
        judge._intent(_full_pods(*leave_out), IsolationExpectations(tenants=(_full_tenant(**tenant),)))


def test_an_unscraped_tenant_needs_no_collector():
    intent = judge._intent(_full_pods("collector"), IsolationExpectations(tenants=(_full_tenant(scraped=False),)))
    assert not _flows(intent.required[judge.METRICS])


def test_egress_and_ingress_check_their_node_types():
    every = judge.Egress(_APIS, (tcp(443),), judge.NODE_TYPES)
    assert every.node_types == judge.NODE_TYPES and not every.platform_cluster_only
    for wrong in (frozenset(), frozenset({"bogus"}), frozenset({"head", "bogus"})):
        with pytest.raises(ValueError, match="node_types must be among"):
            judge.Egress(_APIS, (tcp(443),), wrong)
    assert judge.Ingress(_LB, (tcp(10001),)).node_types == frozenset({"head"})


@pytest.mark.parametrize(
    "record",
    [
        judge.Egress(_APIS, (tcp(443),)),
        judge.Ingress(_LB, (tcp(10001),)),
        judge.Submitter("j", "p"),
        Tenant("t", "p"),
        IsolationExpectations(tenants=()),
        Connection("a/x", "b/y", "TCP 1"),
        Assertion("dns", "d", (), ()),
        IsolationReport((), ()),
        _Endpoint("a/x"),
    ],
    ids=lambda r: type(r).__name__,
)
def test_what_the_judge_expects_cannot_be_changed_once_made(record):
    """The expectations are shared by every check of a run: none may loosen them for the next."""
    field = next(iter(record.__dataclass_fields__))
    with pytest.raises(AttributeError):
        setattr(record, field, None)
    assert hash(record) == hash(record)


def test_a_report_passes_only_when_every_assertion_does():
    failing = Assertion("ray", "workers reach their head", (Connection("a/w", "a/h", "TCP 6379"),), ())
    assert IsolationReport((Assertion("dns", "d", (), ()),), ()).passed is True
    assert IsolationReport((Assertion("dns", "d", (), ()), failing), ()).passed is False


# --- which assertion an unexpected flow breaks -------------------------------------------------------


def test_each_unexpected_flow_is_charged_to_the_assertion_it_breaks():
    hc = judge._ip_endpoint("35.191.0.0/16")
    unexpected = _traffic(
        [
            (("attacker-a/probe-0", "a/h", "TCP"), (0, 0, 6379, 6379)),
            (("b/x", "a/h", "TCP"), (0, 0, 6379, 6379)),
            (("a/x", "b/h", "TCP"), (0, 0, 6379, 6379)),
            (("a/x", "a/cleanup", "TCP"), (0, 0, 1, 1)),
            (("a/cleanup", "kube-system/y", "TCP"), (0, 0, 2, 2)),
            (("IPv4", "a/h", "TCP"), (hc.first_ip + 1, hc.last_ip - 1, 8265, 8265)),
            (("IPv4", "a/h", "UDP"), (hc.first_ip - 1, hc.first_ip + 1, 8265, 8265)),
            (("IPv4", "a/w", "TCP"), (hc.first_ip, hc.last_ip, 8265, 8265)),
            (("IPv4", "a/g", "TCP"), (hc.first_ip + 1, hc.last_ip + 1, 8265, 8265)),
            (("a/x", "kube-system/y", "TCP"), (0, 0, 3, 3)),
            # An IPv6 address is no health check's, even where its number falls in the IPv4 range.
            (("IPv6", "a/h", "TCP"), (hc.first_ip, hc.last_ip, 8265, 8265)),
        ]
    )
    found = judge._classify(
        unexpected,
        {"a", "b", "c"},
        [hc],
        {"attacker-a/probe-0": "attacker-a/probe-0[x=y]"},
        {"a/cleanup": judge.REDIS_CLEANUP},
    )
    charged = {name: _flows(traffic) for name, traffic in found.items() if traffic.boxes}
    assert charged == {
        judge.ATTACKER_PROBES: {("attacker-a/probe-0", "a/h")},
        judge.CROSS_TENANT: {("b/x", "a/h"), ("a/x", "b/h")},
        judge.REDIS_CLEANUP: {("a/x", "a/cleanup"), ("a/cleanup", "kube-system/y")},
        judge.HEALTH_CHECKS: {("IPv4", "a/h"), ("IPv4", "a/w")},
        judge.NOTHING_ELSE: {("IPv4", "a/h"), ("IPv4", "a/g"), ("a/x", "kube-system/y"), ("IPv6", "a/h")},
    }
    assert {key[2] for key, _ in found[judge.HEALTH_CHECKS].cells()} == {"TCP"}


# --- probes an attacker could create ------------------------------------------------------------------


def _namespace(name: str, **labels: str) -> dict:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {**labels, judge.NAMESPACE_NAME_LABEL: name}}}


def _policy(namespace: str, pod_selector: dict, peers: list[dict]) -> dict:
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {"podSelector": pod_selector, "ingress": [{"from": peers}], "egress": [{"to": peers[:1]}]},
    }


def test_probes_copy_forgeable_namespace_labels_and_each_tenants_pods_into_the_others():
    name_label = judge.NAMESPACE_NAME_LABEL
    operator = {"namespaceSelector": {"matchLabels": {name_label: "kuberay-system", "env": "prod", "zone": "z"}}}
    analysed = [
        _namespace("a", **{"app.kubernetes.io/part-of": "rayfort", "zone": "a"}),
        _namespace("b"),
        _policy(
            "a", {"matchLabels": {"ray.io/cluster": "a"}}, [operator, {"podSelector": {"matchLabels": {"x": "1"}}}]
        ),
        _pod("a", "h", **{"ray.io/cluster": "a", "team": "a"}),
        _pod("b", "h", **{"ray.io/cluster": "b"}),
        _pod("elsewhere", "h", **{"ray.io/cluster": "z"}),
    ]
    resources, names = judge.attacker_probes(analysed, ["a", "b"])
    namespaces = {r["metadata"]["name"]: r["metadata"]["labels"] for r in resources if r["kind"] == "Namespace"}
    # A fresh namespace for each tenant: the labels policies select namespaces by, and the tenant's own.
    assert namespaces == {
        "attacker-a": {"env": "prod", "zone": "a", "app.kubernetes.io/part-of": "rayfort", name_label: "attacker-a"},
        "attacker-b": {"env": "prod", "zone": "z", name_label: "attacker-b"},
    }
    placed: dict[str, set] = {}
    for r in resources:
        if r["kind"] == "Pod":
            placed.setdefault(r["metadata"]["namespace"], set()).add(tuple(sorted(r["metadata"]["labels"].items())))
    a_sets = {(("ray.io/cluster", "a"),), (("ray.io/cluster", "a"), ("team", "a")), (("x", "1"),)}
    b_sets = {(("ray.io/cluster", "b"),)}
    # A fresh namespace gets the tenant's sets and the sets of other namespaces' peers (the operator's: none).
    assert placed["attacker-a"] == a_sets | {()}
    assert placed["attacker-b"] == b_sets | {()}
    # Each tenant's label sets go into the other tenant's namespace; in its own, without the Ray labels.
    assert placed["b"] == a_sets | {()}
    assert placed["a"] == b_sets | {(), (("team", "a"),), (("x", "1"),)}
    assert len(names) == sum(len(sets) for sets in placed.values())
    assert "a/probe-0" in names and names["a/probe-0"].startswith("a/probe-0[")


def test_a_fresh_namespace_name_is_a_valid_label_at_most_63_characters():
    tenant = "t" * 54 + "-" + "x" * 8  # 63 characters: the prefix pushes the fresh name past the limit
    resources, _ = judge.attacker_probes([_namespace(tenant)], [tenant])
    (fresh,) = [r["metadata"]["name"] for r in resources if r["kind"] == "Namespace"]
    assert fresh == ("attacker-" + tenant)[:63] and len(fresh) == 63
    short = "t" * 53 + "-x"
    resources, _ = judge.attacker_probes([_namespace(short)], [short])
    (fresh,) = [r["metadata"]["name"] for r in resources if r["kind"] == "Namespace"]
    assert fresh == "attacker-" + "t" * 53 and not fresh.endswith("-")


def test_probes_come_from_policies_and_pods_only():
    """Without a peer that selects every pod, no probe goes unlabelled; a pod named like a namespace is no namespace."""
    analysed = [
        _namespace("a", zone="a"),
        _namespace("b"),
        _policy("a", {"matchLabels": {"ray.io/cluster": "a"}}, [{"podSelector": {"matchLabels": {"x": "1"}}}]),
        _pod("a", "h", **{"ray.io/cluster": "a", "team": "a"}),
        _pod("b", "b", **{"ray.io/cluster": "b", "team": "b"}),
        _pod("elsewhere", "h", **{"ray.io/cluster": "z"}),
    ]
    resources, _ = judge.attacker_probes(analysed, ["a", "b"])
    namespaces = {r["metadata"]["name"]: r["metadata"]["labels"] for r in resources if r["kind"] == "Namespace"}
    name_label = judge.NAMESPACE_NAME_LABEL
    assert namespaces == {
        "attacker-a": {"zone": "a", name_label: "attacker-a"},
        "attacker-b": {name_label: "attacker-b"},
    }
    placed: dict[str, set] = {}
    for r in resources:
        if r["kind"] == "Pod":
            placed.setdefault(r["metadata"]["namespace"], set()).add(tuple(sorted(r["metadata"]["labels"].items())))
    a_sets = {(("ray.io/cluster", "a"),), (("ray.io/cluster", "a"), ("team", "a")), (("x", "1"),)}
    assert placed["attacker-a"] == a_sets
    assert placed["attacker-b"] == {(("ray.io/cluster", "b"), ("team", "b"))}


def test_tenant_namespaces_must_not_repeat():
    tenants = (Tenant("t", "p"), Tenant("t", "q"))
    with pytest.raises(ValueError, match="tenant namespaces repeat"):
        judge.check_tenant_isolation([], IsolationExpectations(tenants=tenants))


def test_traffic_from_a_wider_range_is_charged_to_health_checks_exactly_on_their_ranges(tmp_path, monkeypatch):
    """NCA's answer is cut at each health-check range's first and one-past-last address, not one off."""
    report = "0.0.0.0-255.255.255.255 => t/ph : {protocols:TCP,dst_ports:8265}"
    _fake_nca(tmp_path, monkeypatch, _report_path() + f'echo "{report}" > "$out"\n')
    pods = [
        _ray("t", "p", "head", "ph"),
        _ray("t", "p", "worker", "pw"),
        _pod("kube-system", "dns", **{"k8s-app": "kube-dns"}),
        _pod("kuberay-system", "operator"),
    ]
    found = judge.check_tenant_isolation(pods, IsolationExpectations(tenants=(Tenant("t", "p"),)))
    unexpected = {a.name: {str(c) for c in a.unexpected} for a in found.assertions}
    assert unexpected[judge.HEALTH_CHECKS] == {
        "35.191.0.0/16 -> t/ph: TCP 8265",
        "130.211.0.0/22 -> t/ph: TCP 8265",
    }
    assert "0.0.0.0-35.190.255.255 -> t/ph: TCP 8265" in unexpected[judge.NOTHING_ELSE]
    assert "35.192.0.0-130.210.255.255 -> t/ph: TCP 8265" in unexpected[judge.NOTHING_ELSE]
    assert "130.211.4.0-255.255.255.255 -> t/ph: TCP 8265" in unexpected[judge.NOTHING_ELSE]
