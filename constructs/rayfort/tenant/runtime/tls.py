"""TLS for Ray's gRPC between a tenant's pods: who holds the CA key, how each pod gets its leaf, how trust outlives a roll.

Certificate sources (``tenants[].tls``):

* ``cert-manager`` (default): cert-manager keeps a two-level PKI in the tenant namespace: a root CA
  (``<name>-ray-root-ca``, ten years, renewed with the same key) signs an issuing CA (``<name>-ray-ca``,
  one year, a new key every eight months), which signs the pods' leaves.
* ``secret-manager``: the issuing CA comes from the organization's PKI. A platform engineer keeps it
  in Secret Manager and imports it, with its root, into the namespace Secret ``<name>-ray-ca`` (README,
  "Ray CA custody and rotation"); leaves are issued exactly as with ``cert-manager``.
* ``kuberay``: the operator's ``tlsOptions`` (RayCluster only): it makes a CA per cluster and one
  Certificate per node type whose IP SANs it keeps current; the CA key stays in a Secret no pod mounts.

**Custody.** No Ray pod holds a CA private key. With ``cert-manager`` and ``secret-manager`` each
pod's init container makes its own key in a memory-backed volume, puts its pod IP and names in a
CSR and asks for a leaf through a cert-manager ``CertificateRequest`` (90 days) against the tenant's
issuing CA; only cert-manager's controller reads the CA Secrets. The request goes out with a
projected service-account token that only the init container mounts (the Role allows nothing but
creating and reading CertificateRequests), so the Ray container, which runs tenant code, has
neither a CA key nor (on workers) a credential to ask for more leaves. The judge ``ca custody``
fails any pod template that mounts a CA's Secret.

**Why a CertificateRequest per pod.** Ray dials every node by its pod IP and gRPC checks the
certificate against that address, so each leaf must carry its pod's IP, which exists only once
the pod runs. The cert-manager CSI driver (csi.cert-manager.io) issues while the volume is mounted,
before the pod has an IP, so it cannot (cert-manager/csi-driver#17); it would also add a privileged
DaemonSet (a ``privileged`` Pod Security namespace, refused on Autopilot) and three more images for
the air-gapped mirror. A Certificate per group has fixed SANs, so it cannot name pods that come and
go; KubeRay's ``tlsOptions`` solves that with a controller that re-issues one shared group
certificate on every scale event (new pods wait for the refreshed Secret), is alpha, and exists only
for RayClusters, so it stays the opt-in ``kuberay`` source. A CertificateRequest is what the CSI
driver itself makes; made from the pod it names the IP, works for both runtimes and needs nothing
beyond cert-manager.

**Trust across rolls.** Pods trust the root, never the issuing CA (``RAY_TLS_CA_CERT`` holds the
root; ``RAY_TLS_SERVER_CERT`` holds the leaf and its issuing CA, which gRPC sends as the chain). The
issuing CA's yearly new key therefore changes nothing a pod trusts: a pod issued before the roll and
one issued after chain to the same root. The old issuing CA stays valid ``ISSUING_CA_OVERLAP`` after
its successor takes over, longer than any leaf it signed lives. The root is renewed with its key, so
old and new root certificates verify the same chains. A deliberate re-key of the root (or a move to
another organization root) goes through the trust bundle: the platform writes the old and the new
root into the ConfigMap ``<name>-ray-trust``, and each pod appends it to what it trusts (Ray and
gRPC accept a file of several CA certificates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rayfort.config.tenant import Resources, TenantSettings
from rayfort.tenant.runtime.inputs import RayRuntimeInputs
from rayfort.tenant.runtime.pods import (
    TLS_DIR,
    NodeType,
    common_labels,
    container_security_context,
    head_service_name,
    resource_requirements,
)

CERT_MANAGER_API = "cert-manager.io/v1"
CERT_MANAGER_GROUP = "cert-manager.io"
PER_POD_SOURCES = frozenset({"cert-manager", "secret-manager"})
"""TLS sources whose pods ask cert-manager for their own leaf (and so reach the API server)."""
ROOT_CA_DURATION = "87600h"
"""Ten years; renewed a year ahead with the same key, so every chain it signed keeps verifying."""
ROOT_CA_RENEW_BEFORE = "8760h"
ISSUING_CA_DURATION = "8760h"
"""One year; renewed with a new key ``ISSUING_CA_OVERLAP`` before it expires."""
ISSUING_CA_OVERLAP = "2880h"
"""120 days: how long the old issuing CA stays valid after its successor takes over; longer than a leaf."""
LEAF_DURATION = "2160h"
"""90 days; Ray reads its certificate once, so a pod older than this must be restarted (README)."""
REQUEST_ENV = "CERTIFICATE_REQUEST"
"""The init container's variable holding the CertificateRequest it sends, but for the pod's name, uid and CSR."""
API_DIR = "/etc/ray/tls-api"
TRUST_DIR = "/etc/ray/tls-trust"
_CERT_INIT_RESOURCES = Resources(cpu="100m", memory="128Mi")
_TOKEN_SECONDS = 600
"""The shortest life Kubernetes gives a projected token; the init container needs it for seconds."""

# Runs in the Ray image (python3 and openssl). Makes the pod's key, asks for a leaf naming the pod IP
# (and, on the head, the head Service), waits for cert-manager, writes leaf + chain and what to trust.
_REQUEST_LEAF = r"""
import base64, json, os, ssl, subprocess, sys, time, urllib.request

