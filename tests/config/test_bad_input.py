"""Every kind of bad input gets one clear message, exit code 2, no traceback and no output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rayfort.config import ConfigError, Environment, load_environment
from rayfort.config.cluster import NodePool
from tests.config.bad_inputs import _MERGED, CASES, DEV
from tests.conftest import ENVIRONMENTS, ROOT
from tests.environments import shipped


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
    data = shipped("dev")
    data["cluster"]["relase_channel"] = "STABLE"
    message = _problems(tmp_path, data)
    assert "cluster.relase_channel: unknown key (did you mean 'release_channel'?)" in message
    assert "allowed keys here:" in message


def test_unknown_key_inside_a_list_item(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][1]["group"] = {}
    message = _problems(tmp_path, data)
    assert "tenants[1].group: unknown key (did you mean 'groups'?)" in message


def test_unknown_key_in_a_discriminated_union(tmp_path: Path) -> None:
    data = shipped("dev")
    data["state"] = {"backend": "gcs", "bucket": "b-state", "prefx": "x"}
    message = _problems(tmp_path, data)
    assert "state.prefx: unknown key (did you mean 'prefix'?)" in message


def test_wrong_type_shows_value_and_expectation(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["worker_groups"][0]["max_replicas"] = "many"
    message = _problems(tmp_path, data)
    assert 'tenants[0].worker_groups[0].max_replicas: "many" is not allowed' in message
    assert "integer" in message


def test_invalid_cidr(tmp_path: Path) -> None:
    data = shipped("dev")
    data["network"]["subnet_cidr"] = "10.10.0.1/20"
    message = _problems(tmp_path, data)
    assert 'network.subnet_cidr: "10.10.0.1/20" is not allowed: must be an IPv4 CIDR range' in message


def test_overlapping_cidrs_name_both_fields(tmp_path: Path) -> None:
    data = shipped("dev")
    data["network"]["services_cidr"] = "10.20.128.0/20"
    message = _problems(tmp_path, data)
    assert "network.services_cidr" in message and "overlaps network.pods_cidr (10.20.0.0/16)" in message


def test_overlap_with_a_peered_range(tmp_path: Path) -> None:
    data = shipped("dev")
    data["network"]["peered_cidrs"] = ["10.0.0.0/8"]
    message = _problems(tmp_path, data)
    assert "network.peered_cidrs[0]" in message and "overlaps network.subnet_cidr" in message


def test_tenant_name_must_be_a_dns_label(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][0]["name"] = "Team_A"
    message = _problems(tmp_path, data)
    assert 'tenants[0].name: "Team_A" is not allowed: must be a DNS-1123 label' in message


def test_duplicate_tenant(tmp_path: Path) -> None:
    data = shipped("dev")
    data["tenants"][1]["name"] = "team-a"
    message = _problems(tmp_path, data)
    assert 'tenants[1].name: "team-a" is not allowed: duplicate tenant' in message


def test_zone_outside_region(tmp_path: Path) -> None:
    data = shipped("dev")
    data["zones"] = ["europe-west4-a"]
    message = _problems(tmp_path, data)
    assert 'zones[0]: "europe-west4-a" is not allowed: zone is not in region europe-west1' in message


def test_messages_carry_the_line_number(tmp_path: Path) -> None:
    text = (ENVIRONMENTS / "dev.yaml").read_text().replace("region: europe-west1", "region: Europe")
    message = _problems(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("region:"))
    assert f"line {line}: region:" in message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    data = shipped("dev")
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
    data = shipped("dev")
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


def _load_text(tmp_path: Path, text: str) -> Environment:
    path = tmp_path / "env.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return load_environment(path)


@pytest.mark.parametrize("name", CASES)
def test_each_bad_input_gets_one_message_at_its_line_and_field(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, case.text)
    message = str(caught.value)
    assert len(caught.value.problems) == 1, message
    assert caught.value.problems[0].startswith(case.expected[0]), message
    for fragment in case.expected[1:]:
        assert fragment in message


def test_a_file_over_the_size_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "env.yaml"
    path.write_bytes(b"#" * (2 << 20))
    with pytest.raises(ConfigError, match=r"the file is 2\.0 MiB; an environment file may be at most 1 MiB"):
        load_environment(path)


def test_an_endless_stream_is_read_only_up_to_the_limit() -> None:
    with pytest.raises(ConfigError, match="the stream is longer than 1 MiB"):
        load_environment(Path("/dev/zero"))


def test_a_directory_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "env.yaml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot be read: Is a directory"):
        load_environment(folder)


def test_merge_keys_share_a_block_and_own_keys_win(tmp_path: Path) -> None:
    env = _load_text(tmp_path, _MERGED)
    shared, merged = env.tenants[0].worker_groups[0], env.tenants[1].worker_groups[0]
    assert (merged.name, merged.min_replicas, merged.max_replicas) == ("cpu", shared.min_replicas, 2)
    assert merged.resources == shared.resources


def test_merge_keys_take_a_list_and_the_first_mapping_wins(tmp_path: Path) -> None:
    text = DEV.replace(
        "labels:\n  team: ml-platform\n  cost_center: cc-0000\n",
        "labels:\n  <<: [{team: first}, {team: second, cost_center: from-second}]\n",
    )
    env = _load_text(tmp_path, text)
    assert (env.labels.team, env.labels.cost_center) == ("first", "from-second")


def test_a_repeated_merge_key_says_how_to_merge_several(tmp_path: Path) -> None:
    text = DEV.replace("  team: ml-platform\n", "  <<: {team: a}\n  <<: {team: b}\n")
    with pytest.raises(ConfigError, match=r"'<<' is repeated \(first at line 10\); merge several mappings"):
        _load_text(tmp_path, text)


def test_unquoted_timestamps_stay_the_text_written(tmp_path: Path) -> None:
    text = DEV.replace(
        "cluster:\n",
        "cluster:\n  maintenance_window:\n"
        "    start_time: 2026-01-03T01:00:00+01:00\n    end_time: 2026-01-04T08:00:00Z\n",
    )
    window = _load_text(tmp_path, text).cluster.maintenance_window
    assert (window.start_time, window.end_time) == ("2026-01-03T01:00:00+01:00", "2026-01-04T08:00:00Z")
    message = _problems(tmp_path, DEV.replace("name: dev", "name: 2026-01-01"))
    assert 'name: "2026-01-01" is not allowed' in message


def test_kubernetes_names_that_are_valid_are_accepted() -> None:
    labels = {"example.com/pool": "ray-cpu", "node.kubernetes.io/role": "ray", "workload": "", "A.b-c_d": "X.y"}
    pool = NodePool(name="pool", labels=labels, taints=[{"key": "example.com/dedicated", "value": "ray"}])
    assert pool.labels == labels and pool.taints[0].key == "example.com/dedicated"


@pytest.mark.parametrize(
    "reference", ["oauth-client", "projects/rayfort-dev-000000/secrets/oauth_client", "projects/123456/secrets/x"]
)
def test_secret_references_by_id_or_resource_name(tmp_path: Path, reference: str) -> None:
    text = DEV.replace("exposure:\n  api", f"exposure:\n  custom_oauth_secret: {reference}\n  api")
    assert _load_text(tmp_path, text).exposure.custom_oauth_secret == reference


@pytest.mark.parametrize(
    "reference", ["../../../etc/passwd", "projects/p/secrets/x", "projects/rayfort-dev-000000/secrets/", "a/b", ""]
)
def test_secret_references_that_are_not_secret_names(tmp_path: Path, reference: str) -> None:
    text = DEV.replace("exposure:\n  api", f"exposure:\n  custom_oauth_secret: '{reference}'\n  api")
    assert "must be a Secret Manager secret" in _problems(tmp_path, text)


def test_a_recurrence_is_stored_in_upper_case(tmp_path: Path) -> None:
    text = DEV.replace(
        "cluster:\n", "cluster:\n  maintenance_window: {recurrence: 'freq=monthly;bysetpos=1;byday=sa,su'}\n"
    )
    window = _load_text(tmp_path, text).cluster.maintenance_window
    assert window.recurrence == "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU"


def test_spanning_rules_of_the_kms_point_at_the_field(tmp_path: Path) -> None:
    text = DEV.replace(
        "cluster:\n",
        "cluster:\n  kms:\n    existing:\n"
        "      boot_disk_key: projects/rayfort-dev-000000/locations/europe-west1/keyRings/r/cryptoKeys/b\n"
        "      secrets_key: projects/rayfort-dev-000000/locations/europe-west1/keyRings/r/cryptoKeys/s\n",
    )
    line = text.splitlines().index("    existing:") + 1
    assert f"line {line}: cluster.kms.existing:" in _problems(tmp_path, text)


def test_the_largest_quantities_at_the_most_replicas_are_refused_without_overflow(tmp_path: Path) -> None:
    text = DEV.replace("max_replicas: 3", "max_replicas: 2147483647").replace(
        'resources: {cpu: "1", memory: 4Gi}', 'resources: {cpu: "9223372036854775807", memory: 7Ti}', 1
    )
    message = _problems(tmp_path, text)
    assert "tenants[0].worker_groups[0]" in message and "fits no node" in message


def test_a_file_with_many_problems_lists_the_first_fifty(tmp_path: Path) -> None:
    message = _problems(tmp_path, DEV + "".join(f"extra{i}: 1\n" for i in range(60)))
    assert "(60 problems)" in message and "  - ... and 10 more" in message
    assert message.count("\n  - ") == 51


def test_a_repeated_access_level_points_at_the_second_name(tmp_path: Path) -> None:
    text = (ENVIRONMENTS / "prod.yaml").read_text()
    text = text.replace(
        "      - name: corp_network\n        ip_subnetworks: [203.0.113.0/24]\n",
        "      - name: corp_network\n        ip_subnetworks: [203.0.113.0/24]\n"
        "      - name: corp_network\n        ip_subnetworks: [198.51.100.0/24]\n",
    )
    rows = text.splitlines()
    line = [i for i, row in enumerate(rows, 1) if row == "      - name: corp_network"][1]
    message = _problems(tmp_path, text)
    assert f'line {line}: network.service_controls.access_levels[1].name: "corp_network"' in message


def test_true_where_text_is_expected_gets_the_hint_to_quote_it(tmp_path: Path) -> None:
    message = _problems(tmp_path, DEV.replace("cost_center: cc-1001", "cost_center: yes"))
    assert "tenants[0].cost_center: true is not allowed" in message
    assert 'YAML reads the unquoted yes as true/false: quote it ("yes")' in message
