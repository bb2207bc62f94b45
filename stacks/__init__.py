"""The app's stacks, composed from the rayfort construct library."""

from stacks.app import build_app

__all__ = ["build_app"]