env = os.environ
out, api, extra = env["TLS_DIR"], env["API_DIR"], env["TRUST_DIR"] + "/ca.crt"
namespace, pod = env["POD_NAMESPACE"], env["POD_NAME"]
sans = ["DNS:localhost", "IP:127.0.0.1", "IP:" + env["POD_IP"]]
if env.get("HEAD_SERVICE"):
    service = env["HEAD_SERVICE"] + "." + namespace + ".svc"
    sans += ["DNS:" + env["HEAD_SERVICE"], "DNS:" + service, "DNS:" + service + ".cluster.local"]
os.umask(0o077)
subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", out + "/tls.key"], check=True)
csr = subprocess.run(
    ["openssl", "req", "-new", "-key", out + "/tls.key", "-subj", "/CN=" + pod, "-addext", "subjectAltName=" + ",".join(sans)],
    check=True, capture_output=True,
).stdout
token = open(api + "/token").read().strip()
context = ssl.create_default_context(cafile=api + "/ca.crt")
base = "https://%s:%s/apis/cert-manager.io/v1/namespaces/%s/certificaterequests" % (
    env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"], namespace)


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), context=context, timeout=10) as r:
        return json.load(r)


# What only the pod knows; the rest is rayfort's (REQUEST_ENV), which the schema judge checks.
request = json.loads(env["CERTIFICATE_REQUEST"])
request["metadata"].update(
    generateName=pod + "-",
    ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": pod, "uid": env["POD_UID"]}],
)
request["spec"]["request"] = base64.b64encode(csr).decode()
name = call("POST", base, request)["metadata"]["name"]
deadline = time.monotonic() + 300
while True:
    status = call("GET", base + "/" + name).get("status", {})
    if status.get("certificate") and status.get("ca"):
        break
    for c in status.get("conditions", []):
        refused = c.get("status") == "True" and c.get("type") in ("Denied", "InvalidRequest")
        if refused or (c.get("type"), c.get("reason")) == ("Ready", "Failed"):
            sys.exit("CertificateRequest %s refused: %s" % (name, c.get("message")))
    if time.monotonic() > deadline:
        sys.exit("CertificateRequest %s not issued within 300 s" % name)
    time.sleep(2)
trust = base64.b64decode(status["ca"])
if os.path.exists(extra):
    trust += b"\n" + open(extra, "rb").read()
