"""`make judge`: every independent check over every shipped environment, as one table.

Each judge returns how many objects it checked, passed and failed. A judge
whose tool or reference data is missing says so in the table; the run fails
when any judge fails, and (with ``--require-all``, as CI runs it) when any
judge could not run.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rayfort.config import Environment
from rayfort.k8s import pod_security
from rayfort.kuberay.cert_manager import component_pod_specs
from rayfort.synthesized import read_stacks
from rayfort_tools.app import DEFAULT_APP, load_build
from rayfort_tools.judges import k8s_schema
from rayfort_tools.judges.reference import ReferenceMissing


@dataclass
class JudgeResult:
    """One row of the table."""

    judge: str
    checked: int = 0
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    unavailable: str | None = None
    reference_missing: bool = False
    """The reference data is absent (a user's machine): shown, but not a failure even in CI mode."""
    advisory: bool = False
    """Its failures are shown but do not fail the run (a judge whose defects are being fixed)."""

    def fail(self, message: str) -> None:
        self.checked += 1
        self.failed += 1
        self.failures.append(message)

    def ok(self) -> None:
        self.checked += 1
        self.passed += 1


@dataclass(frozen=True)
class Synthesized:
    """The synth output of one environment."""

    name: str
    outdir: Path
    stacks: dict[str, dict]
    environment: Environment | None = None
    """The environment it came from; judges that compare intent with output need it."""


VARIANTS = (
    "environments/variants/dev-namespaced.yaml",
    "environments/variants/dev-dns-endpoint.yaml",
    "environments/variants/dev-placement.yaml",
    "environments/variants/dev-sandbox.yaml",
    "environments/variants/dev-shared-vpc.yaml",
)
"""Environments kept only to be judged: the namespaced operator, dev through the DNS endpoint, dev with
tenants placed on node pools (a waived GPU pool for one tenant, a dedicated pool for another), dev with GKE
Sandbox (an untrusted tenant, a sandboxed group), and dev in a Shared VPC subnet, joining its network team's
perimeter."""


def load_outdir(name: str, outdir: Path, environment: Environment | None = None) -> Synthesized:
    return Synthesized(name, outdir, read_stacks(outdir), environment)


def judge_checkov(envs: list[Synthesized]) -> JudgeResult:
    """Checkov (terraform_json) with rayfort's custom policies, over every stack."""
    from rayfort_tools.judges.checkov import CheckovUnavailable, run_checkov

    result = JudgeResult("checkov")
    try:
        checked = run_checkov([env.outdir / "stacks" for env in envs])
    except CheckovUnavailable as missing:
        result.unavailable = str(missing)
        return result
    waived = _waived_checks(envs)
    failures = [finding for finding in checked.failures if (_construct_path(finding), finding.check_id) not in waived]
    result.checked = checked.passed + checked.failed
    result.passed, result.failed = result.checked - len(failures), len(failures)
    result.failures = [finding.describe() for finding in failures]
    return result


def _waived_checks(envs: list[Synthesized]) -> set[tuple[str, str]]:
    """(construct path, checkov id) a written waiver accepts: a waived control, and a check that judges it.

    checkov knows no waivers; the synth's policy record does. A check counts as waived only on a construct
    whose control the environment waived (shown by the synth-time rules and the review) and only if the
    catalogue names that check as judging the same property (``Control.judged_by``).
    """
    from rayfort.controls import BY_ID
    from rayfort.synth import POLICY_REPORT

    found = set()
    for env in envs:
        record = env.outdir / POLICY_REPORT
        if not record.exists():
            continue
        for evaluation in json.loads(record.read_text())["evaluations"]:
            if evaluation["status"] == "waived":
                found |= {(evaluation["path"], check) for check in BY_ID[evaluation["rule"]].judged_by}
    return found


def _construct_path(finding: Any) -> str | None:
    """The construct path cdktf recorded for the resource checkov judged (its ``//`` metadata)."""
    kind, _, name = finding.resource.partition(".")
    try:
        body = json.loads(Path(finding.file).read_text())["resource"][kind][name]
    except (OSError, KeyError, ValueError):
        return None
    return body.get("//", {}).get("metadata", {}).get("path")


def judge_schemas(envs: list[Synthesized]) -> JudgeResult:
    """Every Kubernetes object against its schema (core 1.33, KubeRay 1.7 CRDs, GKE CRDs).

    Kinds without a schema in the reference data are held to their API's fields
    by rayfort's field checkers; any other kind fails.
    """
    from rayfort_tools.judges.field_checks import registered

    result = JudgeResult("kubernetes schemas")
    with registered():
        _judge_schemas(envs, result)
    return result


def _judge_schemas(envs: list[Synthesized], result: JudgeResult) -> None:
    try:
        for env in envs:
            for stack, tf_json in env.stacks.items():
                for address, manifest in k8s_schema.manifests_in_stack(tf_json):
                    where = f"{env.name}/{stack}/{address}"
                    if isinstance(manifest, k8s_schema.SchemaError):
                        result.fail(f"{where}: {manifest.message}")
                        continue
                    for sent_where, sent in [(where, manifest), *_sent_by_pods(where, manifest)]:
                        errors = k8s_schema.validate_manifest(sent)
                        if errors:
                            result.fail(f"{sent_where}: " + "; ".join(f"{e.path}: {e.message}" for e in errors[:5]))
                        else:
                            result.ok()
    except ReferenceMissing as missing:
        result.unavailable, result.reference_missing = str(missing), True


def _chart_values(tf_json: dict, chart: str) -> Iterable[tuple[str, dict]]:
    """(address, merged values) of every helm_release of ``chart``."""
    for name, release in tf_json.get("resource", {}).get("helm_release", {}).items():
        if release.get("chart") == chart or str(release.get("chart", "")).endswith(f"/{chart}"):
            values: dict[str, Any] = {}
            for document in release.get("values") or []:
                values.update(yaml.safe_load(document) or {})
            yield f"helm_release.{name}", values


def _operator_values(tf_json: dict) -> Iterable[tuple[str, dict]]:
    return _chart_values(tf_json, "kuberay-operator")


def judge_pod_security(envs: list[Synthesized]) -> JudgeResult:
    """Every pod template we emit, and the pods our Helm values shape, against Pod Security restricted."""
    result = JudgeResult("pod security (restricted)")
    for env in envs:
        for stack, tf_json in env.stacks.items():
            for address, manifest in k8s_schema.manifests_in_stack(tf_json):
                if isinstance(manifest, k8s_schema.SchemaError):
                    continue
                for path, _ in pod_security.pod_templates(manifest):
                    violations = [v for v in pod_security.check_object(manifest) if v.path.startswith(path)]
                    where = f"{env.name}/{stack}/{address}:{path}"
                    if violations:
                        result.fail(f"{where}: " + "; ".join(str(v) for v in violations[:5]))
                    else:
                        result.ok()
            for address, values in _operator_values(tf_json):
                _record(result, f"{env.name}/{stack}/{address}", pod_security.check_operator_values(values))
            for address, values in _chart_values(tf_json, "cert-manager"):
                for component, spec in component_pod_specs(values).items():
                    _record(result, f"{env.name}/{stack}/{address}:{component}", pod_security.check_pod_spec(spec))
    return result


def judge_ca_custody(envs: list[Synthesized]) -> JudgeResult:
    """No pod template we emit mounts or reads a CA's private key (rayfort_tools.judges.ca_custody)."""
    from rayfort_tools.judges.ca_custody import ca_keys, pod_findings
    from rayfort_tools.judges.workloads import stack_manifests

    result = JudgeResult("CA key custody")
    for env in envs:
        manifests = {stack: stack_manifests(tf_json) for stack, tf_json in env.stacks.items()}
        keys = ca_keys(m for stack_objects in manifests.values() for m in stack_objects)
        for stack, objects in manifests.items():
            for obj in objects:
                for _path, findings in pod_findings(obj, keys):
                    if findings:
                        result.fail(f"{env.name}/{stack}: " + "; ".join(str(f) for f in findings[:5]))
                    else:
                        result.ok()
    return result


def _sent_by_pods(where: str, manifest: dict) -> Iterator[tuple[str, dict]]:
    """The CertificateRequests a manifest's pods send (rayfort.tenant.runtime.tls.REQUEST_ENV), as they send them.

    The pod adds its name, owner and CSR; the CSR (the one required field of those) is stood in for here.
    """
    from rayfort.tenant.runtime.tls import REQUEST_ENV

    for path, spec in pod_security.pod_templates(manifest):
        for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            for entry in container.get("env") or []:
                if entry.get("name") == REQUEST_ENV:
                    try:
                        request = json.loads(entry.get("value", ""))
                        request["spec"]["request"] = base64.b64encode(b"(the pod's CSR)").decode()
                    except (ValueError, TypeError, KeyError) as error:
                        request = {"apiVersion": "(unreadable)", "kind": f"{REQUEST_ENV}: {error}"}
                    yield f"{where} {path} {container.get('name')} {REQUEST_ENV}", request


def _record(result: JudgeResult, where: str, violations: list) -> None:
    if violations:
        result.fail(f"{where}: " + "; ".join(str(v) for v in violations[:5]))
    else:
        result.ok()


def judge_helm_values(envs: list[Synthesized]) -> JudgeResult:
    """Every key passed to the KubeRay operator chart exists in that chart's values.yaml."""
    from rayfort_tools.judges.helm_values import check_values

    result = JudgeResult("helm values")
    try:
        for env in envs:
            for stack, tf_json in env.stacks.items():
                for address, values in _operator_values(tf_json):
                    unknown = check_values(values)
                    where = f"{env.name}/{stack}/{address}"
                    if unknown:
                        result.fail(f"{where}: " + "; ".join(str(u) for u in unknown[:5]))
                    else:
                        result.ok()
    except ReferenceMissing as missing:
        result.unavailable, result.reference_missing = str(missing), True
    return result


# Workload Identity: pods get their Google credentials from the GKE metadata server.
GKE_METADATA_SERVER = "169.254.169.252/32"


def isolation_expectations(env: Environment, manifests: Iterable[dict] = ()) -> Any:
    """Every flow the environment means to allow to or from its tenants' Ray pods.

    ``manifests`` name what else runs in the tenants' namespaces: RayJobs (their submitters and
    own clusters) and RayClusters besides the platform's, which get the platform cluster's flows.
    """
    from rayfort.config.tenant import RAY_FIXED_PORTS, RAY_INTERNAL_PORTS
    from rayfort.tenant.runtime.tls import issues_per_pod
    from rayfort_tools.judges.tenant_isolation import (
        Egress,
        Ingress,
        IsolationExpectations,
        RayPorts,
        Submitter,
        Tenant,
        tcp,
    )
    from rayfort_tools.judges.workloads import has_submitter_pod, ray_job_cluster

    ports = {**RAY_FIXED_PORTS, **RAY_INTERNAL_PORTS}
    manifests = list(manifests)
    tenants = []
    for t in env.tenants:
        mesh = tuple(
            tcp(ports[name]) for name in ("node_manager", "object_manager", "dashboard_agent_grpc", "dashboard_agent")
        )
        mesh += (tcp(t.worker_ports.min, t.worker_ports.max),) + ((tcp(ports["serve"]),) if t.serve else ())
        operator_managed = t.ray_runtime == "kuberay"
        # Head and workers talk on every Ray port the tenant issue lists; workers on the mesh and metrics.
        to_head = tuple(tcp(ports[name]) for name in ("gcs", "dashboard", "client", "metrics")) + mesh
        to_worker = (tcp(ports["metrics"]), *mesh)
        # The platform cluster's GCS writes to Redis; KubeRay's cleanup Job deletes its data when it is deleted.
        redis_users = frozenset({"head", "redis-cleanup"} if operator_managed else {"head"})
        # Memorystore sits in the private service access range: ours, or the Shared VPC host's.
        shared = env.network.shared_vpc
        redis_range = env.network.private_services_cidr if shared is None else shared.private_services_range.cidr
        egress = [
            Egress(GKE_METADATA_SERVER, (tcp(988),)),
            Egress(env.network.google_apis_cidr, (tcp(443),)),
            Egress(redis_range, (tcp(6378),), redis_users, platform_cluster_only=True),
        ]
        # The in-tree autoscaler on the head talks to the API server; with per-pod TLS leaves every node
        # does too, as it starts (its init container requests the leaf).
        api_users = ({"head"} if operator_managed else set()) | ({"head", "worker"} if issues_per_pod(t) else set())
        if api_users:
            egress.append(Egress(env.network.control_plane_cidr, (tcp(443),), frozenset(api_users)))
        internal = t.exposure.internal
        ingress = tuple(
            Ingress(cidr, (tcp(ports["client"]), tcp(ports["dashboard"])))
            for cidr in (internal.source_ranges if internal.enabled else [])
        )
        own = [m for m in manifests if m["metadata"].get("namespace") == t.name]
        jobs = [m for m in own if m.get("kind") == "RayJob"]
        admitted = [
            m["metadata"]["name"] for m in own if m.get("kind") == "RayCluster" and m["metadata"]["name"] != t.name
        ]
        admitted += [
            ray_job_cluster(job)
            for job in jobs
            if not (job.get("spec") or {}).get("clusterSelector") and ray_job_cluster(job)
        ]
        tenants.append(
            Tenant(
                namespace=t.name,
                cluster=t.name,
                exposed=t.exposure.iap.enabled,
                ray_ports=RayPorts(
                    to_head=to_head,
                    to_worker=to_worker,
                    between_workers=to_worker,
                    dashboard=ports["dashboard"],
                    metrics=ports["metrics"],
                ),
                egress=tuple(egress),
                ingress=ingress,
                scraped=True,
                operator_managed=operator_managed,
                admitted_clusters=tuple(admitted),
                submitters=tuple(
                    Submitter(job["metadata"]["name"], ray_job_cluster(job))
                    for job in jobs
                    if has_submitter_pod(job) and ray_job_cluster(job)
                ),
            )
        )
    return IsolationExpectations(tenants=tuple(tenants))


def judge_isolation(envs: list[Synthesized]) -> JudgeResult:
    """network-config-analyzer: no traffic between tenants, and exactly the Ray flows we intend.

    Besides what we emit, each tenant runs what its team may create (a RayJob on the platform's
    cluster, a RayJob with a cluster of its own), and the judge adds pods an attacker could create.
    """
    from rayfort_tools.judges.tenant_isolation import NcaUnavailable, check_tenant_isolation
    from rayfort_tools.judges.workloads import admitted_workloads, cluster_resources, stack_manifests

    result = JudgeResult("tenant isolation (nca)")
    for env in envs:
        if env.environment is None or not env.environment.tenants:
            continue
        manifests = [m for tf in env.stacks.values() for m in stack_manifests(tf)]
        manifests += admitted_workloads(manifests)
        try:
            report = check_tenant_isolation(
                cluster_resources(manifests), isolation_expectations(env.environment, manifests)
            )
        except NcaUnavailable as missing:
            result.unavailable = str(missing)
            return result
        for assertion in report.assertions:
            if assertion.passed:
                result.ok()
            else:
                broken = [f"missing {c}" for c in assertion.missing] + [f"unexpected {c}" for c in assertion.unexpected]
                result.fail(
                    f"{env.name}: {assertion.name} ({assertion.description}): "
                    + "; ".join(broken[:6])
                    + (f"; ... {len(broken) - 6} more" if len(broken) > 6 else "")
                )
    return result


def judge_placement(envs: list[Synthesized]) -> JudgeResult:
    """Each tenant pod template schedules only onto node pools that admit its tenant, and onto one at least.

    The pools' labels and taints come from the synthesized gke stack; which pools admit which
    tenant comes from the environment (``cluster.node_pools[].tenants`` and its defaults). A pod that
    could run on a sandbox pool must name gVisor, one naming gVisor must run only there, and every pod
    of a tenant with ``untrusted_code`` must name it.
    """
    from rayfort.config.placement import admitted_pools
    from rayfort_tools.judges.placement import GVISOR, pools_of, runtime_mismatch, schedulable_pools, tenant_templates

    result = JudgeResult("node placement")
    for env in envs:
        if env.environment is None or env.environment.cluster.mode == "autopilot" or "gke" not in env.stacks:
            continue
        pools = pools_of(env.stacks["gke"])
        untrusted = {t.name for t in env.environment.tenants if t.untrusted_code}
        for tenant, stack, where, spec in tenant_templates(env.stacks):
            admitted = {pool.name for pool in admitted_pools(env.environment, tenant)}
            reachable = schedulable_pools(spec, pools)
            mismatch = runtime_mismatch(spec, reachable, pools)
            if tenant in untrusted and spec.get("runtimeClassName") != GVISOR:
                result.fail(f"{env.name}/{stack}/{where}: tenant {tenant} runs untrusted code, but not in gVisor")
            elif mismatch is not None:
                result.fail(f"{env.name}/{stack}/{where}: {mismatch}")
            elif not reachable:
                result.fail(f"{env.name}/{stack}/{where}: fits no node pool (its selector, affinity or tolerations)")
            elif reachable - admitted:
                result.fail(
                    f"{env.name}/{stack}/{where}: can be scheduled on {', '.join(sorted(reachable - admitted))}, "
                    f"which do not admit {tenant} (admitting: {', '.join(sorted(admitted)) or 'none'})"
                )
            else:
                result.ok()
    return result


def judge_rules(envs: list[Synthesized]) -> JudgeResult:
    """rayfort's synth-time rules, read back from each synth's policy record."""
    from rayfort.synth import POLICY_REPORT

    result = JudgeResult("synth-time rules")
    for env in envs:
        record = env.outdir / POLICY_REPORT
        if not record.is_file():
            result.fail(f"{env.name}: {POLICY_REPORT} is missing: the output was not made by rayfort's synth")
            continue
        report = json.loads(record.read_text())
        for evaluation in report["evaluations"]:
            if evaluation["status"] == "violated":
                result.fail(f"{env.name}: {evaluation['rule']} {evaluation['path']}: {evaluation['findings']}")
            else:
                result.ok()
        for waiver in report["unused_waivers"]:
            result.fail(f"{env.name}: waiver {waiver['rule']} for {waiver['resource']} matches nothing")
    return result


# The deployability judge fails the run like every other judge. RAYFORT_ENFORCE_DEPLOYABILITY=0 shows its findings
# as advisory, for a branch that is deliberately fixing one over several commits; CI never sets it.
ENFORCE_DEPLOYABILITY = os.environ.get("RAYFORT_ENFORCE_DEPLOYABILITY", "1") == "1"


def judge_deployability(envs: list[Synthesized]) -> JudgeResult:
    """Ordering, plan-time reads, trust, namespaces and kinds, organization singletons, namespaced mode."""
    from rayfort_tools.judges.deployability import Deployment, HelmUnavailable, judge

    result = JudgeResult("deployability", advisory=not ENFORCE_DEPLOYABILITY)
    try:
        for env in envs:
            namespaced = env.environment is not None and env.environment.kuberay.install == "namespaced"
            deployment = Deployment.from_outdir(env.outdir, env.name, env.stacks)
            for outcome in judge(deployment, namespaced_operator=namespaced):
                if outcome.passed:
                    result.ok()
                else:
                    result.fail(f"{env.name}: {outcome}")
    except HelmUnavailable as missing:
        result.unavailable = str(missing)
    except ReferenceMissing as missing:
        result.unavailable, result.reference_missing = str(missing), True
    return result


JUDGES: list[Callable[[list[Synthesized]], JudgeResult]] = [
    judge_checkov,
    judge_schemas,
    judge_pod_security,
    judge_ca_custody,
    judge_helm_values,
    judge_isolation,
    judge_placement,
    judge_rules,
    judge_deployability,
]


def render_table(results: list[JudgeResult]) -> str:
    """The summary table: judge, objects checked, passed, failed."""
    rows = [("judge", "checked", "passed", "failed")]
    for r in results:
        if r.unavailable:
            rows.append((r.judge, "-", "-", f"unavailable: {r.unavailable}"))
        else:
            failed = f"{r.failed} (advisory)" if r.advisory and r.failed else str(r.failed)
            rows.append((r.judge, str(r.checked), str(r.passed), failed))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]), row[3]]))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return "\n".join(lines)


