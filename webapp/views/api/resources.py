"""Imports every API resource module so its routes land on the blueprint."""
from . import public_scan, scans  # noqa: F401
