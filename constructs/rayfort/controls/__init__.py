"""rayfort's security controls, in one catalogue every rule, guardrail, review and doc reads."""

from rayfort.controls.catalogue import BY_ID, CONTROL_IDS, CONTROLS, Control, Presence, Setting, control, value_at

__all__ = ["BY_ID", "CONTROLS", "CONTROL_IDS", "Control", "Presence", "Setting", "control", "value_at"]
