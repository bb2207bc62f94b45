"""Plan-time reads: what ``terraform plan`` must know or read before anything of the stack exists.

* A data source that reads what its own stack creates, by reference or
  ``depends_on`` (read only at apply, so all it feeds is unknown at plan), or by
  registry address (a chart read from an Artifact Registry repository the same
  stack creates: it does not exist at plan, and it is empty until filled).
  ``helm_release`` reads its chart at plan time too. Objects (applied or
  rendered) whose containers run images from such a repository are reported as
  well: at first apply it is empty.
* A Kubernetes data source that reads an object its own stack applies.
* ``for_each`` keys unknown at plan time.
* The ``apiVersion``, ``kind``, name and namespace of a ``kubernetes_manifest``
  unknown at plan time (the provider needs them to plan the object).
* A provider configured with values unknown at plan time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rayfort_tools.judges.deployability.kubernetes import Cluster, native_kind
from rayfort_tools.judges.deployability.outcome import Outcome
from rayfort_tools.judges.deployability.terraform import UNKNOWN, Deployment, Ref, Stack, walk_strings

CHECK = "plan-time"
REGISTRY_TYPES = frozenset({"google_artifact_registry_repository"})
# Blocks that download a chart while Terraform plans.
_CHART_READERS = frozenset({"helm_release"})


def _describe(refs: list[Ref]) -> str:
    return ", ".join(sorted({str(ref) for ref in refs})[:4])


def registries(stack: Stack) -> Iterator[tuple[str, re.Pattern]]:
    """(address, pattern of its host/path) of each Artifact Registry repository the stack creates."""
    default_project = next((c.get("project") for _, c in stack.providers() if _.startswith("provider.google[")), None)
    for address, body in stack.resources(*REGISTRY_TYPES):
        location = stack.literal(body.get("location"), address)
        project = stack.literal(body.get("project", default_project), address)
        repository = stack.literal(body.get("repository_id"), address)
        if all(isinstance(v, str) for v in (location, project, repository)):
            host = rf"{re.escape(location)}-[a-z]+\.pkg\.dev/{re.escape(project)}/{re.escape(repository)}"
            yield address, re.compile(rf"(?<![\w.-]){host}(?![\w.-])")


def check(deployment: Deployment, cluster: Cluster) -> Iterator[Outcome]:
    for stack in deployment.stacks.values():
        yield from _data_sources(stack)
        yield from _registry_reads(stack, cluster)
        yield from _kubernetes_reads(stack, cluster)
        yield from _for_each(stack)
        yield from _manifests(stack)
        yield from _providers(stack)


def _data_sources(stack: Stack) -> Iterator[Outcome]:
    for address, _body in stack.data_sources():
        created = sorted(d for d in stack.dependencies(address) if stack.is_managed(d))
        if created:
            yield Outcome(
                CHECK,
                stack.name,
                address,
                f"reads {', '.join(created[:4])}, which this stack creates: Terraform defers the read to apply "
                "and everything that uses it is unknown at plan",
            )
        else:
            yield Outcome(CHECK, stack.name, address)


def _kubernetes_reads(stack: Stack, cluster: Cluster) -> Iterator[Outcome]:
    """A Kubernetes data source reads its object when the stack is planned: the stack must not be what applies it."""
    applied = [p for p in cluster.placements if p.stack == stack.name]
    for address, body in stack.data_sources():
        data_type = address.split(".")[1]
        if not data_type.startswith("kubernetes_") or data_type == "kubernetes_resources":
            continue
        kind = stack.literal(body.get("kind")) if data_type == "kubernetes_resource" else native_kind(data_type)
        metadata = body.get("metadata")
        metadata = metadata[0] if isinstance(metadata, list) and metadata else metadata
        metadata = metadata if isinstance(metadata, dict) else {}
        name, namespace = stack.literal(metadata.get("name")), stack.literal(metadata.get("namespace"))
        same = [
            p
            for p in applied
            if p.kind == kind and p.name == name and (namespace in (None, UNKNOWN) or p.namespace == namespace)
        ]
        problem = (
            f"reads {kind} {name} at plan time, which {same[0].address} of this stack applies: it does not exist "
            "when the stack is first planned"
            if same
            else None
        )
        yield Outcome(CHECK, stack.name, address, problem)


def _registry_reads(stack: Stack, cluster: Cluster) -> Iterator[Outcome]:
    """Charts read at plan time, and container images pulled at apply, from a repository the stack creates."""
    created = list(registries(stack))
    if not created:
        return
    images: dict[str, list[str]] = {}
    for placement in cluster.placements:
        if placement.stack == stack.name:
            images.setdefault(placement.address, []).extend(container_images(placement.obj))
    for address, body in stack.blocks.items():
        if address.split(".")[0] in REGISTRY_TYPES or "_iam_" in address:
            continue
        plan_time = address.startswith("data.") or address.split(".")[0] in _CHART_READERS
        chart_fields = [body.get(key) for key in ("repository", "chart")] if plan_time else []
        for registry, pattern in created:
            if any(pattern.search(text) for text in walk_strings(chart_fields)):
                yield Outcome(
                    CHECK,
                    stack.name,
                    address,
                    f"reads its chart at plan time from {registry}, which this stack creates: the repository does "
                    "not exist when the stack is first planned, and is empty until the mirror is filled",
                )
            elif any(pattern.search(image) for image in images.get(address, [])):
                yield Outcome(
                    CHECK,
                    stack.name,
                    address,
                    f"runs images from {registry}, which this stack creates: it is empty at the first apply, "
                    "before anyone can fill the mirror",
                )
            else:
                yield Outcome(CHECK, stack.name, address)


def container_images(obj: object) -> Iterator[str]:
    """Every ``image`` of the containers in an object (pods, pod templates, custom resources alike)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in {"containers", "initContainers", "ephemeralContainers"} and isinstance(value, list):
                yield from (c["image"] for c in value if isinstance(c, dict) and isinstance(c.get("image"), str))
            yield from container_images(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from container_images(item)


def _for_each(stack: Stack) -> Iterator[Outcome]:
    for address, body in stack.blocks.items():
        if "for_each" not in body:
            continue
        known, unknown = stack.for_each_keys_known(address)
        problem = None if known else f"for_each keys are unknown at plan time (from {_describe(unknown)})"
        yield Outcome(CHECK, stack.name, address, problem)


def _manifests(stack: Stack) -> Iterator[Outcome]:
    """The provider maps apiVersion/kind to a resource at plan time, so they (and the object's name and namespace,
    which identify it in the plan) must be known. Unknown labels and annotations are fine: the provider plans
    them as computed (``computed_fields`` defaults to them; manifest/provider/plan.go, validate.go)."""
    for address, body in stack.resources("kubernetes_manifest"):
        manifest = body.get("manifest")
        if isinstance(manifest, dict):
            metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
            identity = [
                manifest.get("apiVersion"),
                manifest.get("kind"),
                metadata.get("name"),
                metadata.get("namespace"),
            ]
            unknown = stack.unknown_refs(identity, address)
        else:
            unknown = stack.unknown_refs(manifest, address)
        problem = (
            f"apiVersion, kind, name or namespace are unknown at plan time (from {_describe(unknown)}): "
            "the kubernetes provider cannot plan the object"
            if unknown
            else None
        )
        yield Outcome(CHECK, stack.name, address, problem)


def _providers(stack: Stack) -> Iterator[Outcome]:
    for address, config in stack.providers():
        unknown = stack.unknown_refs(config)
        problem = f"is configured with values unknown at plan time ({_describe(unknown)})" if unknown else None
        yield Outcome(CHECK, stack.name, address, problem)
