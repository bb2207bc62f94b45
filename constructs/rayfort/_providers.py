"""The only module that imports provider classes, and imports them lightly.

Each prebuilt provider package's ``__init__`` imports every one of its
submodules (about 1,470 for google), which costs 10-20 s and ~1 GB before a
synth does any work. ``use_lazy_provider_import()``, which the synth entry
calls, replaces each package rayfort uses, before its first import, by a shell
that imports a submodule when it is first asked for (a module-level
``__getattr__``): ``cdktf_cdktf_provider_google.compute_network`` and
``from cdktf_cdktf_provider_google import compute_network`` keep working for
every other user of the package in the process, and only the modules used are
loaded. Without the call the packages import the usual way on first use, and
``RAYFORT_PROVIDER_IMPORT=eager`` makes the call import them the usual way, so
the benchmark can compare both and the tests can prove the output identical.

The packages are the prebuilt bindings of the selected framework (``_cdk``):
``cdktf_cdktf_provider_<name>`` for CDK for Terraform, ``cdktn_provider_<name>``
for CDK Terrain. A provider is registered with one line at the bottom
(``google = ProviderNamespace("google")``); its resource classes are reached
through the namespace (``google.ContainerCluster``), and ``_providers.pyi``
gives editors and type checkers their real signatures (``make stubs``).

Of the kubernetes provider rayfort uses three types: ``kubernetes_manifest``,
the ``kubernetes_resource`` data source and the provider itself. The prebuilt
``Manifest`` builds a helper object in node for each block it might hold, for
each object that is an element of its own (measured when a tenant's ~40 objects
all were: 70 MB more at 200 tenants, and no less CPU), so
``kubernetes`` defines them on the framework's generic classes, synthesizing
the blocks the prebuilt ones do (a test compares them; the stack's metadata
also lists the attributes, which are handed over as overrides).
Calling a class converts nested plain data (dicts and lists of dicts, snake_case
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
from pathlib import Path
from typing import Any

from rayfort._cdk import (
    FRAMEWORK,
    PROVIDER_IMPORT_ENV,
    Construct,
    TerraformDataSource,
    TerraformElement,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
)

EAGER_ENV = PROVIDER_IMPORT_ENV
"""Set to ``eager``, providers import the usual way; ``_cdk`` reads it too, for their JavaScript modules."""

_PACKAGE_NAMES = {"cdktf": "cdktf_cdktf_provider_{}", "cdktn": "cdktn_provider_{}"}

UNPUBLISHED = {"cdktf": frozenset[str](), "cdktn": frozenset({"tfe"})}
"""Providers whose prebuilt bindings a framework does not publish (there is no ``cdktn-provider-tfe``)."""


def provider_package(provider: str) -> str:
    """The importable package of ``provider``'s prebuilt bindings under the selected framework."""
    return _PACKAGE_NAMES[FRAMEWORK].format(provider)


_registered: list[str] = []
_lazy = False


def _register(package: str) -> None:
    if package not in _registered:
        _registered.append(package)
    if _lazy:
        _install_shell(package)


def use_lazy_provider_import() -> None:
    """Import every registered provider package lazily from now on (idempotent; before its first import)."""
    global _lazy
    if os.environ.get(EAGER_ENV, "lazy") == "eager":
        for package in _registered:
            importlib.import_module(package)
        return
    _lazy = True
    for package in _registered:
        _install_shell(package)


