"""A synthesized app read back (rayfort.synthesized): all at once, or one stack at a time as the synth's checks do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rayfort.synthesized import SynthesizedStacks, read_stacks


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    stacks = {"network": {"resource": {"google_compute_network": {"vpc": {}}}}, "gke": {"resource": {}}}
    for name, tf_json in stacks.items():
        (tmp_path / "stacks" / name).mkdir(parents=True)
        (tmp_path / "stacks" / name / "cdk.tf.json").write_text(json.dumps(tf_json))
    # A directory the manifest does not list (one the cdktf CLI is about to remove) is not part of the app.
    (tmp_path / "stacks" / "gone").mkdir()
    (tmp_path / "stacks" / "gone" / "cdk.tf.json").write_text("{}")
    manifest = {name: {"synthesizedStackPath": f"stacks/{name}/cdk.tf.json"} for name in stacks}
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": manifest}))
    return tmp_path


def test_stacks_read_one_at_a_time_are_the_stacks_read_at_once(outdir: Path) -> None:
    lazy = SynthesizedStacks(outdir)
    assert list(lazy) == ["gke", "network"] == list(read_stacks(outdir))
    assert dict(lazy) == read_stacks(outdir)
    assert len(lazy) == 2 and "gone" not in lazy


def test_a_stack_is_parsed_each_time_it_is_asked_for_and_not_kept(outdir: Path) -> None:
    stacks = SynthesizedStacks(outdir)
    stacks["network"]["resource"].clear()
    assert stacks["network"]["resource"] == {"google_compute_network": {"vpc": {}}}
    with pytest.raises(KeyError):
        stacks["gone"]
