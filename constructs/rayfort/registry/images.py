"""What an air-gapped environment must find in its mirror: images and charts, by pinned version."""

from __future__ import annotations

from dataclasses import dataclass

from rayfort.config import Environment
from rayfort.config.cluster import RegistryMirror
from rayfort.config.derived import cert_manager_needed
from rayfort.kuberay import cert_manager
from rayfort.kuberay.chart import CHART_NAME, PUBLIC_REPOSITORY
from rayfort.kuberay.values import OPERATOR_IMAGE
from rayfort.versions import KUBERAY_VERSION, RAY_PYTHON_TAG

RAY_IMAGE = "docker.io/rayproject/ray"
"""Upstream Ray image; the autoscaler and KubeRay's init containers run it too."""
CHART_REPOSITORIES = (PUBLIC_REPOSITORY, f"{cert_manager.CHART_REPOSITORY}/")
"""Public chart repositories; a mirror source under one of them is a chart, named <repository><chart>:<version>."""


@dataclass(frozen=True)
class MirrorAddress:
    """Where one environment's mirror lives."""

    project_id: str
    location: str
    repository: str
    chart_repository: str

    @classmethod
    def of(cls, env: Environment, mirror: RegistryMirror) -> MirrorAddress:
        return cls(
            project_id=mirror.project_id or env.project_id,
            location=mirror.location or env.region,
            repository=mirror.repository,
            chart_repository=mirror.chart_repository,
        )

    @property
    def host(self) -> str:
        return f"{self.location}-docker.pkg.dev"

    @property
    def image_prefix(self) -> str:
        """Prefix of every mirrored image: <host>/<project>/<repository>."""
        return f"{self.host}/{self.project_id}/{self.repository}"

    @property
    def chart_registry(self) -> str:
        """The OCI registry the operator chart is installed from."""
        return f"oci://{self.host}/{self.project_id}/{self.chart_repository}"

    def mirrored(self, image: str) -> str:
        """An upstream image's name in the mirror: its path without the upstream registry."""
        return f"{self.image_prefix}/{image.split('/', 1)[1]}"


def ray_image(version: str) -> str:
    """The upstream Ray image of one Ray version, with rayfort's Python."""
    return f"{RAY_IMAGE}:{version}-{RAY_PYTHON_TAG}"


def images_to_mirror(env: Environment) -> list[tuple[str, str]]:
    """(upstream, mirror) for the operator image and chart, every tenant's default Ray image, and cert-manager.

    A tenant that names its own ``image`` is left out: that image is already the
    tenant's to provide. cert-manager's images and chart are in only when a
    tenant's TLS needs it. A chart pair names ``helm pull`` and ``helm push`` sources.
    """
    if env.registry_mirror is None:
        return []
    address = MirrorAddress.of(env, env.registry_mirror)
    operator = f"{OPERATOR_IMAGE}:v{KUBERAY_VERSION}"
    pairs = {
        (operator, address.mirrored(operator)),
        (
            f"{PUBLIC_REPOSITORY}{CHART_NAME}:{KUBERAY_VERSION}",
            f"{address.chart_registry}/{CHART_NAME}:{KUBERAY_VERSION}",
        ),
    }
    for tenant in env.tenants:
        if tenant.image is None:
            upstream = ray_image(tenant.ray_version)
            pairs.add((upstream, address.mirrored(upstream)))
    if cert_manager_needed(env):
        version = cert_manager.CERT_MANAGER_VERSION
        for component in cert_manager.COMPONENTS:
            upstream = cert_manager.upstream_image(component)
            pairs.add((upstream, address.mirrored(upstream)))
        pairs.add(
            (
                f"{cert_manager.CHART_REPOSITORY}/{cert_manager.CHART_NAME}:{version}",
                f"{address.chart_registry}/{cert_manager.CHART_NAME}:{version}",
            )
        )
    return sorted(pairs)


def mirror_commands(env: Environment) -> list[str]:
    """Shell commands, run from a host with internet access, that fill the mirror."""
    commands = []
    for source, destination in images_to_mirror(env):
        repository = next((r for r in CHART_REPOSITORIES if source.startswith(r)), None)
        if repository is not None:
            chart, version = source.removeprefix(repository).split(":")
            registry = destination.removesuffix(f"/{chart}:{version}")
            commands.append(f"helm pull {chart} --repo {repository} --version {version}")
            commands.append(f"helm push {chart}-{version}.tgz {registry}")
        else:
            commands.append(f"crane copy {source} {destination}")
    return commands
