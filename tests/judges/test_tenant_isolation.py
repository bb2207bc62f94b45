"""The tenant-isolation judge, run through NCA on hand-written policies.

The fixtures in fixtures/netpol are two tenants done right; fixtures/netpol/broken
holds the policies that the broken variants add or swap in. NCA runs once per
variant (each run is cached), so the whole file stays within seconds. The judge
adds its attacker probes to every run; the probe tests below pin how they are made.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from rayfort_tools.judges import tenant_isolation as judge
from rayfort_tools.judges.tenant_isolation import (
    ASSERTIONS,
    ATTACKER_PROBES,
    CROSS_TENANT,
    DECLARED_EGRESS,
    DNS,
    HEALTH_CHECKS,
    NOTHING_ELSE,
    RAY_HEAD_WORKER,
    Connection,
    Egress,
    IsolationExpectations,
    IsolationReport,
    NcaError,
    NcaOutputError,
    NcaUnavailable,
    RayPorts,
    Tenant,
    check_tenant_isolation,
    parse_connectivity,
    tcp,
)

FIXTURES = Path(__file__).parent / "fixtures" / "netpol"
GOOGLE_APIS = Egress("199.36.153.8/30", (tcp(443),))

EXPECTATIONS = IsolationExpectations(
    tenants=(
        Tenant(
            "team-a",
            "team-a-ray",
            exposed=True,
            egress=(GOOGLE_APIS, Egress("10.20.0.0/29", (tcp(6379),), frozenset({"head"}))),
        ),
        Tenant(
            "team-b",
            "team-b-ray",
            egress=(GOOGLE_APIS, Egress("10.20.0.8/29", (tcp(6379),), frozenset({"head"}))),
        ),
    ),
)

TEAM_A_HEAD = "team-a/team-a-ray-head-9xk4p"
TEAM_A_WORKERS = ("team-a/team-a-ray-cpu-worker-4fz8n", "team-a/team-a-ray-cpu-worker-7wq2d")
TEAM_B_NOTEBOOK = "team-b/team-b-notebook-0"
OPERATOR = "kuberay-system/kuberay-operator-7c9d8f6b5-qk2lm"


def _load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _identity(resource: dict) -> tuple[str, str, str]:
    metadata = resource["metadata"]
    return resource["kind"], metadata.get("namespace", ""), metadata["name"]


def _resources(drop: tuple[str, ...] = (), swap_in: tuple[str, ...] = ()) -> list[dict]:
    """The good fixtures less the policies named "namespace/name", plus or with broken files."""
    added = [doc for name in swap_in for doc in _load(FIXTURES / "broken" / name)]
    replaced = {_identity(doc) for doc in added}
    dropped = {("NetworkPolicy", *name.split("/")) for name in drop}
    good = [doc for path in sorted(FIXTURES.glob("*.yaml")) for doc in _load(path)]
    return [doc for doc in good if _identity(doc) not in replaced | dropped] + added


VARIANTS = {
    "good": {},
    "team-b-without-default-deny": {"drop": ("team-b/default-deny",)},
    "team-b-without-default-deny-team-a-egress-open": {
        "drop": ("team-b/default-deny",),
        "swap_in": ("allow-all-egress.yaml",),
    },
    "ingress-from-any-namespace": {"swap_in": ("allow-ingress-any-namespace.yaml",)},
    "head-ingress-peer-in-any-namespace": {"swap_in": ("ray-head-ingress-any-namespace.yaml",)},
    "no-dns-egress": {"drop": ("team-a/allow-dns-egress",)},
    "health-checks-any-port": {"swap_in": ("health-checks-any-port.yaml",)},
    "head-ingress-without-gcs": {"swap_in": ("ray-head-ingress-without-gcs.yaml",)},
}


@pytest.fixture(scope="session")
def needs_nca() -> None:
    """Skip, naming what to install, where NCA is not on this machine."""
    try:
        judge.nca_executable()
    except NcaUnavailable as missing:
        pytest.skip(str(missing))


def runs_nca(test):
    """A test that runs NCA: slow, and skipped where NCA is not installed."""
    return pytest.mark.slow(pytest.mark.usefixtures("needs_nca")(test))


@functools.cache
def _report(variant: str, expectations: IsolationExpectations = EXPECTATIONS) -> IsolationReport:
    return check_tenant_isolation(_resources(**VARIANTS[variant]), expectations)


def _failing(report: IsolationReport) -> set[str]:
    return set(report.failed())


@runs_nca
def test_good_policies_pass_every_assertion():
    report = _report("good")
    assert [a.name for a in report.assertions] == list(ASSERTIONS)
    assert report.passed, report.summary()


@runs_nca
def test_dropped_default_deny_opens_the_pod_no_allow_policy_selects():
    """The Ray pods stay covered by their allow policies; the notebook does not."""
    report = _report("team-b-without-default-deny")
    assert _failing(report) == {HEALTH_CHECKS, NOTHING_ELSE, ATTACKER_PROBES}, report.summary()
    offending = report[HEALTH_CHECKS].unexpected + report[NOTHING_ELSE].unexpected
    assert {c.destination for c in offending} == {TEAM_B_NOTEBOOK}
    # So is every probe in team-b that no allow policy selects: copies of team-a's labels, team-b's without Ray's.
    opened = {c.destination for c in report[ATTACKER_PROBES].unexpected if c.source == "::/0"}
    assert opened and all(name.startswith("team-b/probe-") for name in opened)
    assert any("ray.io/cluster=team-a-ray" in name for name in opened)
    assert Connection("::/0", TEAM_B_NOTEBOOK, "all traffic") in offending
    assert Connection("35.191.0.0/16", TEAM_B_NOTEBOOK, "all traffic") in report[HEALTH_CHECKS].unexpected


@runs_nca
def test_cross_tenant_traffic_needs_both_sides_open():
    """team-a's egress is the second wall: open it too and team-a reaches team-b."""
    report = _report("team-b-without-default-deny-team-a-egress-open")
    crossing = report[CROSS_TENANT].unexpected
    assert {(c.source, c.destination, c.traffic) for c in crossing} == {
        (source, TEAM_B_NOTEBOOK, "all traffic")
        for source in ("team-a/team-a-notebook-0", TEAM_A_HEAD, *TEAM_A_WORKERS)
    }
    assert CROSS_TENANT in _failing(report)


