"""Tokens carry no creation stack unless asked for: the same output, with less memory and CPU in the jsii runtime.

cdktn has a switch for it (CDKTN_DISABLE_CREATION_STACK, which rayfort sets); cdktf has none, so
rayfort preloads rayfort/_no_token_creation_stacks.cjs into its runtime. RAYFORT_TOKEN_CREATION_STACKS=keep
keeps the stacks under either framework. That the output is the same either way is proven with the
usual provider import (tests/synth/test_app.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort._cdk import CREATION_STACKS_ENV, FRAMEWORK, FRAMEWORK_ENV, NO_TOKEN_CREATION_STACKS
from tests.conftest import ROOT

RECORDER = 'exports.captureStackTrace = () => ["created here"];\n'
USER = 'const trace = require("{request}");\nexports.created = () => trace.captureStackTrace();\n'
CALLS = """
const created = {};
for (const name of process.argv.slice(1)) created[name] = require(name).created();
console.log(JSON.stringify(created));
"""


def _module(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def test_the_preload_empties_cdktf_s_recorder_however_its_modules_require_it(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    for package in ("cdktf", "other"):
        _module(modules, f"{package}/lib/tokens/private/stack-trace.js", RECORDER)
        # cdktf's own modules reach the recorder by three relative paths.
        _module(modules, f"{package}/lib/tokens/private/intrinsic.js", USER.format(request="./stack-trace"))
        _module(modules, f"{package}/lib/tokens/lazy.js", USER.format(request="./private/stack-trace"))
        _module(modules, f"{package}/lib/dynamic.js", USER.format(request="./tokens/private/stack-trace"))
    users = [
        f"{package}/lib/{user}"
        for package in ("cdktf", "other")
        for user in ("tokens/private/intrinsic", "tokens/lazy", "dynamic")
    ]
    completed = subprocess.run(
        ["node", "--require", str(NO_TOKEN_CREATION_STACKS), "-e", CALLS, *users],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert completed.stderr == "", "no warnings from the runtime either"
    created = json.loads(completed.stdout)
    assert [created[user] for user in users[:3]] == [[], [], []]
    assert [created[user] for user in users[3:]] == [["created here"]] * 3, "only cdktf's recorder is emptied"


CREATION_STACK = """
import json
from rayfort._cdk import Token

print(json.dumps(list(Token.as_any("value").creation_stack)))
"""


@pytest.mark.parametrize("keep", [False, True])
def test_a_token_has_a_creation_stack_only_when_asked_for(keep: bool) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in (CREATION_STACKS_ENV, "CDKTN_DISABLE_CREATION_STACK")
    }
    if keep:
        env[CREATION_STACKS_ENV] = "keep"
    completed = subprocess.run(
        [sys.executable, "-c", CREATION_STACK],
        cwd=ROOT,
        env={**env, FRAMEWORK_ENV: FRAMEWORK},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    stack = json.loads(completed.stdout)
    assert bool(stack) is keep, stack