def _install_shell(package: str) -> None:
    """Stand in for ``package`` with a module that imports its submodules on demand, unless already imported."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        return  # not installed: the first use fails with the usual ModuleNotFoundError
    shell = types.ModuleType(package, f"{package}, whose submodules are imported when first used (rayfort).")
    shell.__path__ = list(spec.submodule_search_locations)
    shell.__spec__ = spec
    shell.__loader__ = spec.loader
    shell.__file__ = spec.origin
    shell.__package__ = package

    def __getattr__(name: str) -> Any:  # noqa: N807 (PEP 562)
        if name == "__all__":
            shell.__all__ = _submodules(shell.__path__)
            return shell.__all__
        if name.startswith("_"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    def __dir__() -> list[str]:  # noqa: N807 (PEP 562)
        return sorted(set(vars(shell)) | set(__getattr__("__all__")))

    shell.__getattr__ = __getattr__  # type: ignore[method-assign]
    shell.__dir__ = __dir__  # type: ignore[method-assign]
    sys.modules[package] = shell


def _submodules(path: list[str]) -> list[str]:
    """The public submodules of a package: the names its own ``__all__`` lists."""
    found = {
        entry.name for directory in path for entry in Path(directory).iterdir() if (entry / "__init__.py").is_file()
    }
    return sorted(name for name in found if not name.startswith("_"))


def _module_for(class_name: str, provider_class: str) -> str:
    if class_name == provider_class:
        return "provider"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


@functools.cache
def _init_hints(cls: type) -> dict[str, Any]:
    # The function's own globals, not the module's public namespace: cdktn's bindings publish only
    # their classes, and the names their hints use (other modules' types) stay in the private one.
    return typing.get_type_hints(cls.__init__)


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
    """The resource, data source and provider classes of one prebuilt provider, imported on first use."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.package = provider_package(provider)
        self._provider_class = "".join(part.title() for part in provider.split("_")) + "Provider"
        self._loaded: dict[str, ProviderClass] = {}
        if provider not in UNPUBLISHED[FRAMEWORK]:
            _register(self.package)

    def __getattr__(self, class_name: str) -> ProviderClass:
        if class_name.startswith("_"):
            raise AttributeError(class_name)
        if self.provider in UNPUBLISHED[FRAMEWORK]:
            raise ModuleNotFoundError(
                f"{FRAMEWORK} publishes no {self.provider} provider bindings, so {class_name} is not available "
                "under it; use the default framework (cdktf) for what needs it",
                name=self.package,
            )
        loaded = self._loaded.get(class_name)
        if loaded is None:
            module = importlib.import_module(f"{self.package}.{_module_for(class_name, self._provider_class)}")
            loaded = self._loaded[class_name] = ProviderClass(getattr(module, class_name))
        return loaded


_KUBERNETES = TerraformProviderGeneratorMetadata(
    provider_name="kubernetes", provider_version="2.38.0", provider_version_constraint="~> 2.0"
)
_META_ARGUMENTS = ("depends_on", "count", "for_each", "lifecycle", "provider")


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if value is not None}


class KubernetesNamespace:
    """The kubernetes provider's types rayfort uses, with the prebuilt classes' names and arguments."""

    package = provider_package("kubernetes")
    """The prebuilt bindings these stand in for (registered so that they too import lazily when used)."""

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


def _hand_over(element: TerraformElement, attributes: dict[str, Any]) -> None:
    """Give the framework an element's attributes once, as overrides, which it writes into the element's block.

    Overriding ``synthesize_attributes`` in Python instead has the framework call back into Python on
    each of its two passes over a stack, and resolve the value twice: a Kubernetes object of its own
    then cost a third more CPU (bench/floor.py, when every object was one). The block written is the
    same; the framework also lists the keys under the stack's ``//.metadata.overrides``.
    """
    for name, value in attributes.items():
        element.add_override(name, value)


class _Manifest(TerraformResource):
    """A kubernetes_manifest; ``manifest`` refers to the applied object, as the prebuilt class's does."""

    def __init__(self, scope: Construct, id_: str, attributes: dict[str, Any], meta: dict[str, Any]) -> None:
        super().__init__(
            scope, id_, terraform_resource_type="kubernetes_manifest", terraform_generator_metadata=_KUBERNETES, **meta
        )
        _hand_over(self, attributes)

    @property
    def manifest(self) -> Any:
        return self.get_any_map_attribute("manifest")


class _KubernetesResourceData(TerraformDataSource):
    """A kubernetes_resource data source; ``object`` is the object read from the cluster."""

    def __init__(self, scope: Construct, id_: str, attributes: dict[str, Any]) -> None:
        super().__init__(
            scope, id_, terraform_resource_type="kubernetes_resource", terraform_generator_metadata=_KUBERNETES
        )
        _hand_over(self, attributes)


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
        _hand_over(self, attributes)


_register(KubernetesNamespace.package)

google = ProviderNamespace("google")
google_beta = ProviderNamespace("google_beta")
"""google-beta, for what the GA provider lacks: only GKE Sandbox node pools (``sandbox_config``) use it."""
helm = ProviderNamespace("helm")
kubernetes = KubernetesNamespace()
tfe = ProviderNamespace("tfe")
time = ProviderNamespace("time")

__all__ = [
    "EAGER_ENV",
    "KubernetesNamespace",
    "ProviderClass",
    "ProviderNamespace",
    "UNPUBLISHED",
    "google",
    "google_beta",
    "helm",
    "kubernetes",
    "provider_package",
    "tfe",
    "time",
    "use_lazy_provider_import",
]
