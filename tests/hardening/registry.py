"""Every hardening value rayfort synthesizes, and what keeps each from being weakened unnoticed.

A value in the synthesized stacks is *hardening* when its attribute path says so
(``SECURITY``: secure boot, TLS, IAP, privileges, logging...). Each one must be
kept by something other than a snapshot, because ``--snapshot-update`` accepts
any change:

- a catalogue setting (``rayfort.controls``) ranks it, so the review reports a
  weaker value, and ``tests/controls/test_catalogue_meaning.py`` proves the ranking;
- a ``Hardening`` entry here with ``control``: weakening it in a synthesized
  resource makes that control's rule refuse it or the review report it (checked);
- a ``Hardening`` entry with ``expect``: an intent assertion on every shipped
  environment (checked);
- a ``Hardening`` entry with ``tested_by``: a named test that asserts it by intent;
- or a ``NotHardening`` entry that says why the word misleads.

``tests/hardening/test_hardening.py`` fails on a security-looking value none of
these covers, and lists it: that is a hardening value only a snapshot would pin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SECURITY = re.compile(
    r"secur|shield|integrity|confidential|private|encrypt|kms|tls|ssl|cert|auth|iap|oslogin|legacy|abac|"
    r"deletion_protection|prevent_destroy|force_destroy|public|uniform|readonly|read_only|privileg|runas|fsgroup|"
    r"capabilit|seccomp|apparmor|selinux|automount|hostnetwork|hostpid|hostipc|hostport|hostpath|pod-security|"
    r"workload_metadata|workload_pool|service_?account|rotation|source_?ranges|authorized|binary_authorization|"
    r"evaluation_mode|enforcement_mode|whitelist|restrict|perimeter|dnssec|log_config|logging|audit|sampling|"
    r"insecure|anonymous|rbac|verbs|token|password|secret|allow|deny|ipblock|namespaceselector|failurepolicy|"
    r"validationactions|validations|matchconditions|immutable|vulnerability|posture|redirecttohttps|transit|"
    r"intranode|network_policy|datapath|external_traffic|externaltrafficpolicy|global_access|global-access|"
    r"load-balancer-type|auto_repair|auto_upgrade|image_type|versioning|preview|forwarding|managed-certificates|"
    r"roleref|nodeports|loadbalancers|\.image$|imagepullpolicy|rules\[\]\.(resources|apigroups|resourcenames)|"
    r"redis_address|enable_restriction|allowed_services|disable-legacy|ssh|sandbox|version$",
    re.IGNORECASE,
)
"""Attribute paths that carry a security setting."""

NOT_SECURITY = re.compile(r"^manifest\.(apiVersion|kind)$|apiVersion$")

ANY = object()


@dataclass(frozen=True)
class Hardening:
    where: str
    """Resource type, or ``kubernetes_manifest:<Kind>`` (fnmatch)."""
    path: str
    """Leaf path (fnmatch): keys joined by ``.``, list items as ``[]``, env variables as ``env.<NAME>``."""
    why: str
    expect: Any = ANY
    """The value every shipped environment has, or a check of one resource's values at the path."""
    control: str | None = None
    """The catalogue control that refuses (rule) or reports (review) a weaker value."""
    weaker: Any = None
    """A weaker value the control must catch, written over the synthesized one."""
    tested_by: str | None = None
    """``tests/<file>.py::<test>`` that asserts it by intent (it must exist and name the attribute)."""


@dataclass(frozen=True)
class NotHardening:
    where: str
    path: str
    why: str


def _all(check: Callable[[Any], bool]) -> Callable[[list[Any]], bool]:
    return lambda values: bool(values) and all(check(v) for v in values)


def _includes(*required: Any) -> Callable[[list[Any]], bool]:
    return lambda values: set(required) <= set(values)


def _reference(kind: str) -> Callable[[list[Any]], bool]:
    return _all(lambda v: f"${{{kind}." in str(v))


def _leaf_request(value: Any) -> bool:
    """The CertificateRequest a Ray pod sends: not a CA, no signing usages, the short leaf duration."""
    spec = json.loads(value)["spec"]
    return spec["isCA"] is False and not {"cert sign", "crl sign"} & set(spec["usages"]) and spec["duration"] == "2160h"


