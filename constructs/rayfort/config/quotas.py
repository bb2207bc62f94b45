"""The project's quotas on what rayfort creates, so synth refuses an environment the project cannot hold.

Each default is the limit Google gives a new project, as documented when this
was written; quotas differ between projects and grow on request, so set the
values your project shows (Cloud console: IAM & Admin, Quotas; or
``gcloud compute project-info describe`` and ``gcloud compute regions describe``).
"""

from __future__ import annotations

from pydantic import Field

from rayfort.config._types import Model


class ProjectQuotas(Model):
    """Limits of the cluster's project that grow with tenants; synth refuses an environment above any of them."""

    forwarding_rules: int = Field(default=15, ge=0)
    """Forwarding rules (Compute Engine FORWARDING_RULES); default 15."""
    backend_services: int = Field(default=50, ge=0)
    """Backend services (BACKEND_SERVICES); default 50."""
    ssl_certificates: int = Field(default=30, ge=0)
    """Compute Engine SSL certificates (SSL_CERTIFICATES: each Ingress dashboard's managed certificate); default 30."""
    certificate_manager_certificates: int = Field(default=100, ge=0)
    """Certificate Manager certificates (the shared Gateway's); default 100."""
    global_addresses: int = Field(default=8, ge=0)
    """Global static external IP addresses (STATIC_ADDRESSES, global); default 8."""
    internal_addresses: int = Field(default=200, ge=0)
    """Static internal IP addresses in the region (INTERNAL_ADDRESSES); default 200."""
    firewall_rules: int = Field(default=100, ge=0)
    """VPC firewall rules (FIREWALLS); default 100."""
    memorystore_gb: int = Field(default=1000, ge=0)
    """Memorystore for Redis capacity in the region, in GB (every tenant has an instance); default 1 TB."""