open(out + "/tls.crt", "wb").write(base64.b64decode(status["certificate"]))
open(out + "/ca.crt", "wb").write(trust)
os.chmod(out + "/tls.key", 0o400)
print("issued by cert-manager: CertificateRequest " + name, flush=True)
"""


@dataclass(frozen=True)
class RayTls:
    """What one TLS source adds to the runtime: objects, RayCluster fields and pod parts."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    """Objects to apply beside the pods (Issuers, Certificates, the Role pods request leaves with)."""
    cluster_options: dict[str, Any] = field(default_factory=dict)
    """RayCluster spec fields (``tlsOptions``)."""
    head_init_containers: list[dict[str, Any]] = field(default_factory=list)
    """Run before Ray in the head pod."""
    worker_init_containers: list[dict[str, Any]] = field(default_factory=list)
    """Run before Ray in every worker pod."""
    volumes: list[dict[str, Any]] = field(default_factory=list)
    """Pod volumes."""
    env: list[dict[str, Any]] = field(default_factory=list)
    """Ray container environment."""
    volume_mounts: list[dict[str, Any]] = field(default_factory=list)
    """Ray container mounts."""

    def init_containers(self, node_type: NodeType) -> list[dict[str, Any]]:
        """The init containers of one node type."""
        return self.head_init_containers if node_type == "head" else self.worker_init_containers


def issuing_ca_name(name: str) -> str:
    """The issuing CA: its Certificate (``cert-manager``), the Secret holding it and the Issuer that signs leaves."""
    return f"{name}-ray-ca"


def root_ca_name(name: str) -> str:
    """The root CA's Certificate and Secret (``cert-manager``); the Issuer on it is ``<name>-ray-root``."""
    return f"{name}-ray-root-ca"


def trust_config_map_name(name: str) -> str:
    """Extra CA certificates every new pod trusts besides the root, while a root is re-keyed (README)."""
    return f"{name}-ray-trust"


def requester_role_name(name: str) -> str:
    """Role (and RoleBinding) that lets the Ray pods' init containers request their leaves."""
    return f"{name}-ray-certificate-requests"


def issues_per_pod(tenant: TenantSettings) -> bool:
    """Whether the tenant's pods request their own leaves (and so reach the API server while starting)."""
    return tenant.tls in PER_POD_SOURCES


def ray_tls(inputs: RayRuntimeInputs) -> RayTls:
    """The TLS parts for the tenant's chosen certificate source."""
    if inputs.tenant.tls == "kuberay":
        return RayTls(cluster_options={"tlsOptions": {"enabled": True}})
    pki = _cert_manager_pki(inputs) if inputs.tenant.tls == "cert-manager" else []
    return _per_pod_leaves(
        inputs, [*pki, _ca_issuer(inputs, issuing_ca_name(inputs.name), issuing_ca_name(inputs.name))]
    )


def tls_env() -> list[dict[str, Any]]:
    """Ray's TLS switches, pointing at the files the init container writes."""
    return [
        {"name": "RAY_USE_TLS", "value": "1"},
        {"name": "RAY_TLS_SERVER_CERT", "value": f"{TLS_DIR}/tls.crt"},
        {"name": "RAY_TLS_SERVER_KEY", "value": f"{TLS_DIR}/tls.key"},
        {"name": "RAY_TLS_CA_CERT", "value": f"{TLS_DIR}/ca.crt"},
    ]


def _metadata(inputs: RayRuntimeInputs, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": inputs.target_namespace, "labels": common_labels(inputs.name)}


def _issuer_ref(name: str) -> dict[str, str]:
    return {"group": CERT_MANAGER_GROUP, "kind": "Issuer", "name": name}


def _ca_issuer(inputs: RayRuntimeInputs, name: str, secret: str) -> dict[str, Any]:
    """An Issuer that signs with the CA in ``secret``; only cert-manager's controller reads it."""
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Issuer",
        "metadata": _metadata(inputs, name),
        "spec": {"ca": {"secretName": secret}},
    }


