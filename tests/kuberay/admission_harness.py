"""A ValidatingAdmissionPolicy evaluated the way the API server evaluates it, with a real CEL engine.

``cel-expr-python`` (Google's CEL C++ runtime) compiles and type-checks every expression, with the
strings extension Kubernetes enables (``join``, ``lowerAscii``, ``split``...). Kubernetes' own CEL
libraries (``quantity``, ``url``, ``ip``/``cidr``, ``lists``, ``authz``, the regex ``find``
functions) are not in it; the policies use none of them, and ``check_uses_no_kubernetes_library``
keeps it so: if a policy starts using one, that function must be implemented here first.

The order is the API server's (``k8s.io/apiserver/pkg/admission/plugin/policy/validating``):

1. every expression compiles, or the policy is broken;
2. ``matchConditions`` (which cannot see ``variables``) gate the policy: any false, and it does
   not apply; an error counts as a failure under ``failurePolicy: Fail``;
3. ``variables`` in order, each seeing those before it;
4. every validation; a false one denies with its ``messageExpression`` (the static ``message``
   when that errors or is empty); an error denies too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings

_ROOTS = ("object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer")
KUBERNETES_LIBRARY = ("quantity", "url", "ip", "cidr", "isSorted", "sum", "indexOf", "find", "findAll", "authorizer")
"""Kubernetes CEL functions cel-expr-python lacks (names ``check_uses_no_kubernetes_library`` refuses)."""


def _env() -> cel.Env:
    return cel.NewEnv(
        variables={name: cel.Type.DYN for name in _ROOTS},
        extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional()],
    )


_ENV = _env()


class CompileError(AssertionError):
    """An expression the API server would refuse to store."""


def compile_expression(expression: str) -> cel.Expression:
    try:
        return _ENV.compile(expression)
    except Exception as error:  # the engine raises RuntimeError with the checker's text
        raise CompileError(f"{expression[:200]}...: {error}") from error


def check_uses_no_kubernetes_library(expression: str) -> None:
    """Refuse an expression that calls a Kubernetes library function this harness does not implement."""
    for name in KUBERNETES_LIBRARY:
        if re.search(rf"(?<![\w.]){name}\(|\.{name}\(", expression):
            raise CompileError(f"uses Kubernetes CEL function {name}(), which the harness does not implement")


@dataclass
class Decision:
    """What the API server would answer for one request."""

    applies: bool
    """Every match condition held."""
    denials: list[str] = field(default_factory=list)
    """The message of every failed validation, in order; empty when admitted."""
    errors: list[str] = field(default_factory=list)
    """Evaluation errors (each also denies, under failurePolicy Fail)."""
    fallbacks: list[str] = field(default_factory=list)
    """Validations whose messageExpression failed, so the static message was used."""

    @property
    def admitted(self) -> bool:
        return not self.denials and not self.errors


def _value(result: Any) -> Any:
    return result.plain_value() if hasattr(result, "plain_value") else result


def _eval(expression: str, data: dict[str, Any]) -> Any:
    return _value(compile_expression(expression).eval(data=data))


def policy_expressions(policy: dict[str, Any]) -> list[str]:
    """Every CEL expression of a policy: match conditions, variables, validations and their messages."""
    spec = policy["spec"]
    found = [c["expression"] for c in spec.get("matchConditions", [])]
    found += [v["expression"] for v in spec.get("variables", [])]
    for validation in spec.get("validations", []):
        found.append(validation["expression"])
        if "messageExpression" in validation:
            found.append(validation["messageExpression"])
    return found


def synthesized_namespaces(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every Namespace the synthesized stacks apply, by name: what the API server hands a policy (namespaceObject)."""
    return {
        body["manifest"]["metadata"]["name"]: body["manifest"]
        for tf_json in stacks.values()
        for body in tf_json.get("resource", {}).get("kubernetes_manifest", {}).values()
        if isinstance(body.get("manifest"), dict) and body["manifest"]["kind"] == "Namespace"
    }


def evaluate(
    policy: dict[str, Any],
    obj: dict[str, Any],
    *,
    namespace: dict[str, Any],
    old: dict[str, Any] | None = None,
    operation: str = "CREATE",
) -> Decision:
    """Evaluate one admission request against a policy, as its binding would (failurePolicy Fail)."""
    spec = policy["spec"]
    assert spec.get("failurePolicy", "Fail") == "Fail", "the harness models failurePolicy Fail only"
    for expression in policy_expressions(policy):
        check_uses_no_kubernetes_library(expression)
        compile_expression(expression)
    request = {
        "operation": operation,
        "kind": {"group": obj["apiVersion"].rpartition("/")[0], "version": obj["apiVersion"].rpartition("/")[2]},
        "namespace": namespace["metadata"]["name"],
        "name": obj.get("metadata", {}).get("name", ""),
    }
    data: dict[str, Any] = {
        "object": obj,
        "oldObject": old,
        "request": request,
        "params": None,
        "namespaceObject": namespace,
    }
    decision = Decision(applies=True)
    for condition in spec.get("matchConditions", []):
        try:
            held = _eval(condition["expression"], data)
        except Exception as error:
            decision.errors.append(f"matchCondition {condition['name']}: {error}")
            return decision
        if held is not True:
            decision.applies = False
            return decision
    variables: dict[str, Any] = {}
    for variable in spec.get("variables", []):
        # The API server evaluates a variable lazily, on first use; an error then fails the validation
        # that used it. Evaluating eagerly is stricter: any variable error fails the whole request.
        try:
            variables[variable["name"]] = _eval(variable["expression"], {**data, "variables": variables})
        except Exception as error:
            decision.errors.append(f"variable {variable['name']}: {error}")
            return decision
    data["variables"] = variables
    for validation in spec["validations"]:
        try:
            valid = _eval(validation["expression"], data)
        except Exception as error:
            decision.errors.append(f"validation {validation['expression'][:80]}: {error}")
            continue
        if valid is True:
            continue
        if valid is not False:
            decision.errors.append(f"validation {validation['expression'][:80]} returned {valid!r}, not a bool")
            continue
        message = validation.get("message", "")
        if "messageExpression" in validation:
            try:
                rendered = _eval(validation["messageExpression"], data)
            except Exception as error:
                rendered = None
                decision.fallbacks.append(f"{validation['messageExpression'][:80]}: {error}")
            if isinstance(rendered, str) and rendered.strip():
                message = rendered
            elif rendered is not None:
                decision.fallbacks.append(f"{validation['messageExpression'][:80]} returned {rendered!r}")
        decision.denials.append(message)
    return decision
