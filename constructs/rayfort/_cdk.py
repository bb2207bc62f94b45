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
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

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
if FRAMEWORK == "cdktn":
    # cdktn records a JavaScript stack trace with every token, for error messages only; skipping it
    # saves about a tenth of a large synth's CPU (1.3 of 12.6 s with 50 tenants) and changes no output.
    # Set it to 0 to see where a bad token came from.
    os.environ.setdefault("CDKTN_DISABLE_CREATION_STACK", "1")


@contextlib.contextmanager
def _lazy_provider_modules() -> Iterator[None]:
    """Preload ``LAZY_PROVIDER_MODULES`` into the jsii runtime that the framework's import starts.

    jsii starts node once per process, with this process's environment, when the first assembly
    loads; ``NODE_OPTIONS`` is set only for that start and then restored, so nothing else this
    process runs inherits it. If the runtime is already running (an app imported the framework
    before rayfort), nothing changes: providers then load the usual way, with the same output.
    """
    if os.environ.get(PROVIDER_IMPORT_ENV, "lazy") == "eager":
        yield
        return
    before = os.environ.get("NODE_OPTIONS")
    preload = f'--require "{LAZY_PROVIDER_MODULES}"'
    os.environ["NODE_OPTIONS"] = f"{before} {preload}" if before else preload
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = before


with _lazy_provider_modules():
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

from constructs import Construct, IConstruct  # noqa: E402

__all__ = [
    "FRAMEWORK",
    "FRAMEWORKS",
    "FRAMEWORK_ENV",
    "LAZY_PROVIDER_MODULES",
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
    "implements",
]
