"""The only module that imports the CDK framework.

CDKTF is archived upstream and its community fork has the same API under other
module names. Everything in rayfort imports framework names from here, so moving
to the fork changes this file and ``_providers.py`` and nothing else.
"""

import os

# jsii prints a banner on every synth when node is past its end of life; the
# warning is about jsii's support window, not about rayfort's output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from cdktf import (  # noqa: E402
    Annotations,
    App,
    Aspects,
    CloudBackend,
    Fn,
    GcsBackend,
    IAspect,
    LocalBackend,
    NamedCloudWorkspace,
    TerraformDataSource,
    TerraformElement,
    TerraformOutput,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformStack,
    Token,
)
from jsii import implements  # noqa: E402

from constructs import Construct, IConstruct  # noqa: E402

__all__ = [
    "Annotations",
    "App",
    "Aspects",
    "CloudBackend",
    "Construct",
    "Fn",
    "GcsBackend",
    "IAspect",
    "IConstruct",
    "LocalBackend",
    "NamedCloudWorkspace",
    "TerraformDataSource",
    "TerraformElement",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformProviderGeneratorMetadata",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "Token",
    "implements",
]
