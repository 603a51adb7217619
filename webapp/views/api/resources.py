"""Imports every API resource module so its routes land on the blueprint."""
from . import webhooks  # noqa: F401
