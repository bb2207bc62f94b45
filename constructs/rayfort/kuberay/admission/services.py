"""What a Service in a tenant namespace may be: cluster-internal, or an internal load balancer with source ranges.

The predicates take CEL expressions for a Service's ``spec`` and ``metadata``, so the Service policy
and the Ray policy (for the Services KubeRay creates from ``headService`` and ``serveService``)
judge by the same rules as the exposure stack's own load balancers.
"""

from __future__ import annotations

from typing import Any

from rayfort.exposure.load_balancer_rules import GCS_PORT, LOAD_BALANCER_TYPE
from rayfort.k8s.cel import Expr, lit, or_default, text

SERVICE_POLICY = "rayfort-tenant-services"
TO_EXPOSE = (
    "use type ClusterIP; machines in the VPC reach a tenant through an internal load balancer "
    f"({LOAD_BALANCER_TYPE}: Internal with loadBalancerSourceRanges), people through the platform's IAP"
)


def node_port(svc: str) -> str:
    """CEL: the Service (an expression for the whole object) is of type NodePort."""
    return or_default(svc, "spec.type", "'ClusterIP'") + " == 'NodePort'"


def external_ips(svc: str) -> str:
    """CEL: the Service claims external IPs."""
    return f"size({or_default(svc, 'spec.externalIPs', '[]')}) > 0"


def load_balancer(svc: str) -> str:
    """CEL: the Service is of type LoadBalancer."""
    return or_default(svc, "spec.type", "'ClusterIP'") + " == 'LoadBalancer'"


def public_load_balancer(svc: str) -> str:
    """CEL: a LoadBalancer without GKE's internal annotation, which makes it public."""
    annotations = or_default(svc, "metadata.annotations", "{}")
    internal = f"({lit(LOAD_BALANCER_TYPE)} in {annotations} && {annotations}[{lit(LOAD_BALANCER_TYPE)}] == 'Internal')"
    return f"({load_balancer(svc)} && !{internal})"


def open_load_balancer(svc: str) -> str:
    """CEL: a LoadBalancer that admits every client: no source ranges, or a /0 among them."""
    ranges = or_default(svc, "spec.loadBalancerSourceRanges", "[]")
    return f"({load_balancer(svc)} && (size({ranges}) == 0 || {ranges}.exists(r, r.endsWith('/0'))))"


def gcs_load_balancer(svc: str) -> str:
    """CEL: a LoadBalancer that forwards the GCS port, which only Ray's own nodes may reach."""
    ports = or_default(svc, "spec.ports", "[]")
    gcs = f"p.port == {GCS_PORT} || (has(p.targetPort) && p.targetPort == {GCS_PORT})"
    return f"({load_balancer(svc)} && {ports}.exists(p, {gcs}))"


def service_problems(svc: str) -> str:
    """CEL list of what is wrong with a Service, each as a short phrase; empty when it is allowed."""
    checks = [
        (node_port(svc), "type NodePort"),
        (external_ips(svc), "externalIPs"),
        (public_load_balancer(svc), f"a LoadBalancer without {LOAD_BALANCER_TYPE}: Internal"),
        (open_load_balancer(svc), "a LoadBalancer without loadBalancerSourceRanges (or with a /0)"),
        (gcs_load_balancer(svc), f"the GCS port {GCS_PORT} behind a load balancer"),
    ]
    return "(" + " + ".join(f"({check} ? [{lit(what)}] : [])" for check, what in checks) + ")"


def _validation(expression: str, message: str) -> dict[str, Any]:
    """A check whose message names the Service."""
    return {
        "expression": expression,
        "message": message,
        "messageExpression": text("Service ", Expr("object.metadata.name"), ": " + message),
    }


def service_policy() -> dict[str, Any]:
    """Services in tenant namespaces: no NodePort, no externalIPs, load balancers internal and fenced."""
    validations = [
        _validation(
            f"!({node_port('object')})",
            f"type NodePort opens a port on every node and is refused in tenant namespaces; {TO_EXPOSE}",
        ),
        _validation(
            f"!({external_ips('object')})",
            "remove spec.externalIPs: it lets a Service claim any address routed to the nodes, and is refused in "
            "tenant namespaces",
        ),
        _validation(
            f"!{public_load_balancer('object')}",
            f"set the annotation {LOAD_BALANCER_TYPE}: Internal; without it GKE gives a LoadBalancer Service a "
            "public load balancer, which tenant namespaces may not have",
        ),
        _validation(
            f"!{open_load_balancer('object')}",
            "set spec.loadBalancerSourceRanges to the client ranges that may connect, none of them /0; without "
            "them an internal load balancer admits the whole VPC",
        ),
        _validation(
            f"!{gcs_load_balancer('object')}",
            f"remove port {GCS_PORT} (GCS): only the cluster's own Ray nodes may reach it; a load balancer may "
            "forward the client (10001), dashboard (8265) and Serve (8000) ports",
        ),
    ]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": SERVICE_POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "matchPolicy": "Equivalent",
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["services"],
                        "scope": "Namespaced",
                    }
                ],
            },
            "matchConditions": [
                {
                    # Metadata-only updates (finalizers, status annotations) of a Service admitted before
                    # this policy existed must go through, or it could never be deleted.
                    "name": "created-or-exposure-changed",
                    "expression": "request.operation == 'CREATE' || object.spec != oldObject.spec || "
                    f"{or_default('object', 'metadata.annotations', '{}')} != "
                    f"{or_default('oldObject', 'metadata.annotations', '{}')}",
                }
            ],
            "validations": validations,
        },
    }
