"""The only module that imports provider classes, and imports them lightly.

Each prebuilt provider package's ``__init__`` imports every one of its
submodules (about 1,470 for google), which costs 10-20 s and ~1 GB before a
synth does any work. Here a package is registered without running its
``__init__``; a class is imported from its own submodule the first time it is
used. ``RAYFORT_PROVIDER_IMPORT=eager`` imports the packages the usual way, so
the benchmark can compare both and the tests can prove the output identical.

Resource classes are reached through namespaces (``google.ContainerCluster``).
Of the kubernetes provider rayfort uses three types: ``kubernetes_manifest``,
the ``kubernetes_resource`` data source and the provider itself. Loading its
prebuilt assembly for them would cost ~300 MB and a second per synth, so
``kubernetes`` defines them on cdktf's generic classes, synthesizing exactly
what the prebuilt ones do (a test compares them byte for byte).
Calling one converts nested plain data (dicts and lists of dicts, snake_case
keys) into the provider's struct classes: jsii converts a nested dict itself but
not the dicts inside a list, which would otherwise reach Terraform unconverted.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from rayfort._cdk import (
    Construct,
    TerraformDataSource,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
)

EAGER_ENV = "RAYFORT_PROVIDER_IMPORT"

_PACKAGES = {
    "google": "cdktf_cdktf_provider_google",
    "kubernetes": "cdktf_cdktf_provider_kubernetes",
    "helm": "cdktf_cdktf_provider_helm",
    "tfe": "cdktf_cdktf_provider_tfe",
}

# Provider configuration classes live in ``provider`` and are not named after it.
_PROVIDER_CLASSES = {"GoogleProvider", "KubernetesProvider", "HelmProvider", "TfeProvider"}


def _register_without_init(package: str) -> None:
    """Make ``package`` importable for its submodules without executing its __init__."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"provider package {package} is not installed")
    shell = types.ModuleType(package)
    shell.__path__ = list(spec.submodule_search_locations)
    shell.__spec__ = spec
    shell.__file__ = spec.origin
    shell.__package__ = package
    sys.modules[package] = shell


def _module_for(class_name: str) -> str:
    if class_name in _PROVIDER_CLASSES:
        return "provider"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


@functools.cache
def _init_hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls.__init__, globalns=vars(module))


def _struct_class(hint: Any) -> type | None:
    """The jsii struct class a type hint accepts directly (not inside a sequence), if any."""
    if isinstance(hint, type):
        return hint if "__jsii_struct_bases__" in vars(hint) else None
    if _is_sequence(hint):
        return None
    for arg in typing.get_args(hint):
        found = _struct_class(arg)
        if found is not None:
            return found
    return None


