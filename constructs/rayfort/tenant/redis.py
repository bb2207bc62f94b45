"""Memorystore for Redis behind Ray's GCS fault tolerance: private, authenticated, encrypted.

The AUTH string is a Terraform attribute of the instance, so it is in this
stack's state whether or not anything else reads it. It is therefore handed on
as a reference (never a literal in the JSON) into one Kubernetes Secret, which
GKE encrypts in etcd with the cluster's secrets key; the state backend is the
other place it lives and must be encrypted and access-controlled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rayfort._cdk import Construct, Fn
from rayfort._providers import google
from rayfort.iam import Principal
from rayfort.k8s.manifest import KubernetesObject
from rayfort.kms import EncryptionKey
from rayfort.names import short_name
from rayfort.tenant.runtime.inputs import REDIS_PASSWORD_KEY

REDIS_VERSION = "REDIS_7_2"
_INSTANCE_ID_MAX = 40


@dataclass(frozen=True)
class TenantRedisProps:
    """Inputs of TenantRedis; access mode, AUTH and in-transit encryption are fixed."""

    name: str
    """Instance id: a letter, then lowercase letters, digits and '-', at most 40 characters."""
    region: str
    """The cluster's region."""
    network_id: str
    """The VPC (a reference to the network stack) the instance is reached from over private service access."""
    namespace: str
    """Namespace of the Secret holding the AUTH string (a reference, so the Secret waits for it)."""
    secret_name: str
    """Name of that Secret; the runtime reads key ``password`` from it."""
    reserved_range: str | None = None
    """The private service access range to allocate from (read off our peering connection, or the Shared
    VPC host's range the environment names), so the instance lands where the network policies allow;
    any range of the VPC's connection when absent."""
    kms_key: EncryptionKey | None = None
    """Customer-managed key; granted here to ``service_agent``."""
    service_agent: Principal | None = None
    """Memorystore's service agent of the instance's project; required with ``kms_key``."""
    tier: str = "STANDARD_HA"
    """Replicated, so losing a zone does not lose the GCS state."""
    memory_size_gb: int = 1
    """Instance size."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels besides the provider's default labels."""


def instance_id(tenant: str) -> str:
    """``ray-<tenant>``, shortened with a hash when it would not fit Memorystore's 40 characters."""
    return short_name(f"ray-{tenant}", _INSTANCE_ID_MAX, keep_prefix="ray-", digest_of=tenant)


def redis_password_secret(namespace: str, name: str, auth_string: str) -> dict[str, Any]:
    """An Opaque Secret whose ``password`` key is the AUTH string, given as a Terraform reference."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "rayfort"}},
        "type": "Opaque",
        "data": {REDIS_PASSWORD_KEY: Fn.base64encode(auth_string)},
    }


class TenantRedis(Construct):
    """A Memorystore for Redis instance reachable only over private service access, AUTH and TLS on."""

    def __init__(self, scope: Construct, construct_id: str, props: TenantRedisProps) -> None:
        super().__init__(scope, construct_id)
        optional: dict[str, Any] = {}
        if props.kms_key is not None:
            if props.service_agent is None:
                raise ValueError("a customer-managed key needs the Memorystore service agent to grant it to")
            optional["customer_managed_key"] = props.kms_key.id
            # Memorystore checks the key when the instance is created: the grant comes first.
            optional["depends_on"] = [props.kms_key.grant_encrypt_decrypt(props.service_agent).propagated]
        if props.reserved_range is not None:
            optional["reserved_ip_range"] = props.reserved_range
        self.instance = google.RedisInstance(
            self,
            "instance",
            name=props.name,
            region=props.region,
            tier=props.tier,
            memory_size_gb=props.memory_size_gb,
            redis_version=REDIS_VERSION,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            authorized_network=props.network_id,
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            # Ray's GCS keys carry no TTL; evicting any of them would corrupt the cluster's state.
            redis_configs={"maxmemory-policy": "noeviction"},
            labels=props.labels,
            **optional,
        )
        self.password_secret = KubernetesObject(
            self, "auth-secret", redis_password_secret(props.namespace, props.secret_name, self.instance.auth_string)
        )

    @property
    def address(self) -> str:
        """host:port of the TLS endpoint."""
        return f"{self.instance.host}:{Fn.tostring(self.instance.port)}"

    @property
    def server_ca_cert(self) -> str:
        """PEM of every server CA the instance presents (two while Memorystore rotates them); public."""
        return f'${{join("\\n", {self.instance.fqn}.server_ca_certs[*].cert)}}'

    @property
    def password_secret_name(self) -> str:
        """The password Secret's name, referenced as its own stack does: for the Ray cluster beside it
        (another stack takes ``password_secret.name``)."""
        return self.password_secret.name_in_stack
