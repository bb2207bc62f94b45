"""What pods may request on a GKE Standard node: its machine's capacity less what GKE reserves."""

from __future__ import annotations

from decimal import Decimal

from rayfort.config.machines import machine_capacity

# GKE Standard reserves a share of each node for the kubelet and system daemons (tiers: up to the
# amount on the left, this fraction is reserved), plus a 100 MiB eviction threshold for memory.
_CPU_RESERVED = (
    (Decimal(1), Decimal("0.06")),
    (Decimal(2), Decimal("0.01")),
    (Decimal(4), Decimal("0.005")),
    (None, Decimal("0.0025")),
)


_MEMORY_RESERVED_GIB = (
    (Decimal(4), Decimal("0.25")),
    (Decimal(8), Decimal("0.20")),
    (Decimal(16), Decimal("0.10")),
    (Decimal(128), Decimal("0.06")),
    (None, Decimal("0.02")),
)


_EVICTION_GIB = Decimal(100) / 1024


def _reserved(amount: Decimal, tiers: tuple[tuple[Decimal | None, Decimal], ...]) -> Decimal:
    reserved, floor = Decimal(0), Decimal(0)
    for ceiling, fraction in tiers:
        top = amount if ceiling is None else min(amount, ceiling)
        if top > floor:
            reserved += (top - floor) * fraction
        if ceiling is None or amount <= ceiling:
            break
        floor = ceiling
    return reserved


def node_allocatable(machine_type: str) -> tuple[Decimal, Decimal] | None:
    """(cores, bytes) pods may request on one GKE Standard node of the type; None when unknown."""
    capacity = machine_capacity(machine_type)
    if capacity is None:
        return None
    vcpus, gib = capacity
    memory_gib = gib - (Decimal("0.25") if gib < 1 else _reserved(gib, _MEMORY_RESERVED_GIB)) - _EVICTION_GIB
    return vcpus - _reserved(vcpus, _CPU_RESERVED), memory_gib * 2**30
