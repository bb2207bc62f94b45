"""What the other stacks read from the node network, whether rayfort made it or a host project did."""

from __future__ import annotations

from typing import Any


class NodeNetworkReferences:
    """References to the VPC and node subnet; ``network`` and ``subnet`` are resources or data sources."""

    network: Any
    subnet: Any

    @property
    def network_id(self) -> str:
        return self.network.id

    @property
    def network_self_link(self) -> str:
        return self.network.self_link

    @property
    def subnet_id(self) -> str:
        return self.subnet.id

    @property
    def subnet_self_link(self) -> str:
        return self.subnet.self_link
