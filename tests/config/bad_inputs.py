"""Bad environment files, each with what its one message must say; shared by the loader, CLI and schema tests.

A fixture is YAML text built from dev.yaml (so every other setting stays valid) and the fragments its
message must contain: the line and field (as ``line N: field``) and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import ENVIRONMENTS

DEV = (ENVIRONMENTS / "dev.yaml").read_text()


@dataclass(frozen=True)
class BadInput:
    text: str
    expected: tuple[str, ...]
    """Fragments of the message; the first names the line (and the field where there is one)."""


def _dev(old: str, new: str) -> str:
    assert old in DEV, old
    return DEV.replace(old, new, 1)


def _line(text: str, fragment: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if fragment in row)


def _case(text: str, at: str, *expected: str, field: str = "") -> BadInput:
    """A case whose message starts at the line holding ``at``, naming ``field`` there."""
    where = f"line {_line(text, at)}" + (f": {field}" if field else "")
    return BadInput(text, (where, *expected))


def _cluster(block: str) -> str:
    return _dev("cluster:\n", "cluster:\n" + block)


_POOL = "  node_pools:\n    - name: pool\n"
_MERGED = _dev(
    "    worker_groups:\n      - name: cpu\n        min_replicas: 1\n",
    "    worker_groups:\n      - &cpu\n        name: cpu\n        min_replicas: 1\n",
).replace(
    "      - name: cpu\n        min_replicas: 0\n        max_replicas: 2\n",
    "      - <<: *cpu\n        max_replicas: 2\n",
)
_BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(9))

YAML_CASES: dict[str, BadInput] = {
    "complex key (list)": _case(
        _dev("labels:\n", "? [a, b]\n: 1\nlabels:\n"), "? [a, b]", "(top level): a key must be a name, not a list"
    ),
    "complex key (mapping)": _case(
        _dev("  team: ml-platform\n", "  ? {a: 1}\n  : 1\n  team: ml-platform\n"),
        "? {a: 1}",
        "labels: a key must be a name, not a mapping",
    ),
    "number as a key": _case(
        _cluster(_POOL + "      labels: {1: x}\n"),
        "labels: {1: x}",
        "cluster.node_pools[0].labels: the key 1 is read as a number",
        '"1"',
    ),
    "alias bomb": _case(DEV + _BOMB, "l5: &l5", "the alias *l4 expands to more than 100,000 values"),
    "recursive alias": _case(DEV + "peered: &p [*p]\n", "peered:", "is inside the value anchored &p itself"),
    "nesting too deep": _case(DEV + "deep: " + "[" * 70 + "]" * 70 + "\n", "deep:", "nest more than 64 deep"),
    "merge key of a scalar": _case(
        _dev("  team: ml-platform\n", "  <<: 1\n  team: ml-platform\n"),
        "<<: 1",
        "labels: '<<' takes a mapping",
        "'<<: *defaults'",
    ),
    "not UTF-8": _case(_dev("region: europe-west1", "region: europe\udcff-west1"), "region:", "0xff is not UTF-8"),
    "control character": _case(
        _dev("region: europe-west1", "region: europe\x00west1"), "region:", "U+0000 is not allowed"
    ),
    "python tag": _case(
        _dev("name: dev", "name: !!python/object/apply:os.system [echo]"), "name:", "tag !!python/object"
    ),
    "two documents": _case(DEV + "---\nname: other\n", "---", "a second YAML document"),
}
"""Refused while reading the YAML, before any model sees the data."""

MODEL_CASES: dict[str, BadInput] = {
    "naive and aware window times": _case(
        _cluster("  maintenance_window:\n    start_time: 2026-01-03T02:00:00\n    end_time: 2026-01-03T08:00:00Z\n"),
        "start_time:",
        '"2026-01-03T02:00:00" is not allowed: must be an RFC 3339 time with its zone',
        field="cluster.maintenance_window.start_time",
    ),
    "30-digit max_replicas": _case(
        _dev("max_replicas: 3", "max_replicas: 123456789012345678901234567890"),
        "max_replicas: 1234",
        "less than or equal to 2147483647",
        field="tenants[0].worker_groups[0].max_replicas",
    ),
    "10^25 max_nodes": _case(
        _cluster(_POOL + "      max_nodes: 10000000000000000000000000\n"),
        "max_nodes:",
        "less than or equal to 1000",
        field="cluster.node_pools[0].max_nodes",
    ),
    "1.0e+25 max_nodes": _case(
        _cluster(_POOL + "      max_nodes: 1.0e+25\n"),
        "max_nodes:",
        "1e+25 is not allowed",
        field="cluster.node_pools[0].max_nodes",
    ),
    "30-digit cpu quantity": _case(
        _dev('head: {cpu: "1"', 'head: {cpu: "123456789012345678901234567890"'),
        "head: {cpu",
        "must be a Kubernetes quantity",
        field="tenants[0].head.cpu",
    ),
    "node label key with a space": _case(
        _cluster(_POOL + '      labels: {"bad key!": x}\n'),
        "bad key!",
        "must be a Kubernetes label key",
        field="cluster.node_pools[0].labels.bad key!",
    ),
    "node label in kubernetes.io": _case(
        _cluster(_POOL + "      labels: {kubernetes.io/role: gpu}\n"),
        "kubernetes.io/role",
        "which the kubelet refuses",
        field="cluster.node_pools[0].labels.kubernetes.io/role",
    ),
    "node label value too long": _case(
        _cluster(_POOL + f"      labels: {{example.com/pool: {'x' * 64}}}\n"),
        "example.com/pool",
        "must be a Kubernetes label value",
        field="cluster.node_pools[0].labels.example.com/pool",
    ),
    "empty taint key": _case(
        _cluster(_POOL + '      taints: [{key: ""}]\n'),
        "taints:",
        "must be a Kubernetes taint key",
        field="cluster.node_pools[0].taints[0].key",
    ),
    "garbage recurrence": _case(
        _cluster("  maintenance_window: {recurrence: garbage}\n"),
        "recurrence:",
        "is not an RFC 5545 rule part",
        field="cluster.maintenance_window.recurrence",
    ),
    "hourly recurrence": _case(
        _cluster("  maintenance_window: {recurrence: FREQ=HOURLY}\n"),
        "recurrence:",
        "FREQ=HOURLY is not supported by GKE",
        field="cluster.maintenance_window.recurrence",
    ),
    "quota exceeded": _case(
        DEV + "quotas:\n  forwarding_rules: 1\n",
        "forwarding_rules: 1",
        "this environment needs 2 (the shared Gateway's HTTPS rule and 1 internal load balancers), more than",
        field="quotas.forwarding_rules",
    ),
    "wildcard certificate deeper than one label": _case(
        _dev("exposure:\n  api: gateway\n", "exposure:\n  api: gateway\n  certificates: wildcard\n").replace(
            "      iap:\n        enabled: true\n",
            "      iap:\n        enabled: true\n        host: a.b.ray.dev.example.com\n",
            1,
        ),
        "host: a.b.ray.dev.example.com",
        "is not covered by the wildcard certificate *.ray.dev.example.com",
        field="tenants[0].exposure.iap.host",
    ),
    "secret path traversal": _case(
        _dev("exposure:\n  api", "exposure:\n  custom_oauth_secret: ../../../etc/passwd\n  api"),
        "custom_oauth_secret",
        "must be a Secret Manager secret",
        field="exposure.custom_oauth_secret",
    ),
    "unquoted number for text": _case(
        _dev("cost_center: cc-1001", "cost_center: 1001"),
        "cost_center: 1001",
        'YAML reads the unquoted 1001 as a number: quote it ("1001")',
        field="tenants[0].cost_center",
    ),
    "min above max in a node pool": _case(
        _cluster(_POOL + "      min_nodes: 5\n      max_nodes: 2\n"),
        "min_nodes:",
        "must not exceed max_nodes (2)",
        field="cluster.node_pools[0].min_nodes",
    ),
    "repeated worker group": _case(
        _dev("max_replicas: 3\n", "max_replicas: 3\n      - name: cpu  # again\n"),
        "# again",
        "is repeated; worker group names must be unique",
        field="tenants[0].worker_groups[1].name",
    ),
    "worker ports overlap": _case(
        _dev(
            '    head: {cpu: "1", memory: 4Gi}\n',
            '    head: {cpu: "1", memory: 4Gi}\n    worker_ports: {min: 6000, max: 6500}\n',
        ),
        "worker_ports:",
        "overlaps fixed Ray ports",
        field="tenants[0].worker_ports.min",
    ),
    "control plane open to all": _case(
        _dev("    - cidr: 10.200.0.0/24", "    - cidr: 0.0.0.0/0"),
        "cidr: 0.0.0.0/0",
        "must never be 0.0.0.0/0",
        field="cluster.master_authorized_networks[0].cidr",
    ),
    "merged block broken by its user": _case(
        _MERGED.replace("      - <<: *cpu\n        max_replicas: 2\n", "      - <<: *cpu\n        max_replicas: 0\n"),
        "max_replicas: 0",
        "greater than or equal to 1",
        field="tenants[1].worker_groups[0].max_replicas",
    ),
    "team with capital letters": _case(
        _dev("  - name: team-b", "  - name: Team-B"),
        "name: Team-B",
        "must be a DNS-1123 label",
        field="tenants[1].name",
    ),
    "CIDR with host bits": _case(
        _dev("subnet_cidr: 10.10.0.0/20", "subnet_cidr: 10.10.1.0/20"),
        "subnet_cidr",
        "no host bits set",
        field="network.subnet_cidr",
    ),
    "e2 machine for confidential nodes": _case(
        _cluster(_POOL + "      machine_type: e2-standard-4\n"),
        "machine_type",
        "cannot run confidential nodes with SEV",
        field="cluster.node_pools[0].machine_type",
    ),
    "bad email": _case(
        _dev("[ray-team-b-dev@example.com]", "[ray-team-b-dev]"),
        "ray-team-b-dev",
        "must be an email address",
        field="tenants[1].groups.developers[0]",
    ),
    "developer token expiry that is no time": _case(
        _dev(
            "      viewers: [ray-team-a-view@example.com]\n",
            "      viewers: [ray-team-a-view@example.com]\n      developer_token_expiry: next-friday\n",
        ),
        "developer_token_expiry",
        "must be an RFC 3339 time with its zone",
        field="tenants[0].groups.developer_token_expiry",
    ),
    "developer token expiry on a KubeRay tenant": _case(
        _dev(
            "      viewers: [ray-team-a-view@example.com]\n",
            "      viewers: [ray-team-a-view@example.com]\n      developer_token_expiry: 2027-01-31T18:00:00Z\n",
        ),
        "developer_token_expiry",
        "which only an operatorless tenant",
        "no expiry",
        field="tenants[0].groups.developer_token_expiry",
    ),
    "bad project id": _case(
        _dev("project_id: rayfort-dev-000000", "project_id: Rayfort_Dev"),
        "project_id:",
        "must be a Google Cloud project id",
        field="project_id",
    ),
}
"""Valid YAML that the models refuse."""

CASES = {**YAML_CASES, **MODEL_CASES}
