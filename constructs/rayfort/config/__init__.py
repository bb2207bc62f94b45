"""Typed models of an environment file, with secure defaults."""

from rayfort.config._types import Problem
from rayfort.config.environment import Environment, cross_field_problems
from rayfort.config.loader import ConfigError, load_environment, resolve_environment_path

__all__ = [
    "ConfigError",
    "Environment",
    "Problem",
    "cross_field_problems",
    "load_environment",
    "resolve_environment_path",
]