def run(
    envs: list[Synthesized], judges: Iterable[Callable[[list[Synthesized]], JudgeResult]] = ()
) -> list[JudgeResult]:
    """Each judge's result, in the order given. checkov works in a process of its own for half a minute:
    it starts first, on a thread that waits for it, while the other judges run here."""
    chosen = list(judges) or JUDGES
    with ThreadPoolExecutor(max_workers=1) as background:
        started = {judge: background.submit(judge, envs) for judge in chosen if judge is judge_checkov}
        return [started[judge].result() if judge in started else judge(envs) for judge in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rayfort_tools.judges", description=__doc__.splitlines()[0])
    parser.add_argument(
        "environments",
        nargs="*",
        default=["dev", "prod", "airgapped", *VARIANTS],
        help="environment names or files (default: every shipped environment and the judged variants)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(".judge"), help="where each environment is synthesized")
    parser.add_argument("--app", default=DEFAULT_APP, help=f"the app's build function (default: {DEFAULT_APP})")
    parser.add_argument("--require-all", action="store_true", help="fail when a judge cannot run (CI)")
    parser.add_argument("--verbose", action="store_true", help="print every failure, not the first ten per judge")
    args = parser.parse_args(argv)

    from rayfort.config import ConfigError, load_environment, resolve_environment_path
    from rayfort.synth import SynthRefused, synthesize

    build = load_build(args.app)

    envs = []
    for selector in args.environments:
        path = resolve_environment_path(selector, Path("environments"))
        try:
            env = load_environment(path)
            outdir = args.workdir / env.name / "cdktf.out"
            synthesize(env, outdir, build)
        except (ConfigError, SynthRefused) as error:
            print(f"rayfort judge: {error}", file=sys.stderr)
            return 2
        envs.append(load_outdir(env.name, outdir, env))

    results = run(envs)
    print(f"judged: {', '.join(e.name for e in envs)}")
    print(render_table(results))
    for r in results:
        shown = r.failures if args.verbose else r.failures[:10]
        for failure in shown:
            print(f"  {r.judge}: {failure}")
        if len(r.failures) > len(shown):
            print(f"  {r.judge}: ... and {len(r.failures) - len(shown)} more (--verbose)")
    failed = any(r.failed and not r.advisory for r in results)
    missing = args.require_all and any(r.unavailable and not r.reference_missing for r in results)
    return 1 if failed or missing else 0
