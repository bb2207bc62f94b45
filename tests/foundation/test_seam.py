"""Only the two seam modules import the CDK framework, its runtime or a provider package.

``rayfort/_cdk.py`` picks the framework (cdktf or cdktn) and ``rayfort/_providers.py``
(with its stub) the provider packages; the library, the app and the tools use
their names. Anything else importing cdktf, cdktn, constructs, jsii or a prebuilt
provider would break the other framework, or load a provider the usual (slow) way.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

SEAM = {
    ROOT / "constructs" / "rayfort" / "_cdk.py",
    ROOT / "constructs" / "rayfort" / "_providers.py",
    ROOT / "constructs" / "rayfort" / "_providers.pyi",
}
SCANNED = (ROOT / "constructs", ROOT / "stacks", ROOT / "main.py", ROOT / "tools")
FRAMEWORK_MODULE = re.compile(r"^(cdktf|cdktn|constructs|jsii|cdktf_cdktf_provider_\w+|cdktn_provider_\w+)(\.|$)")
DYNAMIC_IMPORTS = {"import_module", "__import__", "find_spec"}


def imported_modules(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``, static or by a constant name (importlib.import_module)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def framework_imports(source: str, filename: str = "<source>") -> list[str]:
    return [
        f"line {line}: {module}"
        for line, module in imported_modules(source, filename)
        if FRAMEWORK_MODULE.match(module)
    ]


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for root in SCANNED:
        candidates = [root] if root.is_file() else [*root.rglob("*.py"), *root.rglob("*.pyi")]
        files += [
            path for path in candidates if not any(part.startswith(".") or part == "build" for part in path.parts)
        ]
    return sorted(files)


def test_the_scan_covers_the_library_the_app_and_the_tools() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in _scanned_files()}
    assert {
        "main.py",
        "stacks/app.py",
        "constructs/rayfort/stacks/gke.py",
        "tools/rayfort_tools/judges/runner.py",
    } <= files
    assert {path.relative_to(ROOT).as_posix() for path in SEAM} <= files


def test_only_the_seam_modules_import_the_framework_or_a_provider() -> None:
    offenders = {
        path.relative_to(ROOT).as_posix(): found
        for path in _scanned_files()
        if path not in SEAM and (found := framework_imports(path.read_text(), str(path)))
    }
    assert offenders == {}, "import these names from rayfort._cdk or rayfort._providers instead"


@pytest.mark.parametrize(
    "source",
    [
        "import cdktf",
        "from cdktn import App",
        "from constructs import Construct",
        "import cdktf_cdktf_provider_google.compute_network",
        "from cdktn_provider_helm.release import Release",
        "from jsii import implements",
        "import importlib\nimportlib.import_module('cdktf_cdktf_provider_google')",
        "def f():\n    from cdktf import Fn\n",
    ],
)
def test_the_guard_sees_each_way_of_importing(source: str) -> None:
    assert framework_imports(source)


@pytest.mark.parametrize("source", ["from rayfort._cdk import App", "import rayfort.constructs_helpers", "import json"])
def test_the_guard_lets_other_imports_be(source: str) -> None:
    assert framework_imports(source) == []