@runs_nca
def test_ingress_from_any_namespace_lets_in_system_pods_and_attackers():
    """team-b's egress policies keep it out; system namespaces and any fresh namespace get in."""
    report = _report("ingress-from-any-namespace")
    assert _failing(report) == {NOTHING_ELSE, ATTACKER_PROBES}, report.summary()
    attackers = {(c.source.split("/")[0], c.destination) for c in report[ATTACKER_PROBES].unexpected}
    assert ("attacker-team-a", TEAM_A_HEAD) in attackers
    unexpected = report[NOTHING_ELSE].unexpected
    assert (
        Connection(
            OPERATOR,
            TEAM_A_HEAD,
            "TCP 1-8264,8266-65535; UDP 1-65535; SCTP 1-65535; protocols without ports",
        )
        in unexpected
    )
    assert {c.source.split("/")[0] for c in unexpected} == {"kube-system", "kuberay-system"}


@runs_nca
def test_a_peer_in_any_namespace_lets_copies_of_the_workers_reach_the_head():
    """issue 22's survivor: only a pod an attacker creates, outside the tenant, shows the hole."""
    report = _report("head-ingress-peer-in-any-namespace")
    assert _failing(report) == {ATTACKER_PROBES}, report.summary()
    reached = report[ATTACKER_PROBES].unexpected
    assert {c.destination for c in reached} == {TEAM_A_HEAD}
    assert {c.traffic for c in reached} == {"TCP 6379,8080,8265,10001-10100,52365"}
    # Copies of a team-a worker in fresh namespaces get in; team-b's copy is held by team-b's own egress.
    assert {c.source.split("/")[0] for c in reached} == {"attacker-team-a", "attacker-team-b"}
    assert all("ray.io/node-type=worker" in c.source and "ray.io/cluster=team-a-ray" in c.source for c in reached)


