"""TLS for Ray's gRPC between the tenant's pods, from one of three certificate sources.

* ``kuberay``: the operator's own ``tlsOptions`` (it asks cert-manager for the certificates and
  wires the pods); RayCluster only.
* ``cert-manager``: cert-manager generates a tenant CA inside the cluster; each pod's init
  container signs its own leaf certificate for its pod IP.
* ``secret-manager``: the same, with a tenant CA kept in Secret Manager and mounted through the
  GKE Secret Manager add-on.

Every private key is made in the cluster (or added to Secret Manager by a person), never in
Terraform, so none is in state. Leaf keys live in a memory-backed volume that only the pod sees,
and only the init container mounts the CA key: the Ray container, which runs tenant code, gets
the CA certificate and its own leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rayfort.config.tenant import Resources
from rayfort.tenant.ray_pods import (
    TLS_DIR,
    common_labels,
    container_security_context,
    head_service_name,
    resource_requirements,
    secret_provider_class,
    secret_store_volume,
)
from rayfort.tenant.ray_runtime import RayRuntimeInputs, tls_ca_secret_ids

CA_DIR = "/etc/ray/tls-ca"
CERT_MANAGER_API = "cert-manager.io/v1"
_CERT_INIT_RESOURCES = Resources(cpu="100m", memory="128Mi")
# Signs this pod's leaf with the tenant CA, for every name a peer may dial: the pod IP, the head
# Service, localhost. The serial is random, so the read-only CA mount needs no serial file.
_SIGN_LEAF = r"""set -eu
out=TLS_DIR
openssl ecparam -name prime256v1 -genkey -noout -out "$out/tls.key"
openssl req -new -key "$out/tls.key" -subj "/CN=$POD_NAME" -out "$out/tls.csr"
svc="$HEAD_SERVICE.$POD_NAMESPACE.svc"
printf 'subjectAltName=DNS:localhost,DNS:%s,DNS:%s,DNS:%s.cluster.local,IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth,clientAuth\n' \
  "$HEAD_SERVICE" "$svc" "$svc" "$POD_IP" > "$out/leaf.ext"
openssl x509 -req -in "$out/tls.csr" -CA CA_DIR/tls.crt -CAkey CA_DIR/tls.key \
  -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 -extfile "$out/leaf.ext" -out "$out/tls.crt"
cp CA_DIR/tls.crt "$out/ca.crt"
rm "$out/tls.csr" "$out/leaf.ext"
chmod 0400 "$out/tls.key"
""".replace("TLS_DIR", TLS_DIR).replace("CA_DIR", CA_DIR)


@dataclass(frozen=True)
class RayTls:
    """What one TLS source adds to the runtime: objects, RayCluster fields and pod parts."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    """Objects to apply beside the pods (Issuer, Certificate, SecretProviderClass)."""
    cluster_options: dict[str, Any] = field(default_factory=dict)
    """RayCluster spec fields (``tlsOptions``)."""
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    """Run before Ray in every pod."""
    volumes: list[dict[str, Any]] = field(default_factory=list)
    """Pod volumes."""
    env: list[dict[str, Any]] = field(default_factory=list)
    """Ray container environment."""
    volume_mounts: list[dict[str, Any]] = field(default_factory=list)
    """Ray container mounts."""


def ca_secret_name(name: str) -> str:
    """Secret cert-manager writes the tenant CA to."""
    return f"{name}-ray-ca"


def ray_tls(inputs: RayRuntimeInputs) -> RayTls:
    """The TLS parts for the tenant's chosen certificate source."""
    if inputs.tenant.tls == "kuberay":
        return RayTls(cluster_options={"tlsOptions": {"enabled": True}})
    if inputs.tenant.tls == "cert-manager":
        ca_volume = {"name": "ray-tls-ca", "secret": {"secretName": ca_secret_name(inputs.name), "defaultMode": 0o440}}
        return _self_signed_leaves(inputs, _cert_manager_ca(inputs), ca_volume)
    provider_class = f"{inputs.name}-ray-tls-ca"
    cert_id, key_id = tls_ca_secret_ids(inputs.tenant)
    provider = secret_provider_class(inputs, provider_class, [(cert_id, "tls.crt"), (key_id, "tls.key")])
    return _self_signed_leaves(inputs, [provider], secret_store_volume("ray-tls-ca", provider_class))


def tls_env() -> list[dict[str, Any]]:
    """Ray's TLS switches, pointing at the files the init container writes."""
    return [
        {"name": "RAY_USE_TLS", "value": "1"},
        {"name": "RAY_TLS_SERVER_CERT", "value": f"{TLS_DIR}/tls.crt"},
        {"name": "RAY_TLS_SERVER_KEY", "value": f"{TLS_DIR}/tls.key"},
        {"name": "RAY_TLS_CA_CERT", "value": f"{TLS_DIR}/ca.crt"},
    ]


def _cert_manager_ca(inputs: RayRuntimeInputs) -> list[dict[str, Any]]:
    """A namespaced self-signed Issuer that only bootstraps the tenant CA Certificate."""
    namespace, labels = inputs.target_namespace, common_labels(inputs.name)
    bootstrap = f"{inputs.name}-ray-ca-bootstrap"
    issuer = {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Issuer",
        "metadata": {"name": bootstrap, "namespace": namespace, "labels": labels},
        "spec": {"selfSigned": {}},
    }
    certificate = {
        "apiVersion": CERT_MANAGER_API,
        "kind": "Certificate",
        "metadata": {"name": ca_secret_name(inputs.name), "namespace": namespace, "labels": labels},
        "spec": {
            "isCA": True,
            "commonName": f"{inputs.name} Ray CA",
            "secretName": ca_secret_name(inputs.name),
            "duration": "8760h",
            "renewBefore": "720h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["cert sign", "crl sign"],
            "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": bootstrap},
        },
    }
    return [issuer, certificate]


def _self_signed_leaves(inputs: RayRuntimeInputs, objects: list[dict[str, Any]], ca_volume: dict[str, Any]) -> RayTls:
    leaf_volume = {"name": "ray-tls", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
    leaf_mount = {"name": "ray-tls", "mountPath": TLS_DIR}
    init = {
        "name": "ray-tls-cert",
        "image": inputs.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-c", _SIGN_LEAF],
        "env": [
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "HEAD_SERVICE", "value": head_service_name(inputs.name)},
        ],
        "securityContext": container_security_context(),
        "resources": resource_requirements(_CERT_INIT_RESOURCES),
        "volumeMounts": [leaf_mount, {"name": "ray-tls-ca", "mountPath": CA_DIR, "readOnly": True}],
    }
    return RayTls(
        objects=objects,
        init_containers=[init],
        volumes=[leaf_volume, ca_volume],
        env=tls_env(),
        volume_mounts=[{**leaf_mount, "readOnly": True}],
    )