def _cert_manager_pki(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """Self-signed bootstrap, root CA, root Issuer, issuing CA; the leaf Issuer follows."""
    name = inputs.name
    bootstrap = f"{name}-ray-ca-bootstrap"
    root_issuer = f"{name}-ray-root"
    issuer = {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Issuer",
        "metadata": _metadata(inputs, bootstrap),
        "spec": {"selfSigned": {}},
    }
    root = {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": _metadata(inputs, root_ca_name(name)),
        "spec": {
            "isCA": True,
            "commonName": f"{name} Ray root CA",
            "secretName": root_ca_name(name),
            "duration": ROOT_CA_DURATION,
            "renewBefore": ROOT_CA_RENEW_BEFORE,
            # Renewal re-certifies the same key: chains to the old root certificate verify with the new one.
            "privateKey": {"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Never"},
            "usages": ["cert sign", "crl sign"],
            "issuerRef": _issuer_ref(bootstrap),
        },
    }
    issuing = {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": _metadata(inputs, issuing_ca_name(name)),
        "spec": {
            "isCA": True,
            "commonName": f"{name} Ray issuing CA",
            "secretName": issuing_ca_name(name),
            "duration": ISSUING_CA_DURATION,
            "renewBefore": ISSUING_CA_OVERLAP,
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["cert sign", "crl sign"],
            "issuerRef": _issuer_ref(root_issuer),
        },
    }
    return [issuer, root, _ca_issuer(inputs, root_issuer, root_ca_name(name)), issuing]


def _requester_rbac(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """Create and read CertificateRequests in the namespace: what the init containers need, nothing else."""
    name = requester_role_name(inputs.name)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _metadata(inputs, name),
        "rules": [
            {"apiGroups": [CERT_MANAGER_GROUP], "resources": ["certificaterequests"], "verbs": ["create", "get"]}
        ],
    }
    accounts = dict.fromkeys((inputs.head_service_account, inputs.worker_service_account))
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(inputs, name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [
            {"kind": "ServiceAccount", "name": account, "namespace": inputs.target_namespace} for account in accounts
        ],
    }
    return [role, binding]


def _per_pod_leaves(inputs: RayRuntimeInputs, pki: list[dict[str, Any]]) -> RayTls:
    leaf_volume = {"name": "ray-tls", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
    # Mounted by the init container only: the Ray container never sees the token.
    api_volume = {
        "name": "ray-tls-api",
        "projected": {
            "defaultMode": 0o440,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": _TOKEN_SECONDS}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            ],
        },
    }
    trust_volume = {
        "name": "ray-tls-trust",
        "configMap": {"name": trust_config_map_name(inputs.name), "optional": True, "defaultMode": 0o444},
    }
    leaf_mount = {"name": "ray-tls", "mountPath": TLS_DIR}
    return RayTls(
        objects=[*pki, *_requester_rbac(inputs)],
        head_init_containers=[_request_leaf(inputs, "head", leaf_mount)],
        worker_init_containers=[_request_leaf(inputs, "worker", leaf_mount)],
        volumes=[leaf_volume, api_volume, trust_volume],
        env=tls_env(),
        volume_mounts=[{**leaf_mount, "readOnly": True}],
    )


def leaf_request(inputs: RayRuntimeInputs) -> dict[str, Any]:
    """The CertificateRequest a pod sends for its leaf; the pod adds its name, owner and CSR."""
    return {
        "apiVersion": CERT_MANAGER_API,
        "kind": "CertificateRequest",
        "metadata": {"labels": common_labels(inputs.name)},
        "spec": {
            "issuerRef": _issuer_ref(issuing_ca_name(inputs.name)),
            "duration": LEAF_DURATION,
            "isCA": False,
            "usages": ["digital signature", "server auth", "client auth"],
        },
    }


def _request_leaf(inputs: RayRuntimeInputs, node_type: NodeType, leaf_mount: dict[str, Any]) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}
        for name, path in (
            ("POD_IP", "status.podIP"),
            ("POD_NAME", "metadata.name"),
            ("POD_NAMESPACE", "metadata.namespace"),
            ("POD_UID", "metadata.uid"),
        )
    ]
    env += [
        {"name": REQUEST_ENV, "value": json.dumps(leaf_request(inputs), sort_keys=True, separators=(",", ":"))},
        {"name": "TLS_DIR", "value": TLS_DIR},
        {"name": "API_DIR", "value": API_DIR},
        {"name": "TRUST_DIR", "value": TRUST_DIR},
    ]
    if node_type == "head":
        # Workers dial the head by its Service; only the head's leaf names it.
        env.append({"name": "HEAD_SERVICE", "value": head_service_name(inputs.name)})
    return {
        "name": "ray-tls-cert",
        "image": inputs.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-c", _REQUEST_LEAF],
        "env": env,
        "securityContext": container_security_context(),
        "resources": resource_requirements(_CERT_INIT_RESOURCES),
        "volumeMounts": [
            leaf_mount,
            {"name": "ray-tls-api", "mountPath": API_DIR, "readOnly": True},
            {"name": "ray-tls-trust", "mountPath": TRUST_DIR, "readOnly": True},
        ],
    }
