"""The catalogue: every security control rayfort keeps, in one list.

A control says what it protects against, where the environment sets it,
where it shows in the synthesized JSON, and what "weaker" means there. The
synth-time rules (``rayfort.policy``), the org-policy guardrails
(``rayfort.config.org_policy``), the review diff (``rayfort_tools.review``),
the checkov policies' docs and the README's controls table all read it; none
keeps a list of its own. Ids are stable: a waiver names one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rayfort.controls import checks as c
from rayfort.controls import environment as e
from rayfort.controls.compare import AddressSet, Allowlist, Comparator, Flag, Levels, Number, Present
from rayfort.k8s.pod_security import check_object

Resource = dict[str, Any]


def _always(resource: Resource) -> bool:
    return True


def value_at(body: Any, path: tuple[str, ...]) -> Any:
    """The value at an attribute path; a one-item list of blocks reads like the block; None when absent."""
    current = body
    for key in path:
        if isinstance(current, list) and len(current) == 1:
            current = current[0]
        if not isinstance(current, dict) or key not in current:
            return None
        current = current[key]
    return current


@dataclass(frozen=True)
class Setting:
    """Where a control shows in one resource type's JSON, and how the review ranks a change of it."""

    resource_type: str
    path: tuple[str, ...]
    compare: Comparator
    meaning: str
    """What the weakening does, in the reviewer's words."""
    applies: Callable[[Resource], bool] = _always
    extract: Callable[[Resource], Any] | None = None
    """Reads the compared value when it is not one attribute (e.g. the ranges a Cloud Armor policy admits)."""

    @property
    def attribute(self) -> str:
        return ".".join(self.path)

    def value(self, body: Resource) -> Any:
        return self.extract(body) if self.extract is not None else value_at(body, self.path)


@dataclass(frozen=True)
class Presence:
    """A resource whose arrival or removal is itself a weakening (a deny rule removed, an allow added)."""

    resource_type: str
    change: Literal["added", "removed"]
    meaning: str
    applies: Callable[[Resource], bool] = _always


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    protects: str
    """What goes wrong without it."""
    standard: str
    """The benchmark item it implements (CIS) or "rayfort"."""
    environment: tuple[str, ...] = ()
    """Environment fields that set or lower it; empty when nothing in the environment can."""
    checks: Mapping[str, c.Check] = field(default_factory=dict)
    """Synth-time check per resource type: the floor no resource may fall below without a waiver."""
    applies: Callable[[Resource], bool] = _always
    """Whether a resource of those types is one the control is about (a Namespace, a LoadBalancer Service...)."""
    environment_check: e.EnvironmentCheck | None = None
    """The same floor read from the environment, before anything is built."""
    settings: tuple[Setting, ...] = ()
    presence: tuple[Presence, ...] = ()
    org_policies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Organization policy constraints that enforce it: constraint -> the finding attributes it refuses."""
    judged_by: tuple[str, ...] = ()
    """checkov policies (ours and built-in) that judge the same property independently."""
    waiver_names_tenants: bool = False
    """A waiver of it names the tenants it is accepted for, and the environment places no other tenant there."""

    @property
    def resource_types(self) -> tuple[str, ...]:
        return tuple(self.checks)

    @property
    def ratchet(self) -> bool:
        """Whether its value can widen without falling below the floor (ranges, allowlists, numbers).

        Such a widening is a weakening for the review; a waiver may stand for it
        while the control holds, so a waiver of it is not stale merely because
        nothing is below the floor.
        """
        return any(
            isinstance(s.compare, (AddressSet, Allowlist)) or (isinstance(s.compare, Number) and s.extract is None)
            for s in self.settings
        )

    def where(self) -> tuple[str, ...]:
        """Where it shows in the synthesized JSON: resource type and attribute."""
        shown = [f"{s.resource_type}.{s.attribute}" for s in self.settings]
        shown += [f"{p.resource_type} ({p.change})" for p in self.presence]
        return tuple(dict.fromkeys(shown))


def _pools(check: c.Check) -> dict[str, c.Check]:
    return {"google_container_node_pool": check, "google_container_cluster": check}


def _is_allow(resource: Resource) -> bool:
    return bool(resource.get("allow"))


def _opens_iap(resource: Resource) -> bool:
    return any(True for _ in c.iap_tcp_forwarding(resource))


def _is_deny(resource: Resource) -> bool:
    return bool(resource.get("deny"))


def _is_ingress_deny(resource: Resource) -> bool:
    """Deny rules of the ingress direction (the default); the egress deny-all is RF045's."""
    return _is_deny(resource) and resource.get("direction", "INGRESS") == "INGRESS"


def _not_deny(resource: Resource) -> bool:
    """Allow rules, and rules whose action is not shown (a plan's partial body): wider is weaker."""
    return not _is_deny(resource)


def _manifest_kind(*kinds: str) -> Callable[[Resource], bool]:
    return c.kind(*kinds)


def _restricted_violations(resource: Resource) -> int:
    return len(check_object(c.manifest(resource)))


