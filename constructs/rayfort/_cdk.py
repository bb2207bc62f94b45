"""The only module that imports the CDK framework: CDK for Terraform (``cdktf``) or CDK Terrain (``cdktn``).

CDK for Terraform is archived upstream; CDK Terrain is its maintained fork with
the same API under other module names. Everything in rayfort imports framework
names from here, and provider classes from ``_providers.py``, so the choice
between the two lives in these two modules and nowhere else.

The framework is the one named by ``RAYFORT_FRAMEWORK`` (``cdktf`` or
``cdktn``); without it, cdktf when it is installed (the default), else cdktn.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rayfort.processes import children

FRAMEWORK_ENV = "RAYFORT_FRAMEWORK"
FRAMEWORKS = ("cdktf", "cdktn")
PROVIDER_IMPORT_ENV = "RAYFORT_PROVIDER_IMPORT"
"""``eager`` loads provider packages the usual way, in Python (``_providers``) and in the jsii runtime."""
LAZY_PROVIDER_MODULES = Path(__file__).with_name("_lazy_provider_modules.cjs")
"""The jsii runtime's preload that loads a provider package's JavaScript modules when first used."""


def _selected() -> str:
    named = os.environ.get(FRAMEWORK_ENV)
    if named:
        if named not in FRAMEWORKS:
            raise ImportError(f"{FRAMEWORK_ENV}={named!r}: rayfort runs on one of {', '.join(FRAMEWORKS)}")
        return named
    installed = [name for name in FRAMEWORKS if importlib.util.find_spec(name) is not None]
    return installed[0] if installed else FRAMEWORKS[0]


FRAMEWORK = _selected()
"""The CDK framework this process synthesizes with: ``cdktf`` or ``cdktn``."""

# jsii prints a banner on every synth when node is past its end of life; the
# warning is about jsii's support window, not about rayfort's output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

CREATION_STACKS_ENV = "RAYFORT_TOKEN_CREATION_STACKS"
"""``keep``: the framework records where each token was created, shown when one fails to resolve."""
NO_TOKEN_CREATION_STACKS = Path(__file__).with_name("_no_token_creation_stacks.cjs")
"""The jsii runtime's preload that turns cdktf's token creation stacks off (cdktn has a switch for it)."""
JSON_DATA = Path(__file__).with_name("_json_data.cjs")
"""The jsii runtime's preload that lets ``Token.asAny`` take plain data as JSON text (``as_any_json``)."""
_JSON_DATA_PREFIX = "\0rayfort-json\0"

# Both frameworks record an unlimited JavaScript stack trace with every token, for error messages
# only; without them a 500-tenant synth needs 100-300 MB and about a tenth of its CPU less, with the
# same output. RAYFORT_TOKEN_CREATION_STACKS=keep shows where a bad token came from.
_KEEP_CREATION_STACKS = os.environ.get(CREATION_STACKS_ENV) == "keep"
if FRAMEWORK == "cdktn" and not _KEEP_CREATION_STACKS:
    os.environ.setdefault("CDKTN_DISABLE_CREATION_STACK", "1")


def _runtime_preloads() -> list[Path]:
    preloads = [JSON_DATA]
    if os.environ.get(PROVIDER_IMPORT_ENV, "lazy") != "eager":
        preloads.append(LAZY_PROVIDER_MODULES)
    if FRAMEWORK == "cdktf" and not _KEEP_CREATION_STACKS:
        preloads.append(NO_TOKEN_CREATION_STACKS)
    return preloads


@contextlib.contextmanager
def _runtime_started_with_preloads() -> Iterator[None]:
    """Preload ``_runtime_preloads()`` into the jsii runtime that the framework's import starts.

    jsii starts node once per process, with this process's environment, when the first assembly
    loads; ``NODE_OPTIONS`` is set only for that start and then restored, so nothing else this
    process runs inherits it. If the runtime is already running (an app imported the framework
    before rayfort), nothing changes: providers then load the usual way, with the same output.
    """
    preloads = " ".join(f'--require "{preload}"' for preload in _runtime_preloads())
    if not preloads:
        yield
        return
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = f"{before} {preloads}" if before else preloads
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = before


_before_import = children()
_jsii_imported_before = "jsii" in sys.modules

with _runtime_started_with_preloads():
    # Type checkers and editors read cdktf's names (the default); cdktn's are the same classes.
    if TYPE_CHECKING or FRAMEWORK == "cdktf":
        from cdktf import (
            Annotations,
            App,
            Aspects,
            CloudBackend,
            DataResource,
            Fn,
            GcsBackend,
            IAspect,
            IResolvable,
            IResolveContext,
            LocalBackend,
            NamedCloudWorkspace,
            Precondition,
            TerraformDataSource,
            TerraformElement,
            TerraformOutput,
            TerraformProvider,
            TerraformProviderGeneratorMetadata,
            TerraformResource,
            TerraformResourceLifecycle,
            TerraformStack,
            TerraformVariable,
            TerraformVariableValidationConfig,
            Token,
        )
    else:
        from cdktn import (
            Annotations,
            App,
            Aspects,
            CloudBackend,
            DataResource,
            Fn,
            GcsBackend,
            IAspect,
            IResolvable,
            IResolveContext,
            LocalBackend,
            NamedCloudWorkspace,
            Precondition,
            TerraformDataSource,
            TerraformElement,
            TerraformOutput,
            TerraformProvider,
            TerraformProviderGeneratorMetadata,
            TerraformResource,
            TerraformResourceLifecycle,
            TerraformStack,
            TerraformVariable,
            TerraformVariableValidationConfig,
            Token,
        )
from jsii import implements  # noqa: E402

_after_import = children()
_PRELOADED = (
    not _jsii_imported_before
    if _before_import is None or _after_import is None
    else bool(_after_import - _before_import)
)
"""The jsii runtime started with the framework's import above, so with ``_runtime_preloads()``: a process of its
own appeared (without /proc: jsii was not imported before). Otherwise another import started it earlier."""

_NULL = re.compile(r"[:,\[]null[,\]}]")


def json_data(value: Any) -> str | None:
    """``value`` as compact JSON when it can cross to the runtime as text (``as_any_json``); None otherwise.

    It can when the runtime started with rayfort's preloads and ``value`` is plain data: what JSON writes
    back unchanged (no resolvable or other object) and has no null (the kernel drops nulls, JSON keeps them).
    """
    if not _PRELOADED:
        return None
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return None if _NULL.search(text) else text


def as_any_json(text: str) -> IResolvable:
    """``Token.as_any`` of the value ``text`` (from ``json_data``) spells, which the runtime parses (_json_data.cjs)."""
    return Token.as_any(_JSON_DATA_PREFIX + text)


from constructs import Construct, IConstruct  # noqa: E402

__all__ = [
    "FRAMEWORK",
    "FRAMEWORKS",
    "CREATION_STACKS_ENV",
    "FRAMEWORK_ENV",
    "LAZY_PROVIDER_MODULES",
    "NO_TOKEN_CREATION_STACKS",
    "PROVIDER_IMPORT_ENV",
    "Annotations",
    "App",
    "Aspects",
    "CloudBackend",
    "Construct",
    "DataResource",
    "Fn",
    "GcsBackend",
    "IAspect",
    "IConstruct",
    "IResolvable",
    "IResolveContext",
    "LocalBackend",
    "NamedCloudWorkspace",
    "Precondition",
    "TerraformDataSource",
    "TerraformElement",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformProviderGeneratorMetadata",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "TerraformVariable",
    "TerraformVariableValidationConfig",
    "Token",
    "as_any_json",
    "json_data",
    "implements",
]
