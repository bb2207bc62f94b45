"""Kubernetes objects as plain, typed data, and the one construct that applies them."""
