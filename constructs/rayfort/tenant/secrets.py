"""Secret Manager secrets the Ray pods mount, created empty: their values never pass through Terraform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

from rayfort._cdk import Construct
from rayfort._providers import google
from rayfort.config._types import parse_time
from rayfort.iam import Principal
from rayfort.kms import EncryptionKey

SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class TenantSecretsProps:
    """Inputs of TenantSecrets."""

    project_id: str
    """Project of the secrets (the cluster project, where the pods' GSA lives)."""
    region: str
    """The only region the secret payloads are stored in; the key's location too."""
    secret_ids: tuple[str, ...]
    """Secret ids to create, without versions."""
    kms_key: EncryptionKey
    """Customer-managed key of the tenant (in ``region``); granted here to ``service_agent``."""
    service_agent: Principal
    """Secret Manager's service agent of ``project_id``, which encrypts the payloads with the key."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels besides the provider's default labels."""


class TenantSecrets(Construct):
    """Secrets without versions: a person adds each value with ``gcloud secrets versions add``.

    Only the resource exists in Terraform state, never a payload. Payloads are
    encrypted with the tenant's key (a user-managed replica's key must be in the
    replica's location), so revoking the key shreds them with the tenant's other
    data. Access is granted per secret, never at project level.
    """

    def __init__(self, scope: Construct, construct_id: str, props: TenantSecretsProps) -> None:
        super().__init__(scope, construct_id)
        # Like every key user, a secret waits for its agent's grant to propagate. No secret, no grant.
        depends_on = [props.kms_key.grant_encrypt_decrypt(props.service_agent).propagated] if props.secret_ids else []
        replica = {"location": props.region, "customer_managed_encryption": {"kms_key_name": props.kms_key.id}}
        self.secrets = {
            secret_id: google.SecretManagerSecret(
                self,
                secret_id,
                secret_id=secret_id,
                project=props.project_id,
                replication={"user_managed": {"replicas": [replica]}},
                labels=props.labels,
                depends_on=depends_on,
            )
            for secret_id in props.secret_ids
        }

    def grant_access(self, construct_id: str, secret_id: str, member: str, *, expires: str | None = None) -> None:
        """Let one identity read one secret's payloads; until ``expires`` (RFC 3339) when given.

        The end is an IAM condition on the request time, which Secret Manager
        evaluates on every access (https://cloud.google.com/iam/docs/conditions-attribute-reference#date-time).
        """
        condition = None
        if expires is not None:
            until = parse_time(expires).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            condition = {
                "title": f"until {until}",
                "description": "Access ends at this time (rayfort: developer_token_expiry)",
                "expression": f'request.time < timestamp("{until}")',
            }
        google.SecretManagerSecretIamMember(
            self,
            construct_id,
            secret_id=self.secrets[secret_id].id,
            role=SECRET_ACCESSOR,
            member=member,
            condition=condition,
        )