@runs_nca
def test_missing_dns_egress_fails_dns():
    report = _report("no-dns-egress")
    assert _failing(report) == {DNS}, report.summary()
    missing = report[DNS].missing
    assert {c.traffic for c in missing} == {"TCP 53; UDP 53"}
    assert {c.source for c in missing} == {TEAM_A_HEAD, *TEAM_A_WORKERS, "team-a/team-a-notebook-0"}


@runs_nca
def test_health_checks_on_every_port_fail_health_checks():
    report = _report("health-checks-any-port")
    assert _failing(report) == {HEALTH_CHECKS}, report.summary()
    assert {(c.source, c.destination) for c in report[HEALTH_CHECKS].unexpected} == {
        ("35.191.0.0/16", TEAM_A_HEAD),
        ("130.211.0.0/22", TEAM_A_HEAD),
    }


@runs_nca
def test_workers_without_gcs_fail_ray_head_worker():
    report = _report("head-ingress-without-gcs")
    assert _failing(report) == {RAY_HEAD_WORKER}, report.summary()
    assert report[RAY_HEAD_WORKER].missing == tuple(
        Connection(worker, TEAM_A_HEAD, "TCP 6379") for worker in TEAM_A_WORKERS
    )


def _with_team_b(**changes) -> IsolationExpectations:
    team_a, team_b = EXPECTATIONS.tenants
    return replace(EXPECTATIONS, tenants=(team_a, replace(team_b, **changes)))


@runs_nca
def test_exposed_tenant_without_health_check_policy_misses_them():
    report = _report("good", _with_team_b(exposed=True))
    assert _failing(report) == {HEALTH_CHECKS}
    assert {c.source for c in report[HEALTH_CHECKS].missing} == {"35.191.0.0/16", "130.211.0.0/22"}


@runs_nca
def test_egress_the_tenant_did_not_declare_is_unexpected():
    report = _report("good", _with_team_b(egress=(GOOGLE_APIS,)))
    assert _failing(report) == {NOTHING_ELSE}
    assert report[NOTHING_ELSE].unexpected == (Connection("team-b/team-b-ray-head-9xk4p", "10.20.0.8/29", "TCP 6379"),)


@runs_nca
def test_wider_worker_port_range_than_the_policies_is_missing():
    wide = tcp(10002, 10200)
    ports = RayPorts(
        to_head=(tcp(6379), tcp(8265), tcp(10001), tcp(52365), tcp(8080), wide),
        to_worker=(tcp(52365), tcp(8080), wide),
    )
    report = _report("good", _with_team_b(ray_ports=ports))
    assert _failing(report) == {RAY_HEAD_WORKER}
    assert {c.traffic for c in report[RAY_HEAD_WORKER].missing} == {"TCP 10101-10200"}


@runs_nca
def test_declared_egress_missing_from_the_policies_fails():
    extra = Egress("199.36.153.4/30", (tcp(443),))
    report = _report("good", _with_team_b(egress=(*EXPECTATIONS.tenants[1].egress, extra)))
    assert _failing(report) == {DECLARED_EGRESS}
    assert {c.destination for c in report[DECLARED_EGRESS].missing} == {"199.36.153.4/30"}


def test_a_tenant_without_workers_cannot_be_judged():
    resources = [r for r in _resources() if "worker" not in r["metadata"]["name"]]
    with pytest.raises(ValueError, match="team-a: need a head and a worker"):
        check_tenant_isolation(resources, EXPECTATIONS)


@runs_nca
@pytest.mark.parametrize("namespaces_first", [True, False])
def test_a_namespace_is_labelled_wherever_it_is_listed(namespaces_first: bool):
    """NCA reads a directory in no set order: pods see their Namespace's labels whichever is listed first."""

    def pod(namespace: str, name: str) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        }

    def namespace(name: str, labels: dict[str, str]) -> dict:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}

    # Admits clients from namespaces labelled role=client, whatever their name.
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "from-clients", "namespace": "server"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"role": "client"}}}]}],
        },
    }
    pods = [pod("client", "client"), pod("server", "server"), policy]
    namespaces = [namespace("server", {}), namespace("client", {"role": "client"})]
    output, _ = judge.run_nca(namespaces + pods if namespaces_first else pods + namespaces)
    assert "client/client => server/server : All connections" in output.splitlines()


