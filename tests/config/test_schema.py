"""The JSON Schema catches what the models catch where JSON Schema can say it; the rest is listed here.

Every bad-input fixture that is valid YAML is validated against environments/schema.json. The ones the
schema lets through are exactly MODELS_ONLY, each with why JSON Schema cannot say it, so the gap is known
and a change in either direction fails this test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import jsonschema
import pytest

from rayfort.config import _yaml
from rayfort.config.schema import SCHEMA_ID
from tests.config.bad_inputs import MODEL_CASES, YAML_CASES
from tests.conftest import ENVIRONMENTS, SHIPPED

SCHEMA = json.loads((ENVIRONMENTS / "schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

MODELS_ONLY = {
    "node label in kubernetes.io": "an exception list of kubelet namespaces; a pattern would be unreadable",
    "min above max in a node pool": "compares two fields",
    "repeated worker group": "compares items of a list by one field",
    "worker ports overlap": "compares a range with Ray's fixed ports",
    "CIDR with host bits": "arithmetic on the address and the prefix length",
    "developer token expiry on a KubeRay tenant": "depends on the tenant's runtime and token settings",
    "quota exceeded": "counts what every tenant's settings create",
    "wildcard certificate deeper than one label": "compares a tenant's host with the zone and the certificate mode",
}


def _errors(text: str) -> list[str]:
    return _messages(VALIDATOR.iter_errors(_yaml.parse(text).data))


def _messages(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    """Every message, including those of the alternatives of an anyOf (optional settings)."""
    return [message for error in errors for message in (error.message, *_messages(error.context or []))]


def test_the_schema_is_a_valid_2020_12_schema_with_a_stable_id() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == SCHEMA_ID and SCHEMA_ID.startswith("https://")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_schema_accepts_every_shipped_environment(name: str) -> None:
    assert _errors((ENVIRONMENTS / f"{name}.yaml").read_text()) == []


def test_the_schema_catches_every_fixture_but_those_only_the_models_can() -> None:
    missed = {name for name, case in MODEL_CASES.items() if not _errors(case.text)}
    assert missed == set(MODELS_ONLY)


@pytest.mark.parametrize("name", YAML_CASES)
def test_yaml_level_fixtures_never_reach_the_schema(name: str) -> None:
    with pytest.raises(_yaml.YamlProblem):
        _yaml.parse(_yaml.decode(YAML_CASES[name].text.encode("utf-8", "surrogateescape")))


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("tenants", 1, "name"), "Team-B", "does not match"),
        (("network", "subnet_cidr"), "10.10.1.0/33", "does not match"),
        (("cluster", "security_group"), "not-an-email", "is not a 'email'"),
        (("project_id",), "Proj", "does not match"),
    ],
)
def test_the_issue_examples_are_refused_by_an_editor(path: tuple, value: str, expected: str) -> None:
    data = _yaml.parse((ENVIRONMENTS / "dev.yaml").read_text()).data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    assert any(expected in message for message in _messages(VALIDATOR.iter_errors(data)))
