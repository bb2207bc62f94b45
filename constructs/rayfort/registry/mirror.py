"""The Artifact Registry repositories an air-gapped cluster pulls its images and charts from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.registry.images import MirrorAddress

READER = "roles/artifactregistry.reader"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
SECONDS_PER_DAY = 86_400
SCANNING_API = "containerscanning.googleapis.com"


@dataclass(frozen=True)
class CreatedMirrorKey:
    """A dedicated key ring and key for the mirror, created beside the cluster's keys."""

    project_id: str
    """KMS project (the cluster keys' project)."""
    key_ring: str
    """Name of the new key ring, in the mirror's location."""
    rotation_days: int = 90
    """Rotation period; at most 90 days."""


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
        self.kms_key_id = props.kms_key_id
        if not props.create:
            return
        project = google.DataGoogleProject(self, "project", project_id=props.address.project_id)
        agent = f"serviceAccount:service-{project.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
        self.kms_key_id = props.kms_key_id or self._create_key(props)
        # Artifact Registry encrypts with the key as its service agent; the grant must exist first.
        key_grant = google.KmsCryptoKeyIamMember(
            self, "registry-encrypter", crypto_key_id=self.kms_key_id, role=ENCRYPTER_DECRYPTER, member=agent
        )
        scanning = google.ProjectService(
            self, "scanning-api", project=props.address.project_id, service=SCANNING_API, disable_on_destroy=False
        )
        images = self._repository("images", self.repository, "Mirrored container images", [key_grant, scanning])
        charts = self._repository("charts", self.chart_repository, "Mirrored Helm charts (OCI)", [key_grant, scanning])
        self.repository = images.repository_id
        self.chart_repository = charts.repository_id

    def _create_key(self, props: ArtifactMirrorProps) -> str:
        created = props.created_key
        if created is None:
            raise ValueError("ArtifactMirror needs kms_key_id or created_key to encrypt created repositories")
        ring = google.KmsKeyRing(
            self, "ring", name=created.key_ring, location=props.address.location, project=created.project_id
        )
        key = google.KmsCryptoKey(
            self,
            "key",
            name="registry",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{created.rotation_days * SECONDS_PER_DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"},
            lifecycle={"prevent_destroy": True},
        )
        return key.id

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
            kms_key_name=self.kms_key_id,
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

    def grant_read(self, construct_id: str, member: str, *, charts: bool = False) -> None:
        """Let one identity pull images (and charts, when asked); never a public member."""
        if member in PUBLIC_MEMBERS:
            raise ValueError(f"the mirror is private: {member} may not read it")
        targets = [("images", self.repository)] + ([("charts", self.chart_repository)] if charts else [])
        for suffix, repository in targets:
            google.ArtifactRegistryRepositoryIamMember(
                self,
                f"{construct_id}-{suffix}",
                project=self.address.project_id,
                location=self.address.location,
                repository=repository,
                role=READER,
                member=member,
            )
