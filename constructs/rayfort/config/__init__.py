"""Typed models of an environment file, with secure defaults."""

from rayfort.config._types import Problem
from rayfort.config.checks import cross_field_problems
from rayfort.config.environment import Environment
from rayfort.config.loader import ConfigError, load_environment, resolve_environment_path

__all__ = [
    "ConfigError",
    "Environment",
    "Problem",
    "cross_field_problems",
    "load_environment",
    "resolve_environment_path",
]