def test_nca_failure_is_an_error(monkeypatch, tmp_path):
    failing = tmp_path / "nca"
    failing.write_text("#!/bin/sh\necho 'Error: broken' >&2\nexit 7\n")
    failing.chmod(0o755)
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(failing))
    with pytest.raises(NcaError, match="exited 7"):
        check_tenant_isolation(_resources(), EXPECTATIONS)


def test_nca_is_found_in_a_venv_or_the_variable_is_named(monkeypatch, tmp_path):
    executable = tmp_path / "bin" / "nca"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(tmp_path))
    assert judge.nca_executable() == executable
    monkeypatch.setenv(judge.NCA_ENV_VAR, str(tmp_path / "absent"))
    with pytest.raises(NcaUnavailable, match="RAYFORT_NCA"):
        judge.nca_executable()


def test_parse_adds_up_lines_and_reads_complements():
    traffic = parse_connectivity(
        "team-a/h => kube-system/dns : {protocols:UDP,dst_ports:53}\n"
        "team-a/h => kube-system/dns : {protocols:TCP,dst_ports:53,8080-8081}\n"
        "kube-system/dns => team-a/h : All but {protocols:TCP,dst_ports:53}\n"
        "10.0.0.0-10.0.0.255,10.0.2.0/24 => team-a/h : {dst_ports:443}\n"
        "team-a/h => ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff : {protocols:TCP, UDP, SCTP}\n"
        "team-a/h => 10.9.9.9 : No connections\n"
    )
    assert traffic.connections() == (
        Connection("10.0.0.0/24", "team-a/h", "TCP 443; UDP 443; SCTP 443; protocols without ports"),
        Connection("10.0.2.0/24", "team-a/h", "TCP 443; UDP 443; SCTP 443; protocols without ports"),
        Connection(
            "kube-system/dns",
            "team-a/h",
            "TCP 1-52,54-65535; UDP 1-65535; SCTP 1-65535; protocols without ports",
        ),
        Connection("team-a/h", "::/0", "TCP 1-65535; UDP 1-65535; SCTP 1-65535"),
        Connection("team-a/h", "kube-system/dns", "TCP 53,8080-8081; UDP 53"),
    )


@pytest.mark.parametrize(
    "line",
    [
        "Total run time: 0.07 seconds",
        "team-a/h => kube-system/dns : {protocols:TCP,src_ports:53}",
        "team-a/h => kube-system/dns : {protocols:all but ICMP}",
        "team-a/h => kube-system/dns : {protocols:TCP,dst_ports:5x}",
        "team-a => kube-system/dns : All connections",
    ],
)
def test_parse_refuses_what_it_cannot_read(line):
    with pytest.raises(NcaOutputError):
        parse_connectivity(line)


# --- the attacker's probes, generated from the policies ---------------------------------------


def test_probe_labels_satisfy_each_selector_and_every_value_of_in():
    selector = {
        "matchLabels": {"t": "a"},
        "matchExpressions": [
            {"key": "ray.io/node-type", "operator": "In", "values": ["head", "worker"]},
            {"key": "x", "operator": "Exists"},
            {"key": "y", "operator": "DoesNotExist"},
            {"key": "z", "operator": "NotIn", "values": ["1"]},
        ],
    }
    assert judge.selector_label_sets(selector) == [
        {"t": "a", "ray.io/node-type": "head", "x": "probe"},
        {"t": "a", "ray.io/node-type": "worker", "x": "probe"},
    ]
    assert judge.selector_label_sets({}) == [{}]


