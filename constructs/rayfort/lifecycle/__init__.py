"""From a synthesized app to deployed stacks: deploy order, lock files, the synth record, the deploy/ tree,
and the guard that keeps a tenant's stack from disappearing while it still holds resources.

Nothing here imports the CDK: every function reads a synthesized directory or an environment.
"""
