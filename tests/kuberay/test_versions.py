"""Every pinned chart and image version names the upstream source it was checked against (issue 12, defect 11)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from rayfort import versions
from rayfort.versions import CERT_MANAGER_VERSION, KUBERAY_VERSION, RAY_VERSION
from rayfort_tools.judges.reference import require_reference

SOURCE = Path(versions.__file__).read_text()


def _comment_above(name: str) -> str:
    """The comment lines right above ``NAME = ...`` in versions.py."""
    lines = SOURCE.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{name} = "))
    comment = []
    for line in reversed(lines[:index]):
        if not line.startswith("#"):
            break
        comment.insert(0, line)
    return "\n".join(comment)


def test_each_chart_and_image_pin_names_the_source_it_was_checked_against() -> None:
    assert re.search(r"ray-project/kuberay-helm pull request #89", _comment_above("KUBERAY_VERSION"))
    assert "kadras-packages pull request #590" in _comment_above("CERT_MANAGER_VERSION")
    assert "pip index versions ray" in _comment_above("RAY_VERSION")
    for name in ("KUBERAY_VERSION", "CERT_MANAGER_VERSION", "RAY_VERSION"):
        assert str(getattr(versions, name)).lstrip("v") in _comment_above(name), name


def test_the_kuberay_pin_is_the_reference_chart_and_its_image() -> None:
    chart = require_reference("charts") / "kuberay-operator"
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["version"] == KUBERAY_VERSION
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == f"v{KUBERAY_VERSION}"


def test_the_cert_manager_pin_is_the_reference_chart() -> None:
    """The deployability judge renders the reference copy: a pin ahead of it would be judged as another version."""
    source = (require_reference("charts") / "SOURCE.txt").read_text()
    (reference,) = re.findall(r"cert-manager\s+\S+, tag (v[\d.]+)", source)
    assert CERT_MANAGER_VERSION == reference
    assert re.fullmatch(r"\d+\.\d+\.\d+", RAY_VERSION)
