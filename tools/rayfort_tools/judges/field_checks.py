"""Field checkers for GKE's policy kinds, which have no public CRD (crds/SOURCE.txt says so).

GCPGatewayPolicy, GCPBackendPolicy and HealthCheckPolicy are served by GKE's
Gateway controller only. Each checker is a strict schema of the fields rayfort
writes, taken from GKE's Gateway policy reference: an unknown or misspelt field
is an error, as in the schema judge. Every other kind rayfort emits has a schema
(Kubernetes, or an upstream or GKE CRD in the reference data).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import jsonschema

from rayfort_tools.judges.k8s_schema import register_field_checker, unregister_field_checker

_STRING = {"type": "string", "minLength": 1}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}


def _object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_METADATA = _object(
    {"name": _STRING, "namespace": _STRING, "labels": _STRING_MAP, "annotations": _STRING_MAP},
    ("name", "namespace"),
)
_SERVICE_TARGET = _object(
    {"group": {"const": ""}, "kind": {"const": "Service"}, "name": _STRING, "namespace": _STRING},
    ("group", "kind", "name"),
)


def _resource(api_version: str, kind: str, spec: dict) -> dict:
    return _object(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": _METADATA, "spec": spec},
        ("apiVersion", "kind", "metadata", "spec"),
    )


GCP_GATEWAY_POLICY = _resource(
    "networking.gke.io/v1",
    "GCPGatewayPolicy",
    _object(
        {
            "default": _object({"sslPolicy": _STRING, "allowGlobalAccess": {"type": "boolean"}, "region": _STRING}),
            "targetRef": _object(
                {"group": {"const": "gateway.networking.k8s.io"}, "kind": {"const": "Gateway"}, "name": _STRING},
                ("group", "kind", "name"),
            ),
        },
        ("default", "targetRef"),
    ),
)

GCP_BACKEND_POLICY = _resource(
    "networking.gke.io/v1",
    "GCPBackendPolicy",
    _object(
        {
            "default": _object(
                {
                    "iap": _object(
                        {
                            "enabled": {"type": "boolean"},
                            "clientID": _STRING,
                            "oauth2ClientSecret": _object({"name": _STRING}, ("name",)),
                        },
                        ("enabled",),
                    ),
                    "timeoutSec": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                    "securityPolicy": _STRING,
                    "logging": _object(
                        {
                            "enabled": {"type": "boolean"},
                            "sampleRate": {"type": "integer", "minimum": 0, "maximum": 1000000},
                        }
                    ),
                    "connectionDraining": _object(
                        {"drainingTimeoutSec": {"type": "integer", "minimum": 0, "maximum": 3600}}
                    ),
                }
            ),
            "targetRef": _SERVICE_TARGET,
        },
        ("default", "targetRef"),
    ),
)

HEALTH_CHECK_POLICY = _resource(
    "networking.gke.io/v1",
    "HealthCheckPolicy",
    _object(
        {
            "default": _object(
                {
                    "checkIntervalSec": {"type": "integer", "minimum": 1, "maximum": 300},
                    "timeoutSec": {"type": "integer", "minimum": 1, "maximum": 300},
                    "healthyThreshold": {"type": "integer", "minimum": 1, "maximum": 10},
                    "unhealthyThreshold": {"type": "integer", "minimum": 1, "maximum": 10},
                    "logConfig": _object({"enabled": {"type": "boolean"}}),
                    "config": _object(
                        {
                            "type": {"enum": ["TCP", "HTTP", "HTTPS", "HTTP2", "GRPC"]},
                            "httpHealthCheck": _object(
                                {
                                    "port": _PORT,
                                    "portName": _STRING,
                                    "requestPath": {"type": "string", "pattern": "^/"},
                                    "host": _STRING,
                                    "response": _STRING,
                                }
                            ),
                        },
                        ("type",),
                    ),
                }
            ),
            "targetRef": _SERVICE_TARGET,
        },
        ("default", "targetRef"),
    ),
)

SCHEMAS: dict[tuple[str, str], dict] = {
    ("networking.gke.io/v1", "GCPGatewayPolicy"): GCP_GATEWAY_POLICY,
    ("networking.gke.io/v1", "GCPBackendPolicy"): GCP_BACKEND_POLICY,
    ("networking.gke.io/v1", "HealthCheckPolicy"): HEALTH_CHECK_POLICY,
}


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    return jsonschema.Draft202012Validator(SCHEMAS[(api_version, kind)])


def _path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def check_fields(obj: dict) -> Iterator[tuple[str, str]]:
    """(JSON path, message) for every way ``obj`` departs from its kind's schema."""
    validator = _validator(obj.get("apiVersion", ""), obj.get("kind", ""))
    for error in validator.iter_errors(obj):
        yield _path(error.absolute_path), error.message


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The field checkers registered with the schema judge for the duration of a block."""
    for api_version, kind in SCHEMAS:
        register_field_checker(api_version, kind, check_fields)
    try:
        yield
    finally:
        for api_version, kind in SCHEMAS:
            unregister_field_checker(api_version, kind)
