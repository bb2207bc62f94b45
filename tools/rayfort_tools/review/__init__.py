"""Review reports for pull requests: stacks, resources, controls, judges, and what a change does."""
