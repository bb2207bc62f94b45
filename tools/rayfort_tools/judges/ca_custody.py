"""Judge: no pod we emit mounts or reads a CA's private key.

A CA key is found by following what the stacks create, not by trusting names:

* the Secret of every cert-manager ``Certificate`` with ``isCA: true`` (its ``secretName``);
* the Secret every ``Issuer`` signs with (``spec.ca.secretName``), and every ``ClusterIssuer``'s, which
  cert-manager reads from its own namespace;
* any private key a ``SecretProviderClass`` delivers from Secret Manager (a file named ``*.key`` or
  ``*key.pem``): the judge cannot tell a CA key from a key shared between pods, and rayfort's pods make
  their own keys, so none may arrive from outside.

Every pod template is checked as its controller will run it (``rayfort.k8s.pod_security.pod_templates``:
Deployments, Jobs, DaemonSets, StatefulSets, the RayCluster head and worker groups, with init
containers and KubeRay's autoscaler sidecar). A pod fails if it declares a volume holding such a key
(a ``secret`` volume, a ``projected`` secret source, a Secret Manager CSI volume), since the kubelet
puts every declared volume on the node for the pod, or if a container reads one through ``env`` or
``envFrom``. Secrets are matched by namespace and name; a namespace that is a Terraform expression
matches every namespace, so an unresolved reference can only make the judge stricter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from rayfort.k8s.pod_security import pod_templates
from rayfort.kuberay.cert_manager import NAMESPACE as CERT_MANAGER_NAMESPACE

SECRETS_STORE_DRIVERS = frozenset({"secrets-store-gke.csi.k8s.io", "secrets-store.csi.k8s.io"})
_PRIVATE_KEY_FILE = re.compile(r"(^|[._-])key(\.pem)?$", re.IGNORECASE)
_CONTAINER_KINDS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class Finding:
    """One pod template that holds a CA key, and how."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class CaKeys:
    """Where the CA keys of one environment are: Secrets (namespace, name) and Secret Manager deliveries."""

    secrets: dict[tuple[str, str], str]
    """(namespace, Secret name) to the object that makes it a CA key."""
    provider_classes: dict[tuple[str, str], list[str]]
    """(namespace, SecretProviderClass name) to the private keys it delivers."""

    def secret(self, namespace: str, name: str) -> str | None:
        """Why the Secret holds a CA key, or None."""
        return _lookup(self.secrets, namespace, name)

    def provider_class(self, namespace: str, name: str) -> list[str] | None:
        return _lookup(self.provider_classes, namespace, name)


def _lookup(table: dict[tuple[str, str], Any], namespace: str, name: str) -> Any:
    for (ns, key), value in table.items():
        if key == name and (ns == namespace or "${" in ns or "${" in namespace):
            return value
    return None


def ca_keys(manifests: Iterable[dict[str, Any]]) -> CaKeys:
    """Every CA key the manifests create or name."""
    secrets: dict[tuple[str, str], str] = {}
    providers: dict[tuple[str, str], list[str]] = {}
    for obj in manifests:
        kind, spec = obj.get("kind"), obj.get("spec") or {}
        metadata = obj.get("metadata") or {}
        namespace, name = str(metadata.get("namespace", "")), str(metadata.get("name", ""))
        group = str(obj.get("apiVersion", "")).partition("/")[0]
        if group == "cert-manager.io" and kind == "Certificate" and spec.get("isCA") and spec.get("secretName"):
            _note(secrets, (namespace, spec["secretName"]), f"CA Certificate {name}")
        elif (
            group == "cert-manager.io"
            and kind in ("Issuer", "ClusterIssuer")
            and (spec.get("ca") or {}).get("secretName")
        ):
            where = namespace if kind == "Issuer" else CERT_MANAGER_NAMESPACE
            _note(secrets, (where, spec["ca"]["secretName"]), f"{kind} {name} signs with it")
        elif kind == "SecretProviderClass":
            keys = _delivered_keys(spec)
            if keys:
                providers[(namespace, name)] = keys
    return CaKeys(secrets, providers)


def _note(secrets: dict[tuple[str, str], str], key: tuple[str, str], why: str) -> None:
    secrets[key] = f"{secrets[key]}; {why}" if key in secrets else why


def _delivered_keys(spec: dict[str, Any]) -> list[str]:
    """Secret Manager secrets a SecretProviderClass writes to a file named like a private key."""
    listed = (spec.get("parameters") or {}).get("secrets")
    try:
        entries = yaml.safe_load(listed) if isinstance(listed, str) else listed
    except yaml.YAMLError:
        return ["(unreadable parameters.secrets)"]
    keys = []
    for entry in entries or []:
        path = str((entry or {}).get("path") or (entry or {}).get("fileName") or "")
        if _PRIVATE_KEY_FILE.search(path.rsplit("/", 1)[-1]):
            keys.append(f"{entry.get('resourceName')} as {path}")
    return keys


def pod_findings(obj: dict[str, Any], keys: CaKeys) -> Iterator[tuple[str, list[Finding]]]:
    """(template path, findings) for every pod template of one object; no findings means it passes."""
    namespace = str((obj.get("metadata") or {}).get("namespace", ""))
    label = f"{obj.get('kind')} {namespace}/{(obj.get('metadata') or {}).get('name')}"
    for path, spec in pod_templates(obj):
        found: list[Finding] = []
        mounts = _mounts(spec)
        for index, volume in enumerate(spec.get("volumes") or []):
            for held in _volume_holds(volume, namespace, keys):
                users = ", ".join(mounts.get(volume.get("name"), [])) or "no container yet"
                found.append(
                    Finding(f"{label} {path}.volumes[{index}]", f"volume {volume.get('name')} holds {held} ({users})")
                )
        for container in _containers(spec):
            for secret in _env_secrets(container):
                why = keys.secret(namespace, secret)
                if why:
                    found.append(
                        Finding(
                            f"{label} {path}",
                            f"container {container.get('name')} reads Secret {secret} ({why}) through its env",
                        )
                    )
        yield path, found


def _containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for kind in _CONTAINER_KINDS:
        yield from spec.get(kind) or []


def _mounts(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Volume name to the containers that mount it."""
    mounts: dict[str, list[str]] = {}
    for container in _containers(spec):
        for mount in container.get("volumeMounts") or []:
            mounts.setdefault(mount.get("name"), []).append(f"mounted by {container.get('name')}")
    return mounts


def _volume_holds(volume: dict[str, Any], namespace: str, keys: CaKeys) -> Iterator[str]:
    secret = (volume.get("secret") or {}).get("secretName")
    if secret and keys.secret(namespace, secret):
        yield f"Secret {secret} ({keys.secret(namespace, secret)})"
    for source in (volume.get("projected") or {}).get("sources") or []:
        name = (source.get("secret") or {}).get("name")
        if name and keys.secret(namespace, name):
            yield f"Secret {name} ({keys.secret(namespace, name)})"
    csi = volume.get("csi") or {}
    if csi.get("driver") in SECRETS_STORE_DRIVERS:
        provider = (csi.get("volumeAttributes") or {}).get("secretProviderClass", "")
        delivered = keys.provider_class(namespace, provider)
        if delivered:
            yield f"private keys from Secret Manager through SecretProviderClass {provider}: {', '.join(delivered)}"


def _env_secrets(container: dict[str, Any]) -> Iterator[str]:
    for entry in container.get("env") or []:
        ref = ((entry.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
        if ref:
            yield ref
    for entry in container.get("envFrom") or []:
        ref = (entry.get("secretRef") or {}).get("name")
        if ref:
            yield ref
