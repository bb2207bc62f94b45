"""Field checkers for kinds the schema judge has no schema for.

PodMonitoring (Google managed Prometheus), cert-manager's Issuer and
Certificate, the Secrets Store CSI SecretProviderClass and the Gateway API
kinds have no JSON schema in the reference data. These checkers, written from
each project's API reference, hold their objects to the fields those APIs
define, so an unknown or missing field still fails. The Gateway kinds' schemas
live beside the construct that emits them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import yaml

from rayfort.exposure.gateway_checks import SCHEMAS as GATEWAY_SCHEMAS
from rayfort.exposure.gateway_checks import check_fields as check_gateway_fields
from rayfort_tools.judges.k8s_schema import register_field_checker, unregister_field_checker


def _keys(obj: object, path: str, allowed: set[str], required: set[str] = frozenset()) -> Iterator[tuple[str, str]]:
    if not isinstance(obj, dict):
        yield path, "must be an object"
        return
    for key in sorted(set(obj) - allowed):
        yield f"{path}.{key}", f"unknown field; allowed: {', '.join(sorted(allowed))}"
    for key in sorted(required - set(obj)):
        yield f"{path}.{key}", "required"


def _meta(obj: dict) -> Iterator[tuple[str, str]]:
    yield from _keys(obj, "$", {"apiVersion", "kind", "metadata", "spec"}, {"metadata", "spec"})
    yield from _keys(
        obj.get("metadata"), "$.metadata", {"name", "namespace", "labels", "annotations"}, {"name", "namespace"}
    )


def check_pod_monitoring(obj: dict) -> Iterator[tuple[str, str]]:
    yield from _meta(obj)
    spec = obj.get("spec", {})
    yield from _keys(
        spec, "$.spec", {"selector", "endpoints", "targetLabels", "limits", "filterRunning"}, {"selector", "endpoints"}
    )
    yield from _keys(spec.get("selector"), "$.spec.selector", {"matchLabels", "matchExpressions"})
    endpoint_fields = {
        "port",
        "scheme",
        "path",
        "params",
        "interval",
        "timeout",
        "metricRelabeling",
        "authorization",
        "basicAuth",
        "oauth2",
        "tls",
        "proxyUrl",
    }
    for i, endpoint in enumerate(spec.get("endpoints", [])):
        yield from _keys(endpoint, f"$.spec.endpoints[{i}]", endpoint_fields, {"port"})
        if not re.fullmatch(r"[0-9]+(ms|s|m|h)", endpoint.get("interval", "30s")):
            yield f"$.spec.endpoints[{i}].interval", "must be a duration like 30s"


def check_issuer(obj: dict) -> Iterator[tuple[str, str]]:
    yield from _meta(obj)
    kinds = {"selfSigned", "ca", "acme", "vault", "venafi"}
    yield from _keys(obj.get("spec"), "$.spec", kinds)
    if len(set(obj.get("spec", {})) & kinds) != 1:
        yield "$.spec", "needs exactly one issuer type"


def check_certificate(obj: dict) -> Iterator[tuple[str, str]]:
    yield from _meta(obj)
    spec = obj.get("spec", {})
    yield from _keys(
        spec,
        "$.spec",
        {
            "secretName",
            "commonName",
            "dnsNames",
            "ipAddresses",
            "uris",
            "emailAddresses",
            "duration",
            "renewBefore",
            "renewBeforePercentage",
            "isCA",
            "usages",
            "privateKey",
            "issuerRef",
            "subject",
            "secretTemplate",
            "keystores",
            "revisionHistoryLimit",
            "additionalOutputFormats",
            "literalSubject",
            "nameConstraints",
            "otherNames",
            "encodeUsagesInRequest",
        },
        {"secretName", "issuerRef"},
    )
    key = spec.get("privateKey", {})
    yield from _keys(key, "$.spec.privateKey", {"algorithm", "size", "encoding", "rotationPolicy"})
    if key.get("algorithm", "RSA") not in {"RSA", "ECDSA", "Ed25519"}:
        yield "$.spec.privateKey.algorithm", "must be RSA, ECDSA or Ed25519"
    if key.get("rotationPolicy", "Always") not in {"Always", "Never"}:
        yield "$.spec.privateKey.rotationPolicy", "must be Always or Never"
    yield from _keys(spec.get("issuerRef"), "$.spec.issuerRef", {"name", "kind", "group"}, {"name"})
    usages = {
        "signing",
        "digital signature",
        "content commitment",
        "key encipherment",
        "key agreement",
        "data encipherment",
        "cert sign",
        "crl sign",
        "encipher only",
        "decipher only",
        "any",
        "server auth",
        "client auth",
        "code signing",
        "email protection",
        "s/mime",
        "ipsec end system",
        "ipsec tunnel",
        "ipsec user",
        "timestamping",
        "ocsp signing",
        "microsoft sgc",
        "netscape sgc",
    }
    for i, usage in enumerate(spec.get("usages", [])):
        if usage not in usages:
            yield f"$.spec.usages[{i}]", "unknown key usage"
    for field in ("duration", "renewBefore"):
        if field in spec and not re.fullmatch(r"([0-9]+(h|m|s))+", spec[field]):
            yield f"$.spec.{field}", "must be a Go duration like 8760h"


def check_secret_provider_class(obj: dict) -> Iterator[tuple[str, str]]:
    yield from _meta(obj)
    spec = obj.get("spec", {})
    yield from _keys(spec, "$.spec", {"provider", "parameters", "secretObjects"}, {"provider", "parameters"})
    if spec.get("provider") != "gke":
        yield "$.spec.provider", "must be gke for the GKE Secret Manager add-on"
    secrets = yaml.safe_load(spec.get("parameters", {}).get("secrets", "")) or []
    if not secrets:
        yield "$.spec.parameters.secrets", "must list at least one secret"
    for i, secret in enumerate(secrets):
        yield from _keys(secret, f"$.spec.parameters.secrets[{i}]", {"resourceName", "path"}, {"resourceName", "path"})
        if not re.fullmatch(
            r"projects/[^/]+/secrets/[-_A-Za-z0-9]+/versions/(latest|[0-9]+)", secret.get("resourceName", "")
        ):
            yield f"$.spec.parameters.secrets[{i}].resourceName", "must be projects/P/secrets/S/versions/V"


FIELD_CHECKERS = {
    ("monitoring.googleapis.com/v1", "PodMonitoring"): check_pod_monitoring,
    ("cert-manager.io/v1", "Issuer"): check_issuer,
    ("cert-manager.io/v1", "Certificate"): check_certificate,
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): check_secret_provider_class,
    **{kind: check_gateway_fields for kind in GATEWAY_SCHEMAS},
}


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The field checkers registered with the schema judge for the duration of a block."""
    for (api_version, kind), checker in FIELD_CHECKERS.items():
        register_field_checker(api_version, kind, checker)
    try:
        yield
    finally:
        for api_version, kind in FIELD_CHECKERS:
            unregister_field_checker(api_version, kind)