def _probes(resources: list[dict]) -> dict[str, set[tuple]]:
    analysed = [r for r in resources if r["kind"] in ("Namespace", "Pod", "NetworkPolicy")]
    probes, names = judge.attacker_probes(analysed, ["team-a", "team-b"])
    assert len(names) == sum(r["kind"] == "Pod" for r in probes)
    placed: dict[str, set[tuple]] = {}
    for probe in probes:
        if probe["kind"] == "Pod":
            placed.setdefault(probe["metadata"]["namespace"], set()).add(
                tuple(sorted(probe["metadata"]["labels"].items()))
            )
    return placed


TEAM_A_WORKER = (("ray.io/cluster", "team-a-ray"), ("ray.io/node-type", "worker"))


def test_probes_copy_a_tenants_selectors_elsewhere_and_drop_its_ray_labels_at_home():
    placed = _probes(_resources())
    assert TEAM_A_WORKER in placed["team-b"] and TEAM_A_WORKER in placed["attacker-team-a"]
    assert TEAM_A_WORKER not in placed["team-a"]
    # At home, team-a's pods' labels without KubeRay's: the tenant label alone.
    assert (
        ("app.kubernetes.io/created-by", "kuberay-operator"),
        ("app.kubernetes.io/name", "kuberay"),
        ("rayfort.io/tenant", "team-a"),
    ) in placed["team-a"]
    assert all(
        not key.startswith("ray.io/")
        for labels in placed["team-a"]
        if ("rayfort.io/tenant", "team-a") in labels
        for key, _ in labels
    )
    # Pods of other namespaces that the policies name (here kube-dns) are impersonated everywhere.
    dns = (("k8s-app", "kube-dns"),)
    assert all(dns in placed[ns] for ns in ("team-a", "team-b", "attacker-team-a", "attacker-team-b"))


def test_a_new_policy_is_probed_without_a_new_test():
    """A selector no fixture pod carries still gets its copies in the other tenant and a fresh namespace."""
    extra = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "new", "namespace": "team-a"},
        "spec": {"podSelector": {"matchLabels": {"app": "new-thing"}}, "policyTypes": ["Ingress"], "ingress": []},
    }
    placed = _probes([*_resources(), extra])
    assert (("app", "new-thing"),) in placed["team-b"] and (("app", "new-thing"),) in placed["attacker-team-a"]


def test_fresh_namespaces_copy_the_tenants_labels_but_not_its_name():
    analysed = [r for r in _resources() if r["kind"] in ("Namespace", "Pod", "NetworkPolicy")]
    probes, _ = judge.attacker_probes(analysed, ["team-a", "team-b"])
    fresh = next(r for r in probes if r["kind"] == "Namespace" and r["metadata"]["name"] == "attacker-team-a")
    assert fresh["metadata"]["labels"] == {
        "rayfort.io/tenant": "team-a",
        "kubernetes.io/metadata.name": "attacker-team-a",
    }


# --- the judge over a shipped environment ---------------------------------------------------


def _judged_without(synthesized, policy: str):
    import copy

    from rayfort_tools.judges.runner import Synthesized, judge_isolation
    from tests.conftest import environment

    stacks = copy.deepcopy(synthesized["dev"])
    removed = 0
    for tf_json in stacks.values():
        manifests = tf_json.get("resource", {}).get("kubernetes_manifest", {})
        for address, body in list(manifests.items()):
            manifest = body.get("manifest")
            if isinstance(manifest, dict) and manifest.get("kind") == "NetworkPolicy":
                if manifest["metadata"]["name"] == policy:
                    del manifests[address]
                    removed += 1
    assert removed == 2  # one per dev tenant
    return judge_isolation([Synthesized("dev", Path("."), stacks, environment("dev"))])


@runs_nca
def test_on_dev_the_judge_fails_when_the_cleanup_pods_flows_are_removed(synthesized):
    result = _judged_without(synthesized, "ray-redis-cleanup-egress")
    assert result.failed == 1, result.failures
    (failure,) = result.failures
    assert failure.startswith("dev: redis-cleanup") and "missing team-a/team-a-redis-cleanup-j5n7p -> " in failure