_NOT_ROOT = _all(lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0)
_POD = "kubernetes_manifest:*"
_SC = "*securityContext"
_CLUSTER, _POOL = "google_container_cluster", "google_container_node_pool"
_NODES = "google_container_*"
_ADMISSION = "tests/kuberay/test_admission_policies.py::test_each_ray_cluster_violation_is_refused_with_its_message"
_NAMESPACE_RULES = "tests/kuberay/test_admission_platform.py::test_each_tenant_namespace_carries_its_own_rules"
_RBAC = "tests/hardening/test_hardening.py::test_tenant_roles_grant_least_privilege"
_ISOLATION = "tests/hardening/test_hardening.py::test_network_policies_never_open_a_tenant_to_every_namespace"
_TOKENS = "tests/hardening/test_hardening.py::test_projected_tokens_expire_in_ten_minutes_or_in_an_hour"
_EDGE = "tests/exposure/test_edge_hardening.py"

HARDENING: tuple[Hardening, ...] = (
    # --- nodes ---------------------------------------------------------------------------------
    Hardening(_NODES, "node_config.metadata.disable-legacy-endpoints", "legacy metadata endpoints stay off",
              expect="true"),
    Hardening(_NODES, "node_config.image_type", "Container-Optimized OS (CIS GKE 5.5.1)", expect="COS_CONTAINERD"),
    Hardening(_POOL, "management.auto_repair", "unhealthy nodes are replaced (CIS GKE 5.5.2)", expect=True),
    Hardening(_POOL, "management.auto_upgrade", "nodes get security patches (CIS GKE 5.5.3)", expect=True),
    Hardening(_CLUSTER, "node_pool_defaults.node_config_defaults.insecure_kubelet_readonly_port_enabled",
              "auto-provisioned nodes close the kubelet read-only port too", expect="FALSE"),
    # --- the cluster ---------------------------------------------------------------------------
    Hardening(_CLUSTER, "node_config.service_account", "nodes run as the dedicated account", control="RF004",
              weaker="123-compute@developer.gserviceaccount.com"),
    Hardening(_CLUSTER, "node_config.workload_metadata_config.mode", "pods cannot read node credentials",
              control="RF004", weaker="GCE_METADATA"),
    Hardening(_CLUSTER, "node_config.confidential_nodes.enabled", "node memory encrypted in use", control="RF003",
              weaker=False),
    Hardening(_CLUSTER, "anonymous_authentication_config.mode", "anonymous requests reach health checks only",
              expect="LIMITED"),
    Hardening(_CLUSTER, "datapath_provider", "Dataplane V2 enforces the NetworkPolicies that isolate tenants",
              expect="ADVANCED_DATAPATH"),
    Hardening(_CLUSTER, "in_transit_encryption_config", "traffic between nodes is encrypted",
              expect="IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT"),
    Hardening(_CLUSTER, "enable_intranode_visibility", "pod-to-pod traffic on one node reaches flow logs",
              expect=True),
    Hardening(_CLUSTER, "private_cluster_config.master_global_access_config.enabled",
              "the control plane's private endpoint is reachable from its own region only", expect=False),
    Hardening(_CLUSTER, "rbac_binding_config.enable_insecure_binding_system_*",
              "no RBAC binding may grant system:authenticated or system:unauthenticated", expect=False),
    Hardening(_CLUSTER, "security_posture_config.mode", "GKE security posture scanning on", expect="BASIC"),
    Hardening(_CLUSTER, "security_posture_config.vulnerability_mode",
              "GKE Standard's workload scanning is gone (July 2025): images are scanned in Artifact Registry, or "
              "GKE Enterprise scans",
              expect=_all(lambda v: v in ("VULNERABILITY_DISABLED", "VULNERABILITY_ENTERPRISE"))),
    # --- network -------------------------------------------------------------------------------
    Hardening("google_compute_firewall", "deny[].protocol", "a deny rule denies everything", expect="all"),
    Hardening("google_dns_policy", "enable_logging", "every DNS query from the VPC is logged", expect=True),
    Hardening("google_dns_policy", "enable_inbound_forwarding", "no inbound DNS forwarding into the VPC",
              expect=False),
    Hardening("google_dns_managed_zone", "dnssec_config.state", "public zones are signed", expect="on"),
    Hardening("google_dns_managed_zone", "dnssec_config.non_existence", "signed denial without zone walking",
              expect="nsec3"),
    Hardening("google_access_context_manager_service_perimeter", "*.vpc_accessible_services.enable_restriction",
              "the VPC reaches only the perimeter's services", expect=True),
    Hardening("google_access_context_manager_service_perimeter", "*.vpc_accessible_services.allowed_services[]",
              "the VPC reaches only the perimeter's services", expect=_all(lambda v: v == "RESTRICTED-SERVICES")),
    Hardening("google_access_context_manager_service_perimeter", "*.restricted_services[]",
              "the data services are inside the perimeter",
              expect=_includes("container.googleapis.com", "storage.googleapis.com", "cloudkms.googleapis.com",
                               "artifactregistry.googleapis.com", "secretmanager.googleapis.com")),
    Hardening("google_access_context_manager_service_perimeter", "perimeter_type", "a regular perimeter, not a bridge",
              expect="PERIMETER_TYPE_REGULAR"),
    Hardening("google_access_context_manager_service_perimeter", "*.resources[]",
              "the perimeter holds the cluster project; an ingress rule's '*' is every resource inside it",
              expect=_all(lambda v: v.startswith("projects/") or v == "*")),
    Hardening("google_compute_network_firewall_policy_rule", "enable_logging", "every egress decision is logged",
              expect=True),
    Hardening("google_logging_project_bucket_config", "lifecycle.prevent_destroy",
              "the locked audit log bucket is never destroyed by an apply", expect=True),
    Hardening("google_project_iam_audit_config", "audit_log_config[].log_type",
              "data access to the cluster, the keys, IAP and the buckets is audited",
              expect=_includes("ADMIN_READ", "DATA_READ", "DATA_WRITE")),
    # --- storage, keys, registries -------------------------------------------------------------
    Hardening("google_storage_bucket", "force_destroy", "a bucket with objects is never deleted by an apply",
              expect=False),
    Hardening("google_storage_bucket", "versioning.enabled", "overwritten objects can be recovered", expect=True),
    Hardening("google_storage_bucket", "soft_delete_policy.retention_duration_seconds",
              "deleted objects are kept 30 days", expect=2592000),
    Hardening("google_artifact_registry_repository", "docker_config.immutable_tags",
              "a mirrored tag cannot be overwritten", expect=True),
    Hardening("google_artifact_registry_repository", "vulnerability_scanning_config.enablement_config",
              "mirrored images are scanned", expect="INHERITED"),
    Hardening("google_redis_instance", "authorized_network", "Redis is reachable from the VPC only",
              expect=_all(lambda v: "cross-stack-reference" in v)),
    Hardening("google_redis_instance", "connect_mode", "Redis over private services access",
              expect="PRIVATE_SERVICE_ACCESS"),
    Hardening("helm_release", "repository_password", "the registry token is a reference, never a literal",
              control="RF015", weaker="hunter2"),
    # --- exposure ------------------------------------------------------------------------------
    Hardening("google_compute_security_policy", "rule[].action", "every client is throttled or denied",
              expect=_all(lambda v: v in ("throttle", "deny(403)"))),
    Hardening("google_compute_security_policy", "rule[].preview", "Cloud Armor rules are enforced, not previewed",
              expect=False),
    Hardening("google_compute_security_policy", "rule[].match.config.src_ip_ranges[]",
              "Cloud Armor admits the allow-listed ranges only", control="RF028", weaker="0.0.0.0/0"),
    Hardening("google_compute_security_policy", "rule[].match.expr.expression",
              "the WAF rule for Log4j JNDI lookups (CVE-2021-44228)",
              expect=["evaluatePreconfiguredWaf('cve-canary')"]),
    Hardening("google_compute_security_policy", "rule[].rate_limit_options.rate_limit_threshold.count",
              "clients are throttled", control="RF028", weaker=1_000_000),
    Hardening("google_compute_security_policy", "rule[].rate_limit_options.conform_action",
              "within the rate, the allow-listed client passes", expect="allow"),
    Hardening("google_compute_security_policy", "rule[].rate_limit_options.exceed_action",
              "beyond the rate, the client is refused", expect="deny(429)"),
    # The shipped environments' dashboards are behind the shared Gateway. Per-tenant Ingress (``api: ingress``,
    # in no shipped environment, so not listed here) keeps the same values in BackendConfig (logging),
    # FrontendConfig (redirectToHttps, sslPolicy) and the Ingress's managed-certificates annotation; the
    # ``ingress`` test environment and the dev-sandbox variant are asserted by test_edge_hardening.py::
    # test_ingress_dashboards_log_every_request_redirect_to_https_and_serve_managed_certificates.
    Hardening("kubernetes_manifest:GCPBackendPolicy", "manifest.spec.default.logging.enabled",
              "dashboard requests are logged", expect=True,
              tested_by=f"{_EDGE}::test_every_dashboard_request_is_logged_at_the_gateway"),
    Hardening("kubernetes_manifest:GCPBackendPolicy", "manifest.spec.default.logging.sampleRate",
              "every request is logged (the rate is in millionths)", expect=1000000,
              tested_by=f"{_EDGE}::test_every_dashboard_request_is_logged_at_the_gateway"),
    Hardening("kubernetes_manifest:GCPGatewayPolicy", "manifest.spec.default.sslPolicy",
              "the dashboards' TLS policy (TLS 1.2+, a strong profile) is applied to the Gateway",
              expect=_reference("google_compute_ssl_policy"),
              tested_by=f"{_EDGE}::test_the_gateway_serves_https_only_under_the_tls_1_2_ssl_policy"),
    Hardening("kubernetes_manifest:Gateway", "manifest.metadata.annotations.networking.gke.io/certmap",
              "the dashboards serve Google-managed certificates from the edge's certificate map",
              expect=_reference("google_certificate_manager_certificate_map"),
              tested_by=f"{_EDGE}::test_the_gateway_presents_google_managed_certificates_from_its_map"),
    Hardening("google_certificate_manager_certificate_map_entry", "certificates[]",
              "each host presents its own Google-managed certificate",
              expect=_reference("google_certificate_manager_certificate"),
              tested_by=f"{_EDGE}::test_the_gateway_presents_google_managed_certificates_from_its_map"),
    Hardening("kubernetes_manifest:Gateway", "manifest.spec.listeners[].allowedRoutes.*",
              "only HTTPRoutes from tenant namespaces attach to the shared Gateway",
              tested_by=f"{_EDGE}::test_only_tenant_namespaces_attach_routes_to_the_gateway"),
    Hardening("kubernetes_manifest:Service", "manifest.spec.externalTrafficPolicy",
              "internal load balancers keep the client's address for source ranges and logs", expect="Local"),
    Hardening("google_iap_web_iam_member", "condition.expression", "a group reaches its own dashboard only",
              expect=_all(lambda v: v.startswith('request.host == "'))),
    Hardening("kubernetes_manifest:Certificate", "manifest.spec.privateKey.algorithm", "Ray's CA keys are ECDSA",
              expect="ECDSA"),
    Hardening("kubernetes_manifest:Certificate", "manifest.spec.privateKey.size",
              "P-256 issuing CAs under a P-384 root", expect=_all(lambda v: v in (256, 384))),
    Hardening("kubernetes_manifest:Certificate", "manifest.spec.privateKey.rotationPolicy",
              "a renewed issuing CA gets a new key; the root keeps its key (re-keyed through the trust bundle)",
              tested_by="tests/tenant/runtime/test_ray_tls.py::test_cert_manager_keeps_a_root_and_a_rotating_issuing_ca"),
    # --- pods ----------------------------------------------------------------------------------
    Hardening(_POD, f"{_SC}.allowPrivilegeEscalation", "no setuid escalation", control="RF012", weaker=True),
    Hardening(_POD, f"{_SC}.capabilities.drop[]", "every capability dropped", control="RF012", weaker="NET_RAW"),
    Hardening(_POD, f"{_SC}.privileged", "never privileged", control="RF012", weaker=True),
    Hardening(_POD, f"{_SC}.runAsNonRoot", "never root", control="RF012", weaker=False),
    Hardening(_POD, f"{_SC}.runAsUser", "never uid 0", control="RF012", weaker=0),
    Hardening(_POD, f"{_SC}.seccompProfile.type", "the runtime's seccomp profile", control="RF012",
              weaker="Unconfined"),
    Hardening(_POD, f"{_SC}.runAsGroup", "not the root group", expect=_NOT_ROOT),
    Hardening(_POD, f"{_SC}.fsGroup", "volumes owned by a non-root group", expect=_NOT_ROOT),
    Hardening(_POD, "*.image", "images pinned by version or digest", control="RF026", weaker="rayproject/ray:latest"),
    Hardening(_POD, "*spec.automountServiceAccountToken",
              "only the Ray head (its autoscaler talks to the API server) mounts a service account token",
              tested_by="tests/tenant/runtime/test_ray_cluster.py::test_identity_and_token_mounts"),
    Hardening("kubernetes_manifest:ServiceAccount", "manifest.automountServiceAccountToken",
              "service accounts do not hand out tokens", expect=False),
    Hardening(_POD, "*.serviceAccountName", "pods run as their own service account, never default",
              expect=_all(lambda v: v != "default")),
    Hardening(_POD, "*.volumeMounts[].readOnly", "mounted keys and certificates are read-only", expect=True),
    Hardening(_POD, "*.csi.readOnly", "the Secret Manager volume is read-only", expect=True),
    Hardening(_POD, "*.env.CERTIFICATE_REQUEST.value", "a pod requests a short-lived leaf that can sign nothing",
              expect=_all(_leaf_request)),
    Hardening(_POD, "*.serviceAccountToken.expirationSeconds",
              "the token that requests a leaf expires in ten minutes, the autoscaler's in an hour; no other",
              expect=_all(lambda v: v in (600, 3600)), tested_by=_TOKENS),
    Hardening(_POD, "*.env.RAY_USE_TLS.value", "Ray's gRPC uses TLS", expect="1"),
    Hardening(_POD, "*.env.RAY_AUTH_MODE.value", "the plain runtime requires Ray's token", expect="token"),
    Hardening(_POD, "*.env.RAY_REDIS_ADDRESS.value", "GCS reaches Redis over TLS",
              expect=_all(lambda v: v.startswith("rediss://"))),
    Hardening("kubernetes_manifest:Secret", "manifest.data.*", "Secret data are references, never literals",
              control="RF015", weaker="aHVudGVyMg=="),
    # --- tenancy -------------------------------------------------------------------------------
    Hardening("kubernetes_manifest:Namespace", "manifest.metadata.labels.pod-security.kubernetes.io/*-version",
              "the Pod Security version is pinned", control="RF010", weaker=""),
    Hardening("kubernetes_manifest:ResourceQuota", "manifest.spec.hard.services.nodeports",
              "no tenant exposes a port on the nodes", expect="0"),
    Hardening("kubernetes_manifest:ResourceQuota", "manifest.spec.hard.services.loadbalancers",
              "at most the one internal load balancer rayfort makes", expect=_all(lambda v: v in ("0", "1"))),
    Hardening("kubernetes_manifest:Role", "manifest.rules[].*", "least privilege: no wildcard, no escalation, no "
              "exec, a tenant's own secret only", tested_by=_RBAC),
    Hardening("kubernetes_manifest:RoleBinding", "manifest.roleRef.kind", "roles bound in the namespace only",
              expect="Role"),
    Hardening("kubernetes_manifest:NetworkPolicy", "manifest.spec.*",
              "tenant isolation: judged by network-config-analyzer (make judge) and by intent here",
              tested_by=_ISOLATION),
    Hardening("kubernetes_manifest:ValidatingAdmissionPolicy", "manifest.spec.failurePolicy",
              "an admission error refuses, never admits", expect="Fail"),
    Hardening("kubernetes_manifest:ValidatingAdmissionPolicy", "manifest.spec.*",
              "each policy refuses every violation (CEL harness)", tested_by=_ADMISSION),
    Hardening("kubernetes_manifest:ValidatingAdmissionPolicyBinding", "manifest.spec.validationActions[]",
              "violations are denied, not only warned about", expect=["Deny"]),
    Hardening("kubernetes_manifest:ValidatingAdmissionPolicyBinding",
              "manifest.spec.matchResources.namespaceSelector.matchExpressions[].key",
              "every tenant namespace is bound", expect=["rayfort.dev/tenant"]),
    Hardening("kubernetes_manifest:ValidatingAdmissionPolicyBinding",
              "manifest.spec.matchResources.namespaceSelector.matchExpressions[].operator",
              "every tenant namespace is bound", expect=["Exists"]),
    Hardening("kubernetes_manifest:Namespace", "manifest.metadata.annotations.rayfort.dev/sandboxed",
              "the Ray policy holds an untrusted_code tenant's own pod templates to gVisor",
              tested_by=_NAMESPACE_RULES),
    Hardening("kubernetes_manifest:Namespace",
              "manifest.metadata.annotations.rayfort.dev/unauthenticated-ray-clusters",
              "the token-auth waiver names the tenant's platform cluster alone, only where the environment waived it",
              tested_by=_NAMESPACE_RULES),
)  # fmt: skip

