"""Environments the exposure section refuses, each with a message that says what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, load_environment
from tests.conftest import ENVIRONMENTS
from tests.exposure.conftest import TEST_ENVIRONMENTS


def _load(tmp_path: Path, data: dict):
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_environment(path)


def _refused(tmp_path: Path, data: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, data)
    return str(caught.value)


def _gateway() -> dict:
    return yaml.safe_load(TEST_ENVIRONMENTS["gateway"].read_text())


@pytest.mark.parametrize(
    "where",
    [
        ("tenants", 0, "exposure", "internal"),
        ("tenants", 0, "exposure"),
        ("exposure",),
    ],
)
@pytest.mark.parametrize("field", [{"extra_ports": [6379]}, {"ports": [6379]}, {"gcs": True}])
def test_no_environment_can_ask_for_more_ports(tmp_path: Path, where: tuple, field: dict) -> None:
    data = _gateway()
    node = data
    for part in where:
        node = node[part]
    node.update(field)
    message = _refused(tmp_path, data)
    assert next(iter(field)) in message


def test_hosts_must_be_unique(tmp_path: Path) -> None:
    data = _gateway()
    data["tenants"][1]["exposure"]["iap"]["host"] = "team-a.ray.example.com"
    assert "each tenant needs its own host" in _refused(tmp_path, data)


def test_hosts_must_be_in_the_zone(tmp_path: Path) -> None:
    data = _gateway()
    data["tenants"][1]["exposure"]["iap"]["host"] = "models.example.org"
    assert "allowed: names ending in .ray.example.com" in _refused(tmp_path, data)


def test_ingress_hosts_fit_a_managed_certificate(tmp_path: Path) -> None:
    data = _gateway()
    data["exposure"]["api"] = "ingress"
    data["tenants"][1]["exposure"]["iap"]["host"] = "a" * 50 + ".ray.example.com"
    assert "ManagedCertificate" in _refused(tmp_path, data)
    data["exposure"]["api"] = "gateway"
    _load(tmp_path, data)


def test_cloud_armor_needs_an_allow_list(tmp_path: Path) -> None:
    data = _gateway()
    data["exposure"]["cloud_armor"]["allowed_ranges"] = []
    assert "at least one range when Cloud Armor is enabled" in _refused(tmp_path, data)


def test_iap_is_refused_air_gapped_but_internal_access_is_not(tmp_path: Path) -> None:
    data = yaml.safe_load((ENVIRONMENTS / "airgapped.yaml").read_text())
    _load(tmp_path, data)
    data["tenants"][0]["exposure"]["iap"] = {"enabled": True}
    message = _refused(tmp_path, data)
    assert "air-gapped" in message and "exposure.internal" in message


def test_resource_names_fit_compute_engine(tmp_path: Path) -> None:
    data = _gateway()
    data["tenants"][1]["name"] = "t" * 50
    data["tenants"][1]["exposure"]["iap"]["host"] = "long.ray.example.com"
    assert "longer than 63 characters" in _refused(tmp_path, data)
