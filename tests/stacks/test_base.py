"""What every stack shares: the Google provider labels every resource with the keys our billing reports read."""

from __future__ import annotations

import pytest

from tests.conftest import SHIPPED, environment


@pytest.mark.parametrize("name", SHIPPED)
def test_every_stack_labels_its_resources_with_the_documented_keys(synthesized, name: str) -> None:
    """Label keys are written as documented (`cost-center`, `managed-by`), not snake-cased by the framework."""
    env = environment(name)
    for stack_id, stack in synthesized[name].items():
        [google] = stack["provider"]["google"]
        assert google["default_labels"] == {
            "managed-by": "rayfort",
            "environment": env.name,
            "team": env.labels.team,
            "cost-center": env.labels.cost_center,
            "stack": stack_id,
        }, stack_id