NOT_HARDENING: tuple[NotHardening, ...] = (
    NotHardening(_NODES, "node_config.confidential_nodes.confidential_instance_type",
                 "the environment picks the confidential technology; that it is on is RF003's"),
    NotHardening(_NODES, "node_config.oauth_scopes[]",
                 "the dedicated node account's IAM roles decide access (Google's recommendation), not scopes"),
    NotHardening(_CLUSTER, "authenticator_groups_config.security_group", "the environment's RBAC group"),
    NotHardening(_CLUSTER, "network_policy.*", "Dataplane V2 enforces NetworkPolicy; the Calico add-on stays off"),
    NotHardening(_CLUSTER, "private_cluster_config.master_ipv4_cidr_block", "addressing"),
    NotHardening(_CLUSTER, "secret_manager_config.enabled", "an add-on that mounts secrets; off breaks pods"),
    NotHardening(_CLUSTER, "maintenance_policy.*", "when upgrades run"),
    NotHardening("google_compute_firewall", "allow[].*", "what a rule opens: RF017 ranks ranges and arrival"),
    NotHardening("google_compute_firewall", "direction", "the rule's direction: RF017 ranks ingress ranges"),
    NotHardening("google_compute_subnetwork", "*ip_cidr_range", "addressing"),
    NotHardening("google_dns_managed_zone", "dnssec_config.default_key_specs[].*",
                 "Cloud DNS's default signing keys, as the API reports them"),
    NotHardening("google_dns_managed_zone", "*visibility*", "which zone is public is its purpose"),
    NotHardening("google_*_iam_member", "*", "grants from the environment and each construct's grant_*; RF014 "
                 "refuses resource roles on the project"),
    NotHardening("google_secret_manager_secret", "secret_id", "a name"),
    NotHardening("google_compute_global_address", "ip_version", "addressing"),
    NotHardening("google_redis_instance", "redis_version", "the engine version"),
    NotHardening("google_storage_bucket", "lifecycle_rule[].*", "retention housekeeping"),
    NotHardening("google_access_context_manager_service_perimeter", "use_explicit_dry_run_spec",
                 "dry-run or enforced is the environment's choice; RF021 refuses no perimeter"),
    NotHardening("google_access_context_manager_service_perimeter", "*.access_levels[]", "references"),
    NotHardening("google_compute_security_policy", "rule[].priority", "ordering"),
    NotHardening("google_compute_security_policy", "rule[].rate_limit_options.*",
                 "the window and key of the rate: RF028 ranks the resulting rate"),
    NotHardening("google_compute_security_policy", "rule[].match.versioned_expr", "the match syntax"),
    NotHardening("helm_release", "version", "RF026 ranks a chart version's presence"),
    NotHardening("kubernetes_manifest:RayCluster", "manifest.spec.rayVersion",
                 "the Ray version; the environment requires one with token auth"),
    NotHardening(_POD, "*.imagePullPolicy", "images are pinned (RF026): the pull policy changes nothing"),
    NotHardening(_POD, "*.env.RAY_TLS_*", "file paths of the mounted certificates"),
    NotHardening(_POD, "*.env.RAY_REDIS_CA_CERT*", "a file path"),
    NotHardening(_POD, "*.env.RAY_AUTH_TOKEN_PATH*", "a file path"),
    NotHardening(_POD, "*.env.REDIS_PASSWORD.*", "a reference to the Secret"),
    NotHardening(_POD, "*secretKeyRef.*", "references to Secrets"),
    NotHardening(_POD, "*.env.TLS_DIR.value", "a file path"),
    NotHardening(_POD, "*.serviceAccountToken.path", "a file name"),
    NotHardening(_POD, "*.csi.volumeAttributes.secretProviderClass", "a reference"),
    NotHardening(_POD, "*.configMap.defaultMode", "public certificates"),
    NotHardening("kubernetes_manifest:SecretProviderClass", "manifest.spec.parameters.secrets",
                 "which Secret Manager secrets are mounted"),
    NotHardening("kubernetes_manifest:Certificate", "manifest.spec.secretName", "a name"),
    NotHardening("kubernetes_manifest:Issuer", "manifest.spec.ca.secretName", "a reference to the CA's Secret"),
    NotHardening("kubernetes_manifest:RoleBinding", "manifest.subjects[].*", "the environment's groups"),
    NotHardening("kubernetes_manifest:RoleBinding", "manifest.roleRef.apiGroup", "the RBAC API group"),
    NotHardening("kubernetes_manifest:RoleBinding", "manifest.roleRef.name", "which of the tenant's roles"),
    NotHardening("kubernetes_manifest:PodDisruptionBudget", "manifest.spec.unhealthyPodEvictionPolicy", "availability"),
)  # fmt: skip
