"""The Artifact Registry repositories an air-gapped cluster pulls its images and charts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.iam import Principal, ServiceAgents
from rayfort.kms import MAX_ROTATION_DAYS, EncryptionKey, ExistingKey, KmsKey, KmsKeyProps
from rayfort.registry.images import MirrorAddress

READER = "roles/artifactregistry.reader"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
# Construct id of the key grant; resource addresses are a contract, so it stays as first named.
KEY_GRANT = "registry-encrypter"
SCANNING_API = "containerscanning.googleapis.com"


@dataclass(frozen=True)
class CreatedMirrorKey:
    """A dedicated key ring and key for the mirror, created beside the cluster's keys."""

    project_id: str
    """KMS project (the cluster keys' project)."""
    key_ring: str
    """Name of the new key ring, in the mirror's location."""
    rotation_days: int = MAX_ROTATION_DAYS
    """Rotation period, the environment's ``cluster.kms.create.rotation_days``; at most 90 days."""


@dataclass(frozen=True)
class ArtifactMirrorProps:
    """Inputs of ArtifactMirror."""

    address: MirrorAddress
    """Project, location and repository ids of the mirror."""
    create: bool = True
    """Create the repositories; false references repositories managed elsewhere."""
    kms_key_id: str | None = None
    """An existing CMEK key in the mirror's location; used instead of creating one."""
    created_key: CreatedMirrorKey | None = None
    """The key to create when no kms_key_id is given."""


class ArtifactMirror(Construct):
    """Docker and Helm (OCI) repositories: CMEK-encrypted, scanned, immutable tags, no public access.

    Readers are granted per repository with ``grant_read``; nothing here grants
    to ``allUsers`` or ``allAuthenticatedUsers``, and ``grant_read`` refuses to.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ArtifactMirrorProps) -> None:
        super().__init__(scope, construct_id)
        self.address = props.address
        self.repository = props.address.repository
        self.chart_repository = props.address.chart_repository
        if not props.create:
            return
        agents = ServiceAgents.read(self, "project", props.address.project_id)
        self.key = self._key(props)
        # Artifact Registry encrypts with the key as its service agent; the grant must exist first.
        key_grant = self.key.grant_encrypt_decrypt(agents.artifact_registry, construct_id=KEY_GRANT)
        scanning = google.ProjectService(
            self, "scanning-api", project=props.address.project_id, service=SCANNING_API, disable_on_destroy=False
        )
        after = [key_grant.propagated, scanning]
        images = self._repository("images", self.repository, "Mirrored container images", after)
        charts = self._repository("charts", self.chart_repository, "Mirrored Helm charts (OCI)", after)
        self.repository = images.repository_id
        self.chart_repository = charts.repository_id

    def _key(self, props: ArtifactMirrorProps) -> EncryptionKey:
        """The given key, or a dedicated key ring and key beside the cluster's."""
        if props.kms_key_id is not None:
            return ExistingKey(self, props.kms_key_id)
        created = props.created_key
        if created is None:
            raise ValueError("ArtifactMirror needs kms_key_id or created_key to encrypt created repositories")
        ring = google.KmsKeyRing(
            self, "ring", name=created.key_ring, location=props.address.location, project=created.project_id
        )
        return KmsKey(
            self, "key", KmsKeyProps(name="registry", key_ring_id=ring.id, rotation_days=created.rotation_days)
        )

    def _repository(self, construct_id: str, repository_id: str, description: str, after: list) -> Any:
        return google.ArtifactRegistryRepository(
            self,
            construct_id,
            project=self.address.project_id,
            location=self.address.location,
            repository_id=repository_id,
            description=description,
            format="DOCKER",
            mode="STANDARD_REPOSITORY",
            kms_key_name=self.key.id,
            docker_config={"immutable_tags": True},
            vulnerability_scanning_config={"enablement_config": "INHERITED"},
            depends_on=after,
        )

    @property
    def image_prefix(self) -> str:
        """<location>-docker.pkg.dev/<project>/<repository>: prefix of every mirrored image."""
        return self.address.image_prefix

    @property
    def chart_registry(self) -> str:
        """oci://<location>-docker.pkg.dev/<project>/<chart repository>."""
        return self.address.chart_registry

    def grant_read(self, principal: Principal, *, charts: bool = False) -> None:
        """Let one identity pull images (and charts, when asked); never a public member."""
        if principal.member in PUBLIC_MEMBERS:
            raise ValueError(f"the mirror is private: {principal.member} may not read it")
        targets = [("images", self.repository)] + ([("charts", self.chart_repository)] if charts else [])
        for suffix, repository in targets:
            google.ArtifactRegistryRepositoryIamMember(
                self,
                f"{principal.name}-{suffix}",
                project=self.address.project_id,
                location=self.address.location,
                repository=repository,
                role=READER,
                member=principal.member,
            )
