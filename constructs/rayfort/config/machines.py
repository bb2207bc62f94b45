"""Compute Engine's predefined machine shapes: vCPUs and memory by machine type, from rayfort's table."""

from __future__ import annotations

import re
from decimal import Decimal

# GiB of memory per vCPU of the predefined machine shapes, by series; series not listed use "*".
# Source: the Compute Engine machine family pages (n1 is the only older ratio still offered).
_GIB_PER_VCPU = {
    "standard": {"n1": Decimal("3.75"), "*": Decimal(4)},
    "highmem": {"n1": Decimal("6.5"), "*": Decimal(8)},
    "highcpu": {"n1": Decimal("0.9"), "e2": Decimal(1), "n2": Decimal(1), "n2d": Decimal(1), "*": Decimal(2)},
}


_SERIES = frozenset({"e2", "n1", "n2", "n2d", "n4", "c2", "c2d", "c3", "c3d", "c4", "c4a", "c4d", "t2d", "t2a", "g2"})


# Shared-core and accelerator-optimized shapes that break the per-vCPU rule: (vCPUs, GiB).
# Shared-core E2 nodes are counted as one vCPU, as GKE does when it computes their allocatable CPU.
_SPECIAL_MACHINES = {
    "e2-micro": (Decimal(1), Decimal(1)),
    "e2-small": (Decimal(1), Decimal(2)),
    "e2-medium": (Decimal(1), Decimal(4)),
    "a2-highgpu-1g": (Decimal(12), Decimal(85)),
    "a2-highgpu-2g": (Decimal(24), Decimal(170)),
    "a2-highgpu-4g": (Decimal(48), Decimal(340)),
    "a2-highgpu-8g": (Decimal(96), Decimal(680)),
    "a3-highgpu-1g": (Decimal(26), Decimal(234)),
}


def machine_capacity(machine_type: str) -> tuple[Decimal, Decimal] | None:
    """(vCPUs, GiB) of a predefined machine type; None for a type rayfort has no table entry for."""
    if machine_type in _SPECIAL_MACHINES:
        return _SPECIAL_MACHINES[machine_type]
    match = re.fullmatch(r"([a-z][a-z0-9]*)-(standard|highmem|highcpu)-([0-9]+)", machine_type)
    if not match or match[1] not in _SERIES:
        return None
    ratios = _GIB_PER_VCPU[match[2]]
    vcpus = Decimal(match[3])
    return vcpus, vcpus * ratios.get(match[1], ratios["*"])
