"""Plain data crosses to the jsii runtime as one string of JSON, and resolves to what the usual way gives.

rayfort/_json_data.cjs, preloaded by rayfort._cdk, lets the framework's Token.asAny take
"\\0rayfort-json\\0" + JSON; a stack's Kubernetes objects cross that way when ``json_data`` finds them plain
data, and the usual way otherwise.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rayfort import _cdk
from rayfort._cdk import JSON_DATA, App, Fn, IResolvable, TerraformOutput, TerraformStack, Token, as_any_json, json_data

PLAIN = {
    "apiVersion": "v1",
    "metadata": {"name": "team-a", "labels": {"é": "ü", "😀": "\u2028", "quote": '" \\ / \n\t'}},
    "spec": {"ports": [{"port": 10001, "weight": 0.25, "ratio": 1e21, "tiny": 2.5e-7}], "empty": [], "none": {}},
    "flags": [True, False, -0.0, 12345678901234567],
    "terraform": "${kubernetes_manifest.namespace_object_71CB9A2D.manifest.metadata.name}",
}


def as_any_data(value: Any) -> IResolvable:
    """``value`` as a resolvable the way rayfort.k8s.manifest hands a block over: as JSON when it is plain data."""
    text = json_data(value)
    return Token.as_any(value) if text is None else as_any_json(text)


def _synthesized(tmp_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    app = App(outdir=str(tmp_path), skip_validation=True)
    stack = TerraformStack(app, "stack")
    for name, value in values.items():
        TerraformOutput(stack, name, value=value)
    app.synth()
    return json.loads((tmp_path / "stacks" / "stack" / "cdk.tf.json").read_text())["output"]


def test_the_suite_s_runtime_takes_json_data() -> None:
    assert _cdk._PRELOADED, "rayfort._cdk started this runtime, with its preloads"


@pytest.mark.parametrize(
    "value",
    [
        PLAIN,
        [PLAIN, PLAIN["spec"]],
        {"with-null": None, "nested": [1, None]},  # the kernel drops nulls: the usual way
        {"not-json": Token.as_any("a resolvable, which JSON cannot write")},
        "a string",
    ],
    ids=["plain", "list", "nulls", "resolvable", "string"],
)
def test_data_resolves_as_the_usual_way_resolves_it(tmp_path: Path, value: Any) -> None:
    outputs = _synthesized(tmp_path, {"usual": Token.as_any(value), "json": as_any_data(value)})
    assert outputs["json"]["value"] == outputs["usual"]["value"]


def test_tokens_inside_json_data_still_resolve(tmp_path: Path) -> None:
    value = {"upper": Fn.upper("team-a"), "list": [Fn.lower("B")]}
    outputs = _synthesized(tmp_path, {"usual": Token.as_any(value), "json": as_any_data(value)})
    assert (
        outputs["json"]["value"]
        == outputs["usual"]["value"]
        == {"upper": '${upper("team-a")}', "list": ['${lower("B")}']}
    )


def test_only_plain_data_is_sent_as_json(monkeypatch) -> None:
    sent = []
    monkeypatch.setattr(_cdk.Token, "as_any", lambda value: sent.append(value))
    as_any_data(PLAIN)
    as_any_data({"with-null": None})
    monkeypatch.setattr(_cdk, "_PRELOADED", False)  # a runtime another import started has no preload
    as_any_data(PLAIN)
    assert isinstance(sent[0], str) and sent[0].startswith("\0rayfort-json\0")
    assert sent[1:] == [{"with-null": None}, PLAIN]


TOKEN_MODULE = "exports.Token = class Token { static asAny(value) { return { resolved: value }; } };\n"
CALLS = """
const result = {};
for (const name of process.argv.slice(1)) {
  result[name] = require(name).Token.asAny("\\u0000rayfort-json\\u0000" + JSON.stringify({ a: [1, "b"] }));
}
console.log(JSON.stringify(result));
"""


def test_the_preload_wraps_only_the_framework_s_token(tmp_path: Path) -> None:
    for package in ("cdktf", "cdktn", "other"):
        module = tmp_path / "node_modules" / package / "lib" / "tokens" / "token.js"
        module.parent.mkdir(parents=True)
        module.write_text(TOKEN_MODULE)
    names = [f"{package}/lib/tokens/token" for package in ("cdktf", "cdktn", "other")]
    completed = subprocess.run(
        ["node", "--require", str(JSON_DATA), "-e", CALLS, *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stderr == ""
    result = json.loads(completed.stdout)
    assert result[names[0]] == result[names[1]] == {"resolved": {"a": [1, "b"]}}
    assert result[names[2]] == {"resolved": "\0rayfort-json\0" + '{"a":[1,"b"]}'}, (
        "another package's Token is left alone"
    )
