"""Where each stack keeps its Terraform state."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from rayfort.config._types import Model


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


StateBackend = Annotated[LocalState | GcsState | CloudState, Field(discriminator="backend")]
