"""Terraform Cloud for a rayfort environment: one workspace per stack, run triggers in deploy order,
remote state shared only where a stack reads another, and Google credentials through Workload
Identity Federation, so no service account key exists anywhere.

``plan`` derives all of it from a synthesized app; ``workspaces`` and ``dynamic_credentials`` are the
constructs the bootstrap app (``bootstrap/``) composes.
"""
