"""Which host a route on the shared Gateway may claim: its own namespace's, and no other.

The shared listener serves every host under the zone's domain, so the Gateway
itself cannot tell tenant A's route from a route claiming tenant B's host. This
ValidatingAdmissionPolicy can: an HTTPRoute attaching to the shared Gateway
must name hostnames, each equal to the ``rayfort.dev/dashboard-host``
annotation of the route's namespace (set by the platform on the Namespace,
which developers cannot edit). A namespace without the annotation can attach
nothing. A route with no hostnames would match every host, so it is refused.
"""

from __future__ import annotations

from typing import Any

from rayfort.k8s.cel import lit, namespace_annotation
from rayfort.k8s.namespace import DASHBOARD_HOST_ANNOTATION

HOST_POLICY = "rayfort-dashboard-hosts"
_LABELS = {"app.kubernetes.io/managed-by": "rayfort", "app.kubernetes.io/part-of": "rayfort-exposure"}


def _attaches(gateway_name: str, gateway_namespace: str) -> str:
    """CEL: some parentRef of the route is the shared Gateway (a parentRef's namespace defaults to the route's)."""
    ref = (
        "(!has(p.group) || p.group == 'gateway.networking.k8s.io') && (!has(p.kind) || p.kind == 'Gateway') && "
        f"p.name == {lit(gateway_name)} && "
        f"(has(p.namespace) ? p.namespace : object.metadata.namespace) == {lit(gateway_namespace)}"
    )
    return f"has(object.spec.parentRefs) && object.spec.parentRefs.exists(p, {ref})"


def host_policy(gateway_name: str, gateway_namespace: str) -> dict[str, Any]:
    """HTTPRoutes on the shared Gateway claim exactly their namespace's dashboard host."""
    own_host = namespace_annotation(DASHBOARD_HOST_ANNOTATION)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": HOST_POLICY, "labels": dict(_LABELS)},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "matchPolicy": "Equivalent",
                "resourceRules": [
                    {
                        "apiGroups": ["gateway.networking.k8s.io"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["httproutes"],
                        "scope": "Namespaced",
                    }
                ],
            },
            "matchConditions": [
                {"name": "attaches-to-the-shared-gateway", "expression": _attaches(gateway_name, gateway_namespace)}
            ],
            "variables": [
                {"name": "ownHost", "expression": own_host},
                {
                    "name": "hostnames",
                    "expression": "has(object.spec.hostnames) ? object.spec.hostnames : []",
                },
            ],
            "validations": [
                {
                    "expression": "variables.ownHost != ''",
                    "message": f"this namespace has no {DASHBOARD_HOST_ANNOTATION} annotation: only a tenant "
                    "published through IAP (tenants[].exposure.iap) may route on the shared dashboards Gateway",
                },
                {
                    "expression": "size(variables.hostnames) > 0",
                    "message": "set spec.hostnames to this namespace's dashboard host: a route without hostnames "
                    "would take every host of the shared Gateway",
                },
                {
                    "expression": "variables.hostnames.all(h, h == variables.ownHost)",
                    "message": "a route on the shared Gateway may claim only its own namespace's dashboard host",
                    "messageExpression": "'a route in namespace ' + object.metadata.namespace + ' may claim only "
                    "its dashboard host ' + variables.ownHost + ', not ' + "
                    "variables.hostnames.filter(h, h != variables.ownHost).join(', ')",
                },
            ],
        },
    }


def host_policy_binding() -> dict[str, Any]:
    """Bind the host policy to every namespace, refusing what it denies."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": HOST_POLICY, "labels": dict(_LABELS)},
        "spec": {"policyName": HOST_POLICY, "validationActions": ["Deny"]},
    }
