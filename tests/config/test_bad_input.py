"""Every kind of bad input gets one clear message, exit code 2, no traceback and no output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, load_environment
from tests.conftest import ENVIRONMENTS, ROOT


def _dev() -> dict:
    return yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())


def _write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "env.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def _problems(tmp_path: Path, data: dict | str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_environment(_write(tmp_path, data))
    return str(caught.value)


def test_missing_file_names_the_file_and_what_exists(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_environment(ENVIRONMENTS / "nosuch.yaml")
    message = str(caught.value)
    assert "nosuch.yaml" in message and "file not found" in message
    assert "dev" in message and "prod" in message


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    message = _problems(tmp_path, "name: dev\nzones: [europe-west1-b\nregion: x\n")
    assert "YAML syntax error" in message and "line " in message


def test_repeated_key_is_refused(tmp_path: Path) -> None:
    message = _problems(tmp_path, "name: dev\nname: prod\n")
    assert "'name' is repeated" in message


def test_unknown_key_suggests_the_intended_one(tmp_path: Path) -> None:
    data = _dev()
    data["cluster"]["relase_channel"] = "STABLE"
    message = _problems(tmp_path, data)
    assert "cluster.relase_channel: unknown key (did you mean 'release_channel'?)" in message
    assert "allowed keys here:" in message


def test_unknown_key_inside_a_list_item(tmp_path: Path) -> None:
    data = _dev()
    data["tenants"][1]["group"] = {}
    message = _problems(tmp_path, data)
    assert "tenants[1].group: unknown key (did you mean 'groups'?)" in message


def test_unknown_key_in_a_discriminated_union(tmp_path: Path) -> None:
    data = _dev()
    data["state"] = {"backend": "gcs", "bucket": "b-state", "prefx": "x"}
    message = _problems(tmp_path, data)
    assert "state.prefx: unknown key (did you mean 'prefix'?)" in message


def test_wrong_type_shows_value_and_expectation(tmp_path: Path) -> None:
    data = _dev()
    data["tenants"][0]["worker_groups"][0]["max_replicas"] = "many"
    message = _problems(tmp_path, data)
    assert 'tenants[0].worker_groups[0].max_replicas: "many" is not allowed' in message
    assert "integer" in message


def test_invalid_cidr(tmp_path: Path) -> None:
    data = _dev()
    data["network"]["subnet_cidr"] = "10.10.0.1/20"
    message = _problems(tmp_path, data)
    assert 'network.subnet_cidr: "10.10.0.1/20" is not allowed: must be an IPv4 CIDR range' in message


def test_overlapping_cidrs_name_both_fields(tmp_path: Path) -> None:
    data = _dev()
    data["network"]["services_cidr"] = "10.20.128.0/20"
    message = _problems(tmp_path, data)
    assert "network.services_cidr" in message and "overlaps network.pods_cidr (10.20.0.0/16)" in message


def test_overlap_with_a_peered_range(tmp_path: Path) -> None:
    data = _dev()
    data["network"]["peered_cidrs"] = ["10.0.0.0/8"]
    message = _problems(tmp_path, data)
    assert "network.peered_cidrs[0]" in message and "overlaps network.subnet_cidr" in message


def test_tenant_name_must_be_a_dns_label(tmp_path: Path) -> None:
    data = _dev()
    data["tenants"][0]["name"] = "Team_A"
    message = _problems(tmp_path, data)
    assert 'tenants[0].name: "Team_A" is not allowed: must be a DNS-1123 label' in message


def test_duplicate_tenant(tmp_path: Path) -> None:
    data = _dev()
    data["tenants"][1]["name"] = "team-a"
    message = _problems(tmp_path, data)
    assert 'tenants[1].name: "team-a" is not allowed: duplicate tenant' in message


def test_zone_outside_region(tmp_path: Path) -> None:
    data = _dev()
    data["zones"] = ["europe-west4-a"]
    message = _problems(tmp_path, data)
    assert 'zones[0]: "europe-west4-a" is not allowed: zone is not in region europe-west1' in message


def test_messages_carry_the_line_number(tmp_path: Path) -> None:
    text = (ENVIRONMENTS / "dev.yaml").read_text().replace("region: europe-west1", "region: Europe")
    message = _problems(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("region:"))
    assert f"line {line}: region:" in message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    data = _dev()
    data["region"] = "nowhere"
    data["project_id"] = "X"
    message = _problems(tmp_path, data)
    assert "(2 problems)" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.__setitem__("colour", "blue"), "colour: unknown key"),
        (lambda d: d["network"].__setitem__("control_plane_cidr", "172.16.0.0/24"), "must be a /28"),
        (lambda d: d["tenants"].append(dict(d["tenants"][0])), "duplicate tenant"),
    ],
)
def test_cli_exits_2_with_one_message_and_writes_nothing(tmp_path: Path, mutate, expected: str) -> None:
    data = _dev()
    mutate(data)
    path = _write(tmp_path, data)
    outdir = tmp_path / "cdktf.out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
        timeout=120,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith(f"rayfort: {path} is not a valid rayfort environment")
    assert not outdir.exists()
    assert not list(tmp_path.glob(".cdktf.out*"))


def test_cli_leaves_previous_output_untouched_on_failure(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "network").mkdir(parents=True)
    marker = outdir / "stacks" / "network" / "cdk.tf.json"
    marker.write_text("{}")
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
        timeout=120,
    )
    assert result.returncode == 2 and "file not found" in result.stderr
    assert marker.read_text() == "{}"
