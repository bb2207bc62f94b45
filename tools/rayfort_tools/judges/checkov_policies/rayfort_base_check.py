"""Base class for rayfort's Python checks (not a check itself).

A subclass implements ``problems(conf)``: it returns None when the resource
is not one the check judges (checkov then records nothing), an empty list
when it passes, or one message per weakness found. The messages go into the
record's ``details`` so the judge can show why a resource failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

GUIDELINE = "rayfort policies/: the docstring names the weakness it closes and its control in rayfort.controls"


class RayfortCheck(BaseResourceCheck):
    def __init__(
        self,
        *,
        check_id: str,
        name: str,
        resources: Iterable[str],
        categories: Iterable[CheckCategories] = (CheckCategories.KUBERNETES,),
    ) -> None:
        super().__init__(
            name=name,
            id=check_id,
            categories=tuple(categories),
            supported_resources=tuple(resources),
            guideline=GUIDELINE,
        )

    def problems(self, conf: dict[str, Any]) -> list[str] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        found = self.problems(conf)
        if found is None:
            return CheckResult.UNKNOWN
        if found:
            self.details.extend(found)
            return CheckResult.FAILED
        return CheckResult.PASSED
