"""Snapshots of the exposure stack for Gateway API and Ingress with every option on.

The shipped environments' snapshots (tests/synth) cover Ingress (dev, prod)
and internal access only (airgapped).
"""

from __future__ import annotations

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.exposure.conftest import TEST_ENVIRONMENTS


@pytest.mark.parametrize("name", sorted(TEST_ENVIRONMENTS))
def test_exposure_stack_snapshot(exposure_stacks, snapshot, name: str) -> None:
    assert exposure_stacks[name] == snapshot.use_extension(JSONSnapshotExtension)(name=f"{name}-exposure")
