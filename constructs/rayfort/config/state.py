"""Where each stack keeps its Terraform state."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from rayfort.config._types import Model, ProjectId


class LocalState(Model):
    """One local state file per stack, for trying rayfort out."""

    backend: Literal["local"] = "local"
    """Local files under state/<env>/<stack>.tfstate."""
    directory: str = "state"
    """Directory of the state files, relative to the project."""


class GcsState(Model):
    """A GCS bucket with one prefix per stack."""

    backend: Literal["gcs"]
    """GCS backend."""
    bucket: str = Field(pattern=r"^[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]$")
    """Existing state bucket (versioned, CMEK, uniform access)."""
    prefix: str = "rayfort"
    """Prefix; each stack appends <env>/<stack>."""


class CloudVcs(Model):
    """VCS-driven runs: each workspace runs deploy/<env>/<stack>/ of this repository (make synth-commit)."""

    repository: str = Field(pattern=r"^[-_.A-Za-z0-9]+/[-_.A-Za-z0-9]+$")
    """Repository as <owner>/<name>."""
    branch: str = Field(default="main", pattern=r"^[-_./A-Za-z0-9]+$")
    """Branch whose commits queue runs."""
    oauth_token_id: str = Field(pattern=r"^ot-[A-Za-z0-9]+$")
    """Id (ot-...) of the organization's VCS connection; an identifier, not a secret."""


class CloudState(Model):
    """Terraform Cloud, one workspace per stack named <prefix>-<env>-<stack>."""

    backend: Literal["cloud"]
    """Terraform Cloud or Enterprise."""
    organization: str = Field(pattern=r"^[-_A-Za-z0-9]+$")
    """Terraform Cloud organization."""
    workspace_prefix: str = Field(default="rayfort", pattern=r"^[-_A-Za-z0-9]+$")
    """Workspace name prefix."""
    hostname: str = "app.terraform.io"
    """Terraform Enterprise host name, when not Terraform Cloud."""
    project: str | None = Field(default=None, pattern=r"^[-_ A-Za-z0-9]{3,40}$")
    """Terraform Cloud project of the workspaces (the bootstrap creates it); <prefix>-<env> when absent."""
    agent_pool_id: str | None = Field(default=None, pattern=r"^apool-[A-Za-z0-9]+$")
    """Agent pool inside the VPC for the stacks that reach the private control plane; remote runs when absent."""
    vcs: CloudVcs | None = None
    """Connect the workspaces to the repository (VCS-driven runs); CLI-driven runs when absent."""
    identity_project: ProjectId | None = None
    """Project of the runners' identity pool and service accounts, apart from the platform's project so a
    workspace that manages service accounts there cannot take over another's; project_id when absent."""


StateBackend = Annotated[LocalState | GcsState | CloudState, Field(discriminator="backend")]
