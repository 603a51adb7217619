"""Imports every API resource module so its routes land on the blueprint."""
from . import exports, jobs  # noqa: F401
