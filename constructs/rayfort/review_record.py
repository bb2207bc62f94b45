"""rayfort-review.auto.tfvars.json: the review a stack is deployed with, beside its cdk.tf.json.

``make review`` writes it into every stack directory (``rayfort_tools.review.record``);
Terraform loads it by itself as ``var.rayfort_review``, and every stack refuses to
plan unless its verdict is ``pass`` and its digest for the stack is the SHA-256 of
the stack's own cdk.tf.json (``rayfort.audit.deploy_record``). This module reads it
for the commands that run before Terraform: the make targets say "run make review"
instead of Terraform asking for a variable, a synth keeps a record that still
approves the JSON it wrote, and deploy/<env>/ carries one for Terraform Cloud.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

RECORD_VARIABLE = "rayfort_review"
RECORD_FILE = "rayfort-review.auto.tfvars.json"
STACK_FILE = "cdk.tf.json"
PASS = "pass"


def stack_digest(stack_json: bytes) -> str:
    """What the record holds for a stack: the SHA-256 of its cdk.tf.json, as Terraform's filesha256 reads it."""
    return hashlib.sha256(stack_json).hexdigest()


def read_review(stack_dir: Path) -> dict[str, Any] | None:
    """The record in ``stack_dir``, or None when there is none or it is not one."""
    try:
        document = json.loads((stack_dir / RECORD_FILE).read_text(encoding="utf-8"))
        record = json.loads(document[RECORD_VARIABLE])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if isinstance(record, dict) else None


def approves(record: dict[str, Any] | None, stack: str, stack_json: bytes) -> bool:
    """True when ``record`` was made for exactly these bytes of ``stack``, whatever its verdict."""
    stacks = record.get("stacks") if record is not None else None
    return isinstance(stacks, dict) and stacks.get(stack) == stack_digest(stack_json)


def review_problem(stack_dir: Path, stack: str, stack_json: bytes | None = None) -> str | None:
    """Why Terraform would refuse ``stack`` in ``stack_dir`` for its review record; None when it passes.

    ``stack_json`` is the stack's cdk.tf.json (read from ``stack_dir`` by default).
    """
    record = read_review(stack_dir)
    if record is None:
        return f"{stack}: no review record ({RECORD_FILE})"
    if not approves(record, stack, stack_json if stack_json is not None else (stack_dir / STACK_FILE).read_bytes()):
        return f"{stack}: its review record was made for another {STACK_FILE} than this one"
    if record.get("verdict") != PASS:
        return f"{stack}: its review did not pass (a control weakened without a waiver, or a judge failed)"
    return None