def _secret_findings(resource: Resource) -> int:
    return sum(1 for _ in c.plain_text_secrets(resource))


def _unpinned(resource: Resource) -> int:
    return sum(1 for image in c.images(resource) if not c.image_pinned(image))


def _iap_backend(resource: Resource) -> bool:
    return c.kind("BackendConfig", "GCPBackendPolicy")(resource)


_POOL = "google_container_node_pool"
_CLUSTER = "google_container_cluster"
_FIREWALL = "google_compute_firewall"
_MANIFEST = "kubernetes_manifest"
_FQDN_RULE = "google_compute_network_firewall_policy_rule"
_LOG_BUCKET = "google_logging_project_bucket_config"
_SINK = "google_logging_project_sink"
_ON = Flag(True)
_OFF = Flag(False, missing=False)

CONTROLS: tuple[Control, ...] = (
    Control(
        "RF001",
        "Shielded nodes with secure boot",
        "a tampered boot chain or kernel on a node goes unnoticed",
        "CIS GKE 5.5.5, 5.5.6",
        checks=_pools(c.secure_boot),
        applies=c.has_node_config,
        settings=tuple(
            Setting(t, ("node_config", "shielded_instance_config", attr), _ON, meaning)
            for t in (_POOL, _CLUSTER)
            for attr, meaning in (
                ("enable_secure_boot", "nodes boot without verified boot"),
                ("enable_integrity_monitoring", "node integrity is no longer monitored"),
            )
        )
        + (Setting(_CLUSTER, ("enable_shielded_nodes",), Flag(True, missing=True), "nodes are not Shielded VMs"),),
        org_policies={"compute.requireShieldedVm": ("node_config.shielded_instance_config", "enable_shielded_nodes")},
        judged_by=("CKV_RAYFORT_10",),
    ),
    Control(
        "RF002",
        "Boot disks encrypted with CMEK",
        "node disks (images, emptyDir, logs) readable with Google-managed keys only",
        "CIS GKE 5.9.1",
        checks=_pools(c.boot_disk_cmek),
        applies=c.has_node_config,
        settings=tuple(
            Setting(t, ("node_config", "boot_disk_kms_key"), Present(), "boot disks fall back to Google-managed keys")
            for t in (_POOL, _CLUSTER)
        ),
        org_policies={"gcp.restrictNonCmekServices": ("node_config.boot_disk_kms_key",)},
        judged_by=("CKV_RAYFORT_6",),
    ),
    Control(
        "RF003",
        "Confidential nodes",
        "node memory readable by the host, in use",
        "rayfort",
        environment=("cluster.node_pools[].confidential_instance_type",),
        checks=_pools(c.confidential_nodes),
        environment_check=e.confidential_pools,
        settings=(
            Setting(_POOL, ("node_config", "confidential_nodes", "enabled"), _ON, "node memory is no longer encrypted"),
            Setting(_CLUSTER, ("confidential_nodes", "enabled"), _ON, "node memory is no longer encrypted"),
        ),
        org_policies={"compute.restrictNonConfidentialComputing": ("node_config.confidential_nodes",)},
        judged_by=("CKV_RAYFORT_7", "CKV2_RAYFORT_1"),
        # A waived pool admits only the tenants its waiver names (config.cluster checks the pool's tenants).
        waiver_names_tenants=True,
    ),
    Control(
        "RF004",
        "Dedicated node identity, metadata concealed, Workload Identity",
        "pods reading the node's credentials or running as the Compute Engine default account",
        "CIS GKE 5.2.1, 5.4.1, 5.2.2",
        checks={
            _POOL: c.node_identity,
            _CLUSTER: lambda r: (f for check in (c.node_identity, c.workload_identity) for f in check(r)),
        },
        applies=c.has_node_config,
        settings=(
            Setting(
                _POOL,
                ("node_config", "workload_metadata_config", "mode"),
                Levels(("GKE_METADATA",)),
                "pods can read node credentials",
            ),
            Setting(_POOL, ("node_config", "service_account"), Present(), "nodes run as the default account"),
            Setting(
                _CLUSTER,
                ("workload_identity_config", "workload_pool"),
                Present(),
                "pods fall back to the node's identity",
            ),
        ),
        judged_by=("CKV_RAYFORT_4", "CKV_RAYFORT_8"),
    ),
    Control(
        "RF005",
        "Private nodes and private endpoint",
        "nodes or the control plane reachable from the internet",
        "CIS GKE 5.6.5, 5.6.4",
        checks={_CLUSTER: c.private_cluster},
        settings=(
            Setting(
                _CLUSTER,
                ("private_cluster_config", "enable_private_endpoint"),
                _ON,
                "the control plane gets a public endpoint",
            ),
            Setting(_CLUSTER, ("private_cluster_config", "enable_private_nodes"), _ON, "nodes get public IPs"),
        ),
        org_policies={
            "compute.vmExternalIpAccess": ("private_cluster_config.enable_private_nodes",),
            "compute.requireOsLogin": ("private_cluster_config.enable_private_nodes",),
        },
        judged_by=("CKV_RAYFORT_1",),
    ),
    Control(
        "RF010",
        "Namespaces enforce Pod Security restricted",
        "privileged pods admitted into a namespace",
        "CIS GKE 4.2",
        checks={_MANIFEST: c.pod_security_labels},
        applies=c.kind("Namespace"),
        settings=tuple(
            Setting(
                _MANIFEST,
                ("manifest", "metadata", "labels", f"pod-security.kubernetes.io/{mode}"),
                c.POD_SECURITY_LEVELS,
                f"the namespace {verb} pods below restricted",
                _manifest_kind("Namespace"),
            )
            for mode, verb in (("enforce", "admits"), ("audit", "no longer audits"), ("warn", "no longer warns about"))
        ),
        judged_by=("CKV_RAYFORT_14",),
    ),
    Control(
        "RF011",
        "Load balancers are internal and never expose GCS",
        "a public load balancer, or Ray's GCS port reachable through one",
        "rayfort",
        checks={_MANIFEST: c.internal_load_balancer},
        applies=c.is_load_balancer_service,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "metadata", "annotations", "networking.gke.io/load-balancer-type"),
                Flag("Internal"),
                "the load balancer becomes public",
                c.is_load_balancer_service,
            ),
        ),
        judged_by=("CKV_RAYFORT_13",),
    ),
    Control(
        "RF012",
        "Containers meet Pod Security restricted",
        "a container escaping to its node (privileged, root, added capabilities)",
        "CIS GKE 4.2.1-4.2.4",
        checks={_MANIFEST: c.restricted_pods},
        applies=c.has_pods,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "(pod templates)"),
                Number(stronger="lower"),
                "more Pod Security restricted violations",
                c.has_pods,
                _restricted_violations,
            ),
        ),
        judged_by=("CKV_RAYFORT_14",),
    ),
    Control(
        "RF013",
        "Ray token authentication",
        "anyone who reaches a Ray head running code on it (CVE-2023-48022)",
        "rayfort (CVE-2023-48022)",
        environment=("tenants[].token_auth",),
        checks={_MANIFEST: c.ray_token_auth},
        applies=c.kind("RayCluster"),
        environment_check=e.kuberay_token_auth,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "authOptions", "mode"),
                c.RAY_AUTH_MODES,
                "anyone who reaches the Ray head can run code",
                _manifest_kind("RayCluster"),
            ),
        ),
    ),
    Control(
        "RF014",
        "Resource-level IAM grants",
        "a grant meant for one bucket, key or secret reaching all of them",
        "CIS GCP 1.5, 1.6",
        checks={
            "google_project_iam_member": c.project_level_grant,
            "google_project_iam_binding": c.project_level_grant,
        },
        presence=tuple(
            Presence(
                t,
                "added",
                "a resource-scoped role is granted on the whole project",
                lambda r: any(True for _ in c.project_level_grant(r)),
            )
            for t in ("google_project_iam_member", "google_project_iam_binding")
        ),  # fmt: skip
    ),
    Control(
        "RF015",
        "No secret in plain text",
        "secrets readable by anyone who reads the repository or the state",
        "rayfort",
        checks={"*": c.plain_text_secrets},
        settings=(
            Setting(
                "*",
                ("(every attribute)",),
                Number(stronger="lower"),
                "a secret appears in plain text",
                extract=_secret_findings,
            ),
        ),  # fmt: skip
    ),
    Control(
        "RF016",
        "No service account keys",
        "long-lived credentials that leak",
        "CIS GCP 1.4",
        checks={"google_service_account_key": c.no_key_resources},
        presence=(Presence("google_service_account_key", "added", "a long-lived service account key is created"),),
        org_policies={"iam.disableServiceAccountKeyCreation": ("(resource)",)},
    ),
    Control(
        "RF017",
        "No firewall ingress from the internet",
        "the internet at large reaching the nodes",
        "CIS GCP 3.6, 3.7",
        checks={_FIREWALL: c.open_firewall},
        settings=(
            Setting(_FIREWALL, ("source_ranges",), AddressSet(), "the rule admits more sources", _not_deny),
            Setting(_FIREWALL, ("destination_ranges",), AddressSet(), "the rule reaches more addresses", _not_deny),
            Setting(
                _FIREWALL,
                ("source_ranges",),
                AddressSet(denies=True),
                "the deny rule covers fewer sources",
                _is_ingress_deny,
            ),
        ),  # fmt: skip
        presence=(
            Presence(
                _FIREWALL,
                "added",
                "a new firewall allow rule opens traffic",
                lambda r: _is_allow(r) and not _opens_iap(r),
            ),
            Presence(_FIREWALL, "removed", "a firewall deny rule is removed", _is_ingress_deny),
        ),
    ),
    Control(
        "RF018",
        "Firewall rules log",
        "traffic through a rule leaving no record",
        "CIS GCP 3.x",
        checks={_FIREWALL: c.firewall_logging},
        settings=(Setting(_FIREWALL, ("log_config", "metadata"), Present(), "firewall logging switched off"),),
    ),
    Control(
        "RF019",
        "Buckets: uniform access, no public access, CMEK",
        "objects made public or readable with Google-managed keys",
        "CIS GCP 5.1, 5.2",
        checks={"google_storage_bucket": c.bucket_hardening},
        settings=(
            Setting(
                "google_storage_bucket",
                ("public_access_prevention",),
                c.BUCKET_PUBLIC_ACCESS,
                "the bucket may become public",
            ),
            Setting("google_storage_bucket", ("uniform_bucket_level_access",), _ON, "object ACLs return"),
            Setting(
                "google_storage_bucket",
                ("encryption", "default_kms_key_name"),
                Present(),
                "objects use Google-managed keys",
            ),
        ),  # fmt: skip
        org_policies={"gcp.restrictNonCmekServices": ("encryption.default_kms_key_name",)},
        judged_by=("CKV_RAYFORT_17", "CKV_GCP_29"),
    ),
    Control(
        "RF020",
        "Keys rotate within 90 days and are never destroyed",
        "a key used too long, or destroyed with the data it protects",
        "CIS GCP 1.10",
        environment=("cluster.kms.create.rotation_days",),
        checks={"google_kms_crypto_key": c.key_rotation},
        settings=(
            Setting(
                "google_kms_crypto_key",
                ("rotation_period",),
                Number(stronger="lower", unit="s"),
                "keys rotate less often",
            ),
            Setting("google_kms_crypto_key", ("lifecycle", "prevent_destroy"), _ON, "the key can be destroyed"),
        ),  # fmt: skip
    ),
    Control(
        "RF021",
        "VPC Service Controls perimeter",
        "data copied out of the project with stolen credentials",
        "Google security foundations",
        environment=("network.service_controls.enabled", "network.service_controls.enforce"),
        environment_check=e.perimeter,
        settings=(
            Setting(
                "google_access_context_manager_service_perimeter",
                ("status",),
                Present(),
                "the perimeter is no longer enforced (dry-run only)",
            ),
            Setting(
                "google_access_context_manager_access_level",
                ("basic", "conditions"),
                AddressSet(),
                "the access level admits more sources",
                extract=lambda r: [
                    ip
                    for cond in (c.block(r.get("basic")).get("conditions") or [])
                    for ip in (cond.get("ip_subnetworks") or [])
                ],
            ),
        ),  # fmt: skip
        presence=(Presence("google_access_context_manager_service_perimeter", "removed", "the perimeter is removed"),),
        judged_by=("CKV_RAYFORT_11",),
    ),
    Control(
        "RF047",
        "The deployer passes the enforced perimeter",
        "an enforced perimeter refusing Terraform itself (403 on every later plan), then switched off in a hurry",
        "rayfort",
        environment=("deployer.service_accounts", "network.service_controls.enforce"),
        environment_check=e.deployer_ingress,
    ),
    Control(
        "RF022",
        "Ray token authentication (operatorless tenants)",
        "anyone who reaches a plain-runtime Ray head running code on it",
        "rayfort (CVE-2023-48022)",
        environment=("tenants[].token_auth",),
        environment_check=e.operatorless_token_auth,
    ),
    Control(
        "RF023",
        "Control plane reachable from named networks only",
        "the Kubernetes API reachable from the internet at large",
        "CIS GKE 5.6.3",
        environment=("cluster.master_authorized_networks[].cidr", "cluster.control_plane_access"),
        checks={_CLUSTER: c.authorized_networks},
        environment_check=e.authorized_networks,
        settings=(
            Setting(
                _CLUSTER,
                ("master_authorized_networks_config", "cidr_blocks"),
                AddressSet(),
                "more networks reach the control plane",
                extract=lambda r: [
                    b.get("cidr_block")
                    for b in value_at(r, ("master_authorized_networks_config", "cidr_blocks")) or []
                    if isinstance(b, dict)
                ],
            ),
            Setting(
                _CLUSTER,
                ("master_authorized_networks_config", "gcp_public_cidrs_access_enabled"),
                _OFF,
                "every Google Cloud VM reaches the control plane",
            ),
            Setting(
                _CLUSTER,
                ("control_plane_endpoints_config", "dns_endpoint_config", "allow_external_traffic"),
                _OFF,
                "the DNS endpoint accepts traffic from outside the VPC (IAM still decides)",
            ),
        ),  # fmt: skip
        judged_by=("CKV_RAYFORT_2", "CKV_GCP_18"),
    ),
    Control(
        "RF024",
        "Internal load balancers admit named sources only",
        "an internal load balancer open to every address that reaches the VPC (peered, on-premises, every region)",
        "rayfort",
        environment=("tenants[].exposure.internal.source_ranges", "tenants[].exposure.internal.global_access"),
        checks={_MANIFEST: c.load_balancer_sources},
        applies=c.is_load_balancer_service,
        environment_check=e.internal_sources,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "loadBalancerSourceRanges"),
                AddressSet(),
                "the load balancer admits more sources",
                c.is_load_balancer_service,
            ),
            Setting(
                _MANIFEST,
                ("manifest", "metadata", "annotations", c.GLOBAL_ACCESS),
                Flag("false", missing="false"),
                "clients from every region are admitted",
                c.is_load_balancer_service,
            ),
        ),  # fmt: skip
        judged_by=("CKV_RAYFORT_13",),
    ),
    Control(
        "RF025",
        "Binary Authorization admits only rayfort's images",
        "an image from an unvetted registry running in the cluster (in air-gapped mode: anything but the mirror)",
        "CIS GKE 5.10.5",
        environment=("cluster.binary_authorization_registries",),
        checks={"google_binary_authorization_policy": c.admission_policy},
        environment_check=e.extra_image_patterns,
        settings=(
            Setting(
                "google_binary_authorization_policy",
                ("admission_whitelist_patterns",),
                Allowlist(),
                "the allowlist admits more images",
                extract=lambda r: [
                    p.get("name_pattern") for p in r.get("admission_whitelist_patterns") or [] if isinstance(p, dict)
                ],
            ),
            Setting(
                "google_binary_authorization_policy",
                ("default_admission_rule", "evaluation_mode"),
                c.ADMISSION_MODES,
                "unlisted images may run",
            ),
            Setting(
                "google_binary_authorization_policy",
                ("default_admission_rule", "enforcement_mode"),
                c.ENFORCEMENT_MODES,
                "denied images run anyway (dry-run)",
            ),
            Setting(
                "google_binary_authorization_policy",
                ("global_policy_evaluation_mode",),
                Levels(("DISABLE", "ENABLE")),
                "Google's system-image policy is no longer applied",
            ),
            Setting(
                _CLUSTER,
                ("binary_authorization", "evaluation_mode"),
                c.BINAUTHZ_CLUSTER_MODES,
                "the cluster no longer enforces the policy",
            ),
        ),  # fmt: skip
        presence=(Presence("google_binary_authorization_policy", "removed", "image admission control is removed"),),
    ),
    Control(
        "RF026",
        "Images and charts pinned",
        "a mutable tag (latest) silently changing what runs",
        "rayfort",
        environment=("tenants[].image",),
        checks={_MANIFEST: c.pinned_images, "helm_release": c.pinned_chart},
        applies=lambda r: "chart" in r or c.has_pods(r),
        environment_check=e.pinned_tenant_images,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "(container images)"),
                Number(stronger="lower"),
                "an image is no longer pinned",
                c.has_pods,
                _unpinned,
            ),
            Setting("helm_release", ("version",), Present(), "the chart version floats"),
            Setting(
                "helm_release",
                ("values", "(images)"),
                Number(stronger="lower"),
                "a chart image is no longer pinned",
                extract=lambda r: sum(1 for image in c.chart_images(r) if not c.image_pinned(image)),
            ),
        ),  # fmt: skip
        judged_by=("CKV_RAYFORT_15",),
    ),
    Control(
        "RF027",
        "Dashboard TLS: RESTRICTED profile, TLS 1.2 or newer",
        "dashboard traffic negotiated down to weak ciphers or old TLS",
        "CIS GCP 3.9",
        environment=("exposure.ssl_profile",),
        checks={"google_compute_ssl_policy": c.tls_policy},
        environment_check=e.tls_profile,
        settings=(
            Setting("google_compute_ssl_policy", ("profile",), c.SSL_PROFILES, "weaker cipher suites are accepted"),
            Setting(
                "google_compute_ssl_policy", ("min_tls_version",), c.TLS_VERSIONS, "older TLS versions are accepted"
            ),
        ),  # fmt: skip
        presence=(Presence("google_compute_ssl_policy", "removed", "the dashboards lose their TLS policy"),),
        judged_by=("CKV_RAYFORT_16",),
    ),
    Control(
        "RF028",
        "Cloud Armor in front of IAP dashboards",
        "dashboards open to floods and exploit probes from any address before IAP answers",
        "rayfort",
        environment=("exposure.cloud_armor.enabled", "exposure.cloud_armor.allowed_ranges"),
        checks={_MANIFEST: c.cloud_armor},
        applies=_iap_backend,
        environment_check=e.armor,
        settings=(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "securityPolicy", "name"),
                Present(),
                "the dashboard loses its Cloud Armor policy",
                c.kind("BackendConfig"),
            ),
            Setting(
                _MANIFEST,
                ("manifest", "spec", "default", "securityPolicy"),
                Present(),
                "the dashboard loses its Cloud Armor policy",
                c.kind("GCPBackendPolicy"),
            ),
            Setting(
                "google_compute_security_policy",
                ("rule", "(admitted ranges)"),
                AddressSet(),
                "Cloud Armor admits more sources",
                extract=c.armor_admitted_ranges,
            ),
            Setting(
                "google_compute_security_policy",
                ("rule", "(rate limit)"),
                Number(stronger="lower"),
                "Cloud Armor throttles later",
                extract=c.armor_rate_limit,
            ),
        ),  # fmt: skip
    ),
    Control(
        "RF029",
        "Flow logs on the node subnet",
        "network flows of a breach left unrecorded",
        "CIS GCP 3.8",
        environment=("network.flow_logs.sampling", "network.flow_logs.interval", "network.flow_logs.metadata"),
        checks={"google_compute_subnetwork": c.flow_logs},
        environment_check=e.flow_logs,
        settings=(
            Setting("google_compute_subnetwork", ("log_config",), Present(), "flow logs switched off"),
            Setting(
                "google_compute_subnetwork",
                ("log_config", "flow_sampling"),
                Number(stronger="higher"),
                "fewer flows are recorded",
            ),
            Setting(
                "google_compute_subnetwork",
                ("log_config", "aggregation_interval"),
                c.FLOW_INTERVALS,
                "flows are aggregated more coarsely",
            ),
            Setting(
                "google_compute_subnetwork", ("log_config", "metadata"), c.FLOW_METADATA, "flow records lose metadata"
            ),
        ),  # fmt: skip
    ),
    Control(
        "RF030",
        "Cloud NAT logs every translation",
        "which pod reached which internet address left unrecorded",
        "rayfort",
        environment=("network.nat_logging",),
        checks={"google_compute_router_nat": c.nat_logging},
        environment_check=e.nat_logging,
        settings=(
            Setting("google_compute_router_nat", ("log_config", "enable"), _ON, "Cloud NAT stops logging"),
            Setting("google_compute_router_nat", ("log_config", "filter"), c.NAT_LOG_FILTERS, "Cloud NAT logs less"),
        ),  # fmt: skip
    ),
    Control(
        "RF031",
        "No IAP TCP forwarding to the nodes",
        "an SSH path onto nodes that bypasses Kubernetes RBAC and audit",
        "rayfort",
        environment=("network.iap_tcp_forwarding",),
        checks={_FIREWALL: c.iap_tcp_forwarding},
        environment_check=e.iap_tcp_forwarding,
        presence=(Presence(_FIREWALL, "added", "IAP TCP forwarding is opened to the nodes", _opens_iap),),
    ),
    Control(
        "RF032",
        "Tenant quotas bounded by what the cluster can hold",
        "one tenant taking every node (a quota the cluster can never fill limits nothing)",
        "CIS GKE 4.x (resource quotas)",
        environment=("tenants[].quota",),
        checks={_MANIFEST: c.quota_bounds},
        applies=c.kind("ResourceQuota"),
        environment_check=e.quota_within_capacity,
        settings=tuple(
            Setting(
                _MANIFEST,
                ("manifest", "spec", "hard", key),
                Number(stronger="lower"),
                f"the quota allows more {what}",
                c.kind("ResourceQuota"),
            )
            for key, what in (
                ("requests.cpu", "CPU"),
                ("limits.cpu", "CPU"),
                ("requests.memory", "memory"),
                ("limits.memory", "memory"),
                ("requests.nvidia.com/gpu", "GPUs"),
                ("pods", "pods"),
            )
        ),  # fmt: skip
        presence=(Presence(_MANIFEST, "removed", "a namespace loses its quota", c.kind("ResourceQuota")),),
    ),
    Control(
        "RF033",
        "CMEK on every service that stores data",
        "Kubernetes and Secret Manager secrets, images or Redis data readable with Google-managed keys only",
        "CIS GKE 5.3.1",
        checks={
            _CLUSTER: c.cluster_secrets_cmek,
            "google_artifact_registry_repository": c.key_named("kms_key_name"),
            "google_redis_instance": c.key_named("customer_managed_key"),
            "google_secret_manager_secret": c.secret_cmek,
        },
        settings=(
            Setting(
                _CLUSTER,
                ("database_encryption", "state"),
                c.DATABASE_ENCRYPTION,
                "secrets are no longer encrypted with our key",
            ),
            Setting(_CLUSTER, ("database_encryption", "key_name"), Present(), "secrets lose their key"),
            Setting("google_artifact_registry_repository", ("kms_key_name",), Present(), "images use Google keys"),
            Setting("google_redis_instance", ("customer_managed_key",), Present(), "Redis data uses Google keys"),
            Setting(
                "google_secret_manager_secret",
                ("replication", "user_managed", "replicas", "customer_managed_encryption", "kms_key_name"),
                Present(),
                "secret payloads use Google keys",
                extract=c.secret_replica_keys,
            ),
        ),  # fmt: skip
        org_policies={
            "gcp.restrictNonCmekServices": (
                "database_encryption.key_name",
                "kms_key_name",
                "customer_managed_key",
                "cluster_autoscaling.auto_provisioning_defaults.boot_disk_kms_key",
                c.SECRET_REPLICA_KEY,
                c.SECRET_AUTO_KEY,
            )
        },
        judged_by=("CKV_RAYFORT_5",),
    ),
    Control(
        "RF034",
        "OS Login on nodes",
        "SSH keys in instance metadata granting node access outside IAM",
        "CIS GCP 4.4",
        checks=_pools(c.os_login),
        applies=c.has_node_config,
        settings=(
            Setting(
                _POOL,
                ("node_config", "metadata", "enable-oslogin"),
                Flag("true", missing="true"),
                "SSH keys in metadata bypass IAM",
            ),
        ),  # fmt: skip
        org_policies={"compute.requireOsLogin": ("node_config.metadata.enable-oslogin",)},
    ),
    Control(
        "RF035",
        "Cluster access through IAM only",
        "legacy ABAC or long-lived client certificates granting access IAM cannot revoke",
        "CIS GKE 5.8.1, 5.8.3",
        checks={_CLUSTER: c.iam_only_access},
        settings=(
            Setting(_CLUSTER, ("enable_legacy_abac",), _OFF, "legacy ABAC grants broad access"),
            Setting(
                _CLUSTER,
                ("master_auth", "client_certificate_config", "issue_client_certificate"),
                _OFF,
                "long-lived client certificates are issued",
            ),
        ),  # fmt: skip
        judged_by=("CKV_GCP_7", "CKV_GCP_13"),
    ),
    Control(
        "RF036",
        "Cluster logged and protected from deletion",
        "a cluster destroyed by one apply, or running without logs",
        "CIS GKE 5.7.1",
        checks={_CLUSTER: c.cluster_protected},
        settings=(
            Setting(_CLUSTER, ("deletion_protection",), Flag(True, missing=True), "the cluster can be destroyed"),
            Setting(_CLUSTER, ("logging_config", "enable_components"), Present(), "logging switched off"),
        ),
        judged_by=("CKV_GCP_1",),
    ),
    Control(
        "RF037",
        "Redis requires auth and TLS",
        "GCS state read or forged by any pod that reaches Redis",
        "rayfort",
        checks={"google_redis_instance": c.redis_protection},
        settings=(
            Setting("google_redis_instance", ("auth_enabled",), _ON, "Redis accepts unauthenticated clients"),
            Setting(
                "google_redis_instance",
                ("transit_encryption_mode",),
                c.REDIS_TRANSIT,
                "Redis traffic is no longer encrypted",
            ),
        ),  # fmt: skip
    ),
    Control(
        "RF038",
        "Nodes reach Google APIs privately",
        "API traffic leaving through the internet, outside the perimeter",
        "Google security foundations",
        checks={"google_compute_subnetwork": c.private_google_access},
        settings=(
            Setting(
                "google_compute_subnetwork",
                ("private_ip_google_access",),
                _ON,
                "nodes lose the private path to Google APIs",
            ),
        ),  # fmt: skip
    ),
    Control(
        "RF040",
        "Kubelet read-only port closed",
        "unauthenticated reads of pod specs and node metrics on port 10255",
        "CIS GKE 4.2.4",
        checks=_pools(c.kubelet_read_only_port),
        applies=c.has_node_config,
        settings=tuple(
            Setting(
                t,
                ("node_config", "kubelet_config", "insecure_kubelet_readonly_port_enabled"),
                Flag("FALSE"),
                "the kubelet read-only port opens",
            )
            for t in (_POOL, _CLUSTER)
        ),  # fmt: skip
        judged_by=("CKV_RAYFORT_9", "CKV2_RAYFORT_2"),
    ),
    Control(
        "RF041",
        "Release channel REGULAR or STABLE",
        "a cluster without a steady security-patch cadence, or on pre-GA versions",
        "CIS GKE 5.5.4",
        checks={_CLUSTER: c.release_channel},
        settings=(Setting(_CLUSTER, ("release_channel", "channel"), c.RELEASE_CHANNELS, "the patch cadence is lost"),),
        judged_by=("CKV_RAYFORT_3",),
    ),
    Control(
        "RF042",
        "Dashboards only behind IAP",
        "a dashboard (which runs jobs) reachable without an identity check",
        "rayfort",
        checks={_MANIFEST: c.dashboard_iap},
        applies=_iap_backend,
        settings=(
            Setting(
                _MANIFEST, ("manifest", "spec", "iap", "enabled"), _ON, "IAP is switched off", c.kind("BackendConfig")
            ),
            Setting(
                _MANIFEST,
                ("manifest", "spec", "default", "iap", "enabled"),
                _ON,
                "IAP is switched off",
                c.kind("GCPBackendPolicy"),
            ),
        ),  # fmt: skip
        judged_by=("CKV_RAYFORT_12",),
    ),
    Control(
        "RF043",
        "Audit logs kept in a locked, CMEK-encrypted log bucket",
        "evidence of who did what deleted or shortened by whoever they were investigating",
        "CIS GCP 2.2, 2.3",
        environment=("audit.retention_days", "audit.locked"),
        checks={
            "google_logging_project_bucket_config": c.audit_retention,
            "google_logging_project_sink": c.audit_sink,
        },
        environment_check=e.audit_retention,
        settings=(
            Setting(_LOG_BUCKET, ("locked",), _ON, "the retention can be shortened and the bucket deleted"),
            Setting(_LOG_BUCKET, ("retention_days",), Number(stronger="higher"), "audit entries are kept less long"),
            Setting(_LOG_BUCKET, ("cmek_settings", "kms_key_name"), Present(), "audit entries use Google-managed keys"),
            Setting(_SINK, ("disabled",), _OFF, "the sink stops keeping audit entries"),
            Setting(_SINK, ("filter",), Present(), "the sink keeps every entry or none"),
        ),
        presence=(
            Presence(_SINK, "removed", "a sink to the audit bucket is removed"),
            Presence(_LOG_BUCKET, "removed", "the audit bucket is removed"),
        ),
        judged_by=("CKV_RAYFORT_18", "CKV2_RAYFORT_3"),
    ),
    Control(
        "RF044",
        "Data Access audit logs on every service that holds data",
        "reads of buckets, secrets, images, Redis, keys or the Kubernetes API leaving no record",
        "CIS GCP 2.1",
        checks={"google_project_iam_audit_config": c.data_access_logs},
        presence=(Presence("google_project_iam_audit_config", "removed", "a service stops logging data access"),),
    ),
    Control(
        "RF045",
        "Egress denied by default in NAT mode",
        "code a tenant runs sending data to, or fetching tools from, anywhere on the internet",
        "rayfort (CIS GCP 3.x, NIST SP 800-41 default deny)",
        environment=("network.internet_egress.deny_by_default",),
        environment_check=e.egress_default_deny,
        settings=(
            Setting(
                _FIREWALL,
                ("destination_ranges",),
                AddressSet(denies=True),
                "the default-deny egress rule covers fewer destinations",
                c.is_egress_deny,
            ),
        ),
        presence=(Presence(_FIREWALL, "removed", "the default-deny egress rule is removed", c.is_egress_deny),),
    ),
    Control(
        "RF046",
        "Internet egress only to named hosts",
        "an egress allowlist that names address ranges, wildcards or every port instead of the hosts teams need",
        "rayfort",
        environment=("network.internet_egress.allowed_fqdns",),
        checks={_FQDN_RULE: c.fqdn_egress_rule},
        environment_check=e.egress_fqdns,
        settings=(
            Setting(
                _FQDN_RULE,
                ("match", "dest_fqdns"),
                Allowlist(),
                "pods reach more internet hosts",
                extract=lambda r: list(value_at(r, ("match", "dest_fqdns")) or []),
            ),
            Setting(_FQDN_RULE, ("match", "dest_ip_ranges"), AddressSet(), "pods reach more internet addresses"),
        ),
        presence=(
            Presence(_FQDN_RULE, "added", "an internet egress rule is added", lambda r: r.get("action") == "allow"),
        ),
    ),
    Control(
        "RF048",
        "Ray workers cannot delete the tenant's artifacts",
        "a job's code on any worker deleting or overwriting every object the team keeps in its bucket",
        "rayfort (least privilege)",
        environment=("tenants[].workers_delete_objects",),
        environment_check=e.workers_delete_objects,
    ),
    Control(
        "RF049",
        "Untrusted code runs in GKE Sandbox",
        "code nobody vetted reaching the node's kernel through a container escape, and from there other "
        "tenants' pods on the node",
        "CIS GKE, GKE Sandbox",
        # The environment sets it but cannot lower it below itself: an untrusted_code tenant's pods run only in
        # gVisor, on sandbox pools only (config.placement, the admission policy); the review shows it taken away.
        environment=("tenants[].untrusted_code", "tenants[].worker_groups[].sandbox", "cluster.node_pools[].sandbox"),
        settings=(
            Setting(
                _POOL,
                ("node_config", "sandbox_config", "sandbox_type"),
                Present(),
                "a pool's nodes stop running pods in gVisor",
            ),
        ),
        presence=(
            Presence(
                _POOL,
                "removed",
                "a GKE Sandbox pool is removed",
                lambda r: value_at(r, ("node_config", "sandbox_config", "sandbox_type")) is not None,
            ),
        ),
        judged_by=("node placement",),
    ),
    Control(
        "RF039",
        "Tenant network isolation",
        "one tenant's pods reaching another tenant's Ray ports",
        "CIS GKE 5.6.7",
        presence=(
            Presence(_MANIFEST, "removed", "a NetworkPolicy is removed", c.kind("NetworkPolicy")),
            Presence(_MANIFEST, "added", "a NetworkPolicy is added (it may allow more)", c.kind("NetworkPolicy")),
        ),
        judged_by=("tenant isolation (nca)",),
    ),
)

CONTROL_IDS: frozenset[str] = frozenset(control.id for control in CONTROLS)
BY_ID: dict[str, Control] = {control.id: control for control in CONTROLS}


def control(control_id: str) -> Control:
    return BY_ID[control_id]
