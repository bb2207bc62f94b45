"""The record of a deploy: which review approved exactly this stack, kept in the stack's own state.

``make review`` writes the review's record (verdict, waivers, the SHA-256 of
every synthesized stack, the pull request it reviewed) into each stack's
directory as ``rayfort-review.auto.tfvars.json``, which Terraform loads by
itself, locally and in Terraform Cloud. Every stack declares the variable,
refuses to plan unless the record's verdict is ``pass`` and its digest is
that of the stack's own ``cdk.tf.json`` (``filesha256``), and keeps the record
in a ``terraform_data`` resource and an output: every state version, and so
every Terraform Cloud run, shows the review that let it through.
"""

from __future__ import annotations

from rayfort._cdk import (
    Construct,
    DataResource,
    Precondition,
    TerraformOutput,
    TerraformResourceLifecycle,
    TerraformStack,
    TerraformVariable,
    TerraformVariableValidationConfig,
)
from rayfort.review_record import PASS, RECORD_FILE, RECORD_VARIABLE, STACK_FILE


class DeployRecord(Construct):
    """The review record a stack is deployed with; a plan without a passing, matching record fails."""

    def __init__(self, scope: Construct, construct_id: str, stack_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = TerraformStack.of(self)
        # Directly in the stack, so the variable keeps the name the tfvars file gives it.
        variable = TerraformVariable(
            stack,
            RECORD_VARIABLE,
            type="string",
            nullable=False,
            description="The review record of this deploy (JSON), written by `make review` to "
            f"{RECORD_FILE}: verdict, waivers, SHA-256 of each stack, pull request",
            validation=[
                TerraformVariableValidationConfig(
                    condition=f"${{can(jsondecode(var.{RECORD_VARIABLE}).stacks) && "
                    f"can(jsondecode(var.{RECORD_VARIABLE}).verdict) && "
                    f"can(jsondecode(var.{RECORD_VARIABLE}).waivers)}}",
                    error_message="rayfort_review must be the JSON record `make review` writes "
                    "(verdict, waivers, stacks).",
                )
            ],
        )
        record = f"jsondecode(var.{RECORD_VARIABLE})"
        self.record = DataResource(
            self,
            "record",
            input={"stack": stack_id, "review": variable.string_value},
            lifecycle=TerraformResourceLifecycle(
                precondition=[
                    Precondition(
                        condition=f'${{{record}.verdict == "{PASS}"}}',
                        error_message="The review of this change did not pass (a control weakened without a "
                        "waiver, or a judge failed): it cannot be deployed.",
                    ),
                    Precondition(
                        condition=f'${{lookup({record}.stacks, "{stack_id}", "") == '
                        f'filesha256("${{path.module}}/{STACK_FILE}")}}',
                        error_message=f"The review record was made for another {stack_id} than this one: "
                        "review the stacks being deployed (make review), then deploy them unchanged.",
                    ),
                ]
            ),
        )
        TerraformOutput(
            stack,
            "deploy_record",
            value=variable.string_value,
            description="The review this deploy carried: verdict, waivers, stack digests, pull request",
        )