def _is_sequence(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str


def _sequence_item(hint: Any) -> Any:
    """The item type of the sequence a type hint accepts, if any."""
    if _is_sequence(hint):
        return typing.get_args(hint)[0]
    for arg in typing.get_args(hint):
        found = _sequence_item(arg)
        if found is not None:
            return found
    return None


def _coerce(hint: Any, value: Any) -> Any:
    if isinstance(value, Mapping):
        struct = _struct_class(hint)
        if struct is not None:
            return struct(**_coerce_kwargs(struct, value))
        item = _struct_class(_sequence_item(hint))
        if item is not None:
            # A block the provider models as a list, given as its single element.
            return [item(**_coerce_kwargs(item, value))]
        return value
    if isinstance(value, (list, tuple)):
        item = _struct_class(_sequence_item(hint))
        if item is not None:
            return [item(**_coerce_kwargs(item, v)) if isinstance(v, Mapping) else v for v in value]
        return list(value)
    return value


def _coerce_kwargs(cls: type, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    hints = _init_hints(cls)
    return {key: _coerce(hints.get(key), value) for key, value in kwargs.items()}


class ProviderClass:
    """A provider class that accepts nested plain data and stays usable as the class."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __call__(self, scope: Any, id_: str, /, **kwargs: Any) -> Any:
        return self.cls(scope, id_, **_coerce_kwargs(self.cls, kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cls, name)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self.cls)

    def __repr__(self) -> str:
        return f"ProviderClass({self.cls.__module__}.{self.cls.__qualname__})"


class ProviderNamespace:
    """Classes of one provider package, imported on first use."""

    def __init__(self, package: str) -> None:
        self._package = package
        self._loaded: dict[str, ProviderClass] = {}

    def __getattr__(self, class_name: str) -> ProviderClass:
        if class_name.startswith("_"):
            raise AttributeError(class_name)
        loaded = self._loaded.get(class_name)
        if loaded is None:
            module = importlib.import_module(f"{self._package}.{_module_for(class_name)}")
            loaded = self._loaded[class_name] = ProviderClass(getattr(module, class_name))
        return loaded


def _prepare() -> None:
    eager = os.environ.get(EAGER_ENV, "lazy") == "eager"
    for package in _PACKAGES.values():
        if eager:
            importlib.import_module(package)
        else:
            _register_without_init(package)


_prepare()

_KUBERNETES = TerraformProviderGeneratorMetadata(
    provider_name="kubernetes", provider_version="2.38.0", provider_version_constraint="~> 2.0"
)
_META_ARGUMENTS = ("depends_on", "count", "for_each", "lifecycle", "provider")


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if value is not None}


class KubernetesNamespace:
    """The kubernetes provider's types rayfort uses, with the prebuilt classes' names and arguments."""

    @staticmethod
    def Manifest(
        scope: Construct, id_: str, /, *, manifest: Any, field_manager: dict[str, Any] | None = None, **meta: Any
    ) -> TerraformResource:  # noqa: N802 (the prebuilt class's name)
        unknown = set(meta) - set(_META_ARGUMENTS)
        if unknown:
            raise TypeError(f"kubernetes_manifest takes no {sorted(unknown)} in rayfort's bindings")
        return _Manifest(scope, id_, _present({"manifest": manifest, "field_manager": field_manager}), meta)

    @staticmethod
    def DataKubernetesResource(
        scope: Construct,
        id_: str,
        /,
        *,
        api_version: str,
        kind: str,  # noqa: N802
        metadata: dict[str, Any],
    ) -> TerraformDataSource:
        attributes = {"api_version": api_version, "kind": kind, "metadata": metadata}
        return _KubernetesResourceData(scope, id_, attributes)

    @staticmethod
    def KubernetesProvider(
        scope: Construct,
        id_: str,
        /,
        *,
        host: str,
        token: str,  # noqa: N802
        cluster_ca_certificate: str | None = None,
    ) -> TerraformProvider:
        attributes = {"cluster_ca_certificate": cluster_ca_certificate, "host": host, "token": token}
        return _KubernetesProvider(scope, id_, _present(attributes))


class _Manifest(TerraformResource):
    """A kubernetes_manifest; ``manifest`` refers to the applied object, as the prebuilt class's does."""

    def __init__(self, scope: Construct, id_: str, attributes: dict[str, Any], meta: dict[str, Any]) -> None:
        super().__init__(
            scope, id_, terraform_resource_type="kubernetes_manifest", terraform_generator_metadata=_KUBERNETES, **meta
        )
        self._attributes = attributes

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes

    @property
    def manifest(self) -> Any:
        return self.get_any_map_attribute("manifest")


class _KubernetesResourceData(TerraformDataSource):
    """A kubernetes_resource data source; ``object`` is the object read from the cluster."""

    def __init__(self, scope: Construct, id_: str, attributes: dict[str, Any]) -> None:
        super().__init__(
            scope, id_, terraform_resource_type="kubernetes_resource", terraform_generator_metadata=_KUBERNETES
        )
        self._attributes = attributes

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes


class _KubernetesProvider(TerraformProvider):
    """The kubernetes provider block (cdktf's provider base is abstract)."""

    def __init__(self, scope: Construct, id_: str, attributes: dict[str, Any]) -> None:
        super().__init__(
            scope,
            id_,
            terraform_resource_type="kubernetes",
            terraform_generator_metadata=_KUBERNETES,
            terraform_provider_source="kubernetes",
        )
        self._attributes = attributes

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes


google = ProviderNamespace(_PACKAGES["google"])
kubernetes = KubernetesNamespace()
helm = ProviderNamespace(_PACKAGES["helm"])
tfe = ProviderNamespace(_PACKAGES["tfe"])

__all__ = [
    "EAGER_ENV",
    "KubernetesNamespace",
    "ProviderClass",
    "ProviderNamespace",
    "google",
    "helm",
    "kubernetes",
    "tfe",
]
