"""Field checkers for the Gateway API and GKE policy kinds, which have no schema in the reference data.

Each checker is a strict schema of the fields rayfort writes, taken from the
Gateway API v1 and GKE policy reference: an unknown or misspelt field is an
error, as in the schema judge. Register them with the judge so any stack's
manifests of these kinds are vouched for by the same rules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema

_STRING = {"type": "string", "minLength": 1}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
_SECTION_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253}
_HOSTNAME = {
    "type": "string",
    "pattern": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "maxLength": 253,
}


def _object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_METADATA = _object(
    {"name": _STRING, "namespace": _STRING, "labels": _STRING_MAP, "annotations": _STRING_MAP},
    ("name", "namespace"),
)
_LABEL_SELECTOR = _object(
    {
        "matchLabels": _STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": _object(
                {
                    "key": _STRING,
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
                ("key", "operator"),
            ),
        },
    }
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


GATEWAY = _resource(
    "gateway.networking.k8s.io/v1",
    "Gateway",
    _object(
        {
            "gatewayClassName": _STRING,
            "addresses": {
                "type": "array",
                "maxItems": 16,
                "items": _object(
                    {"type": {"enum": ["IPAddress", "Hostname", "NamedAddress"]}, "value": _STRING}, ("value",)
                ),
            },
            "listeners": {
                "type": "array",
                "minItems": 1,
                "maxItems": 64,
                "items": _object(
                    {
                        "name": _SECTION_NAME,
                        "hostname": _HOSTNAME,
                        "port": _PORT,
                        "protocol": {"enum": ["HTTP", "HTTPS"]},
                        "allowedRoutes": _object(
                            {
                                "namespaces": _object(
                                    {"from": {"enum": ["All", "Same", "Selector"]}, "selector": _LABEL_SELECTOR}
                                ),
                                "kinds": {
                                    "type": "array",
                                    "items": _object({"group": {"type": "string"}, "kind": _STRING}, ("kind",)),
                                },
                            }
                        ),
                    },
                    ("name", "port", "protocol"),
                ),
            },
        },
        ("gatewayClassName", "listeners"),
    ),
)

HTTP_ROUTE = _resource(
    "gateway.networking.k8s.io/v1",
    "HTTPRoute",
    _object(
        {
            "parentRefs": {
                "type": "array",
                "minItems": 1,
                "maxItems": 32,
                "items": _object(
                    {
                        "group": {"type": "string"},
                        "kind": _STRING,
                        "name": _STRING,
                        "namespace": _STRING,
                        "sectionName": _SECTION_NAME,
                        "port": _PORT,
                    },
                    ("name",),
                ),
            },
            "hostnames": {"type": "array", "maxItems": 16, "items": _HOSTNAME},
            "rules": {
                "type": "array",
                "maxItems": 16,
                "items": _object(
                    {
                        "matches": {
                            "type": "array",
                            "items": _object(
                                {
                                    "path": _object(
                                        {
                                            "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                                            "value": _STRING,
                                        }
                                    )
                                }
                            ),
                        },
                        "backendRefs": {
                            "type": "array",
                            "items": _object(
                                {
                                    "group": {"type": "string"},
                                    "kind": _STRING,
                                    "name": _STRING,
                                    "namespace": _STRING,
                                    "port": _PORT,
                                    "weight": {"type": "integer", "minimum": 0},
                                },
                                ("name", "port"),
                            ),
                        },
                    }
                ),
            },
        },
    ),
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
    ("gateway.networking.k8s.io/v1", "Gateway"): GATEWAY,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTP_ROUTE,
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
