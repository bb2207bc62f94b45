"""Judge: every Kubernetes object rayfort emits must match its schema, strictly.

A typo'd field is silently dropped by the API server (or pruned from a custom
resource), so a control we believe is on may never reach the cluster. This
judge treats unknown fields as errors and a kind without a schema as a failure.

Schema sources, by apiVersion/kind:

* Kubernetes kinds: the strict schemas bundled with ``kubernetes-validate``
  for ``KUBERNETES_VERSION``.
* ray.io kinds: the KubeRay CRDs in the reference data, for ``KUBERAY_VERSION``.
* cert-manager (Certificate, Issuer), PodMonitoring, SecretProviderClass and
  the Gateway API (Gateway, HTTPRoute): the upstream CRDs in the reference
  data's ``crds/`` (their versions in ``crds/SOURCE.txt``).
* cert-manager's CertificateRequest (which Ray pods send) and ClusterIssuer: the
  CRDs in the reference copy of the cert-manager chart rayfort installs
  (``charts/cert-manager/templates/crd-*.yaml``, Helm's directives dropped).
* GKE kinds: JSON schemas of the GKE CRDs in the reference data.
* Anything else (GKE's policy kinds, which have no public CRD): a field checker
  registered with ``register_field_checker``, or a ``NoSchema`` failure.

Terraform rule: a string holding ``${`` is only known at apply time, so it
satisfies every scalar type and scalar constraint, never an object or array.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from rayfort.versions import KUBERAY_VERSION, KUBERNETES_VERSION
from rayfort_tools.judges.reference import require_reference

FieldChecker = Callable[[dict], Iterable[tuple[str, str]]]
"""Checks one object of a kind without a schema; yields (JSON path, message)."""

_KUBERAY_CRDS = {
    "RayCluster": "ray.io_rayclusters.yaml",
    "RayJob": "ray.io_rayjobs.yaml",
    "RayService": "ray.io_rayservices.yaml",
    "RayCronJob": "ray.io_raycronjobs.yaml",
}
# Upstream CRDs, copied verbatim into the reference data's crds/ folder.
_UPSTREAM_CRDS = {
    ("cert-manager.io", "Certificate"): "cert-manager.io_certificates.yaml",
    ("cert-manager.io", "Issuer"): "cert-manager.io_issuers.yaml",
    ("monitoring.googleapis.com", "PodMonitoring"): "monitoring.googleapis.com_podmonitorings.yaml",
    ("secrets-store.csi.x-k8s.io", "SecretProviderClass"): "secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
    ("gateway.networking.k8s.io", "Gateway"): "gateway.networking.k8s.io_gateways.yaml",
    ("gateway.networking.k8s.io", "HTTPRoute"): "gateway.networking.k8s.io_httproutes.yaml",
}
# Upstream CRDs the reference data has only inside the cert-manager chart (its templates/crd-*.yaml).
_CHART_TEMPLATE_CRDS = {
    ("cert-manager.io", "CertificateRequest"): ("cert-manager", "crd-cert-manager.io_certificaterequests.yaml"),
    ("cert-manager.io", "ClusterIssuer"): ("cert-manager", "crd-cert-manager.io_clusterissuers.yaml"),
}
_HELM_DIRECTIVE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_GKE_SCHEMAS = {
    ("cloud.google.com/v1", "BackendConfig"): ("cloud.google.com", "backendconfig_v1.json"),
    ("networking.gke.io/v1", "ManagedCertificate"): ("networking.gke.io", "managedcertificate_v1.json"),
    ("networking.gke.io/v1beta1", "FrontendConfig"): ("networking.gke.io", "frontendconfig_v1beta1.json"),
}
_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_OBJECT_META_REF = _DEFINITIONS_ID + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# Custom keyword: validate this node as a Kubernetes ObjectMeta.
_OBJECT_META = "x-rayfort-object-meta"
_PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"
_SCALAR_KEYWORDS = (
    "enum",
    "const",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
)
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_field_checkers: dict[tuple[str, str], FieldChecker] = {}


@dataclass(frozen=True)
class SchemaError:
    """One way an object fails its schema, located by object identity and JSON path."""

    api_version: str
    kind: str
    namespace: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.api_version}/{self.kind} {where}: {self.path}: {self.message}"


@dataclass(frozen=True)
class NoSchema(SchemaError):
    """Neither a schema nor a field checker vouches for the kind: a failure, not a warning."""


def register_field_checker(api_version: str, kind: str, checker: FieldChecker) -> None:
    """Let field-level tests vouch for a kind that has no schema (GKE's policy kinds)."""
    key = (api_version, kind)
    if _has_schema(api_version, kind):
        raise ValueError(f"{api_version}/{kind} has a schema; a field checker would never run")
    if key in _field_checkers:
        raise ValueError(f"{api_version}/{kind} already has a field checker")
    _field_checkers[key] = checker


def unregister_field_checker(api_version: str, kind: str) -> None:
    """Remove a checker, so a test can register one without leaking it to others."""
    _field_checkers.pop((api_version, kind), None)


def validate_manifest(obj: dict) -> list[SchemaError]:
    """All schema errors of one object; empty when it is valid.

    Raises ReferenceMissing for CRD-based kinds when the reference data is absent.
    """
    identity = _identity(obj)
    api_version, kind = identity[0], identity[1]
    if not (isinstance(obj, dict) and api_version and kind):
        return [SchemaError(*identity, "$", "apiVersion and kind must be non-empty strings")]

    core = _core_validator(api_version, kind) if _is_kubernetes_group(api_version) else None
    if core is not None:
        return _errors(identity, core, obj)
    if _group(api_version) == "ray.io" and kind in _KUBERAY_CRDS:
        validator = _kuberay_validator(api_version, kind)
        if validator is None:
            served = f"KubeRay {KUBERAY_VERSION} does not serve {kind} in {api_version}"
            return [SchemaError(*identity, "$.apiVersion", served)]
        return _custom_resource_errors(identity, validator, obj)
    if (_group(api_version), kind) in _UPSTREAM_CRDS or (_group(api_version), kind) in _CHART_TEMPLATE_CRDS:
        validator = _upstream_validator(api_version, kind)
        if validator is None:
            served = f"the upstream {kind} CRD does not serve {api_version}"
            return [SchemaError(*identity, "$.apiVersion", served)]
        return _custom_resource_errors(identity, validator, obj)
    if (api_version, kind) in _GKE_SCHEMAS:
        return _custom_resource_errors(identity, _gke_validator(api_version, kind), obj)
    checker = _field_checkers.get((api_version, kind))
    if checker is not None:
        return [SchemaError(*identity, path, message) for path, message in checker(obj)]
    return [NoSchema(*identity, "$", f"no schema for {api_version}/{kind}")]


def manifests_in_stack(tf_json: dict) -> Iterator[tuple[str, dict | SchemaError]]:
    """(Terraform address, manifest) for each kubernetes_manifest of a synthesized stack.

    Anything the judge cannot read comes out as a SchemaError in place of the
    manifest, so nothing escapes the judge unseen.
    """
    for resource_type, resources in tf_json.get("resource", {}).items():
        if not resource_type.startswith("kubernetes_"):
            continue
        for name, body in resources.items():
            address = f"{resource_type}.{name}"
            if resource_type != "kubernetes_manifest":
                yield (
                    address,
                    SchemaError(
                        "",
                        resource_type,
                        "",
                        name,
                        "$",
                        f"native kubernetes resource {resource_type} has no manifest converter",
                    ),
                )
            elif _is_chart_crds(body):
                yield from _chart_crds(address, tf_json, body)
            elif not isinstance(body.get("manifest"), dict):
                yield (
                    address,
                    SchemaError(
                        "",
                        resource_type,
                        "",
                        name,
                        "$.manifest",
                        "manifest is not a literal object, so it cannot be checked",
                    ),
                )
            else:
                yield address, body["manifest"]


_CHART_CRDS = re.compile(
    r"data\.helm_template\.(?P<template>[-\w]+)\.crds\b.*kind\s*==\s*\"CustomResourceDefinition\"", re.S
)


def _is_chart_crds(body: dict) -> bool:
    return body.get("manifest") == "${each.value}" and bool(_CHART_CRDS.search(str(body.get("for_each", ""))))


def _chart_crds(address: str, tf_json: dict, body: dict) -> Iterator[tuple[str, dict | SchemaError]]:
    """The CRDs a pinned chart renders at plan time, stood in for by that version's reference copies.

    Only the KubeRay operator chart at the pinned version has reference copies;
    any other chart or version is reported, not trusted.
    """
    template_name = _CHART_CRDS.search(str(body["for_each"])).group("template")
    template = tf_json.get("data", {}).get("helm_template", {}).get(template_name, {})
    chart, version = template.get("chart"), template.get("version")
    if chart != "kuberay-operator" or version != KUBERAY_VERSION:
        yield (
            address,
            SchemaError(
                "",
                "kubernetes_manifest",
                "",
                address,
                "$.for_each",
                f"CRDs come from chart {chart} {version}; only kuberay-operator {KUBERAY_VERSION} can be checked",
            ),
        )
        return
    for document in _reference_crds(str(require_reference(f"kuberay-v{KUBERAY_VERSION}", "crd"))):
        yield f"{address}[{document['metadata']['name']}]", copy.deepcopy(document)


@functools.cache
def _reference_crds(directory: str) -> tuple[dict, ...]:
    """The CRDs of the reference copies, parsed once: every judge reads them from every environment's stack."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the copies are megabytes
    return tuple(
        document
        for path in sorted(Path(directory).glob("*.yaml"))
        for document in yaml.load_all(path.read_text(), Loader=loader)
        if document and document.get("kind") == "CustomResourceDefinition"
    )


def validate_stack(tf_json: dict) -> Iterator[tuple[str, SchemaError]]:
    """Every schema error in a synthesized stack, by Terraform address."""
    for address, manifest in manifests_in_stack(tf_json):
        if isinstance(manifest, SchemaError):
            yield address, manifest
        else:
            for error in validate_manifest(manifest):
                yield address, error


# --- identity and paths -----------------------------------------------------


def _identity(obj: Any) -> tuple[str, str, str, str]:
    if not isinstance(obj, dict):
        return "", "", "", ""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}

    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    return (
        text(obj.get("apiVersion")),
        text(obj.get("kind")),
        text(metadata.get("namespace")),
        text(metadata.get("name")),
    )


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _is_kubernetes_group(api_version: str) -> bool:
    """Groups served by Kubernetes itself: core, un-dotted (apps, policy) or *.k8s.io."""
    group = _group(api_version)
    return "." not in group or group.endswith(".k8s.io")


def _json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def _errors(identity: tuple[str, str, str, str], validator: Any, obj: dict) -> list[SchemaError]:
    """Flatten jsonschema errors; an unknown field is reported at its own path."""
    found = []
    for error in validator.iter_errors(obj):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            declared = error.schema.get("properties", {})
            for key in error.instance:
                if key not in declared:
                    found.append(SchemaError(*identity, _json_path([*path, key]), "unknown field"))
        else:
            found.append(SchemaError(*identity, _json_path(path), error.message))
    return found


# --- Terraform interpolation ------------------------------------------------


def _is_interpolated(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _apply_time_tolerant(base: Any) -> Any:
    """A validator class that lets interpolation strings stand for any scalar."""

    def also_interpolated(type_name: str) -> Callable[[Any, Any], bool]:
        return lambda checker, value: _is_interpolated(value) or base.TYPE_CHECKER.is_type(value, type_name)

    def unless_interpolated(keyword: Callable) -> Callable:
        def check(validator, value, instance, schema):
            if not _is_interpolated(instance):
                yield from keyword(validator, value, instance, schema) or ()

        return check

    def one_of(validator, value, instance, schema):
        # An unknown value may match several scalar branches; one is enough.
        keyword = base.VALIDATORS["anyOf" if _is_interpolated(instance) else "oneOf"]
        yield from keyword(validator, value, instance, schema) or ()

    keywords = {
        name: unless_interpolated(base.VALIDATORS[name]) for name in _SCALAR_KEYWORDS if name in base.VALIDATORS
    }
    keywords["oneOf"] = one_of
    keywords[_OBJECT_META] = _check_object_meta
    type_checker = base.TYPE_CHECKER.redefine_many(
        {name: also_interpolated(name) for name in ("integer", "number", "boolean")}
    )
    return jsonschema.validators.extend(base, validators=keywords, type_checker=type_checker)


# --- Kubernetes kinds (kubernetes-validate) ---------------------------------


@functools.cache
def _core_schema_dir() -> Any:
    bundled = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    schema_dir = bundled / f"v{KUBERNETES_VERSION}.0-local-strict"
    if not schema_dir.is_dir():
        raise RuntimeError(f"kubernetes-validate bundles no strict schemas for Kubernetes {KUBERNETES_VERSION}")
    return schema_dir


@functools.cache
def _core_registry() -> Registry:
    definitions = json.loads((_core_schema_dir() / "_definitions.json").read_text())
    return Registry().with_resource(_DEFINITIONS_ID, Resource.from_contents(definitions))


@functools.cache
def _core_schema(api_version: str, kind: str) -> dict | None:
    """The bundled schema of a kind, checked against its declared group/version/kind."""
    # The bundle names files by the group's first label: rbac.authorization.k8s.io/v1 -> rbac-v1.
    group, _, version = api_version.rpartition("/")
    file_group = f"{group.split('.')[0]}-{version}" if group else version
    schema_file = _core_schema_dir() / f"{kind.lower()}-{file_group}.json"
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text())
    declared = {
        (gvk["group"], gvk["version"], gvk["kind"]) for gvk in schema.get("x-kubernetes-group-version-kind", [])
    }
    return schema if (group, version, kind) in declared else None


@functools.cache
def _core_validator(api_version: str, kind: str) -> Any:
    schema = _core_schema(api_version, kind)
    if schema is None:
        return None
    return _apply_time_tolerant(jsonschema.Draft202012Validator)(schema, registry=_core_registry())


@functools.cache
def _object_meta_validator() -> Any:
    validator_class = _apply_time_tolerant(jsonschema.Draft202012Validator)
    return validator_class({"$ref": _OBJECT_META_REF}, registry=_core_registry())


def _check_object_meta(validator, enabled, instance, schema):
    if enabled:
        yield from _object_meta_validator().iter_errors(instance)


# --- custom resources (KubeRay, GKE) ----------------------------------------


def _strict(schema: dict, root: bool = False, junctor: bool = False) -> dict:
    """A CRD schema in which an unknown field is an error rather than pruned.

    Object schemas without x-kubernetes-preserve-unknown-fields get
    additionalProperties: false unless they declare it; int-or-string, nullable
    and embedded resources get their Kubernetes meaning; metadata is checked
    as a real ObjectMeta. Inside anyOf/allOf/oneOf/not a structural schema only
    validates values: the fields are the ones the enclosing node declares, so a
    branch naming some of them does not make the others unknown.
    """
    node = dict(schema)
    if "properties" in node:
        node["properties"] = {key: _strict(sub, junctor=junctor) for key, sub in node["properties"].items()}
    for keyword in ("items", "additionalProperties"):
        if isinstance(node.get(keyword), dict):
            node[keyword] = _strict(node[keyword], junctor=junctor)
    if isinstance(node.get("not"), dict):
        node["not"] = _strict(node["not"], junctor=True)
    for keyword in ("anyOf", "allOf", "oneOf"):
        if keyword in node:
            node[keyword] = [_strict(sub, junctor=True) for sub in node[keyword]]

    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if root or node.get("x-kubernetes-embedded-resource"):
        properties = node.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties["metadata"] = {_OBJECT_META: True}
    if node.get("x-kubernetes-embedded-resource"):
        node["required"] = sorted({*node.get("required", ()), "apiVersion", "kind"})
    is_object = node.get("type") == "object" or "properties" in node
    if is_object and not junctor and not node.get(_PRESERVE_UNKNOWN) and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def _with_defaults(instance: Any, schema: dict) -> Any:
    """Apply schema defaults in place, recursively, to the objects present.

    As the API server does, a null field that is not nullable counts as absent
    first, so it takes the default.
    """
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            if key in instance and instance[key] is None and not _nullable(sub):
                del instance[key]
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                _with_defaults(instance[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, value in instance.items():
                if key not in properties:
                    _with_defaults(value, extra)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            _with_defaults(item, schema["items"])
    return instance


def _nullable(schema: dict) -> bool:
    declared = schema.get("type")
    return isinstance(declared, list) and "null" in declared


def _custom_resource_errors(identity: tuple[str, str, str, str], validator: Any, obj: dict) -> list[SchemaError]:
    return _errors(identity, validator, _with_defaults(copy.deepcopy(obj), validator.schema))


# Formats the API server checks in custom resources (k8s.io/kube-openapi strfmt); the others pass unchecked.
_CRD_FORMATS = jsonschema.FormatChecker(formats=())
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$")


@_CRD_FORMATS.checks("duration")
def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or bool(_DURATION.match(value))


def _crd_validator(schema: dict) -> Any:
    # CRD schemas are OpenAPI v3.0, whose keywords follow JSON Schema draft 4.
    validator_class = _apply_time_tolerant(jsonschema.Draft4Validator)
    return validator_class(_strict(schema, root=True), format_checker=_CRD_FORMATS)


@functools.cache
def _kuberay_crd(kind: str) -> dict:
    crd_file = require_reference(f"kuberay-v{KUBERAY_VERSION}", "crd", _KUBERAY_CRDS[kind])
    with crd_file.open() as stream:
        return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _kuberay_validator(api_version: str, kind: str) -> Any:
    """The validator for one served version of a KubeRay CRD; None when it is not served."""
    version = api_version.rpartition("/")[2]
    for served in _kuberay_crd(kind)["spec"]["versions"]:
        if served["name"] == version and served.get("served"):
            return _crd_validator(served["schema"]["openAPIV3Schema"])
    return None


@functools.cache
def _upstream_validator(api_version: str, kind: str) -> Any:
    """The validator for one served version of an upstream CRD; None when it is not served."""
    key = (_group(api_version), kind)
    if key in _CHART_TEMPLATE_CRDS:
        chart, template = _CHART_TEMPLATE_CRDS[key]
        text = require_reference("charts", chart, "templates", template).read_text()
        # The chart wraps the verbatim CRD in Helm directives, each on a line of its own.
        text = "\n".join(line for line in text.splitlines() if not _HELM_DIRECTIVE.match(line))
    else:
        text = require_reference("crds", _UPSTREAM_CRDS[key]).read_text()
    crd = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = api_version.rpartition("/")[2]
    for served in crd["spec"]["versions"]:
        if served["name"] == version and served.get("served"):
            return _crd_validator(served["schema"]["openAPIV3Schema"])
    return None


@functools.cache
def _gke_validator(api_version: str, kind: str) -> Any:
    schema_file = require_reference("gke-crd-schemas", *_GKE_SCHEMAS[(api_version, kind)])
    return _crd_validator(json.loads(schema_file.read_text()))


def _has_schema(api_version: str, kind: str) -> bool:
    if _is_kubernetes_group(api_version) and _core_schema(api_version, kind) is not None:
        return True
    if _group(api_version) == "ray.io" and kind in _KUBERAY_CRDS:
        return True
    key = (_group(api_version), kind)
    return key in _UPSTREAM_CRDS or key in _CHART_TEMPLATE_CRDS or (api_version, kind) in _GKE_SCHEMAS
