"""Imports every API resource module so its routes land on the blueprint."""
from . import images  # noqa: E402,F401
from . import qrcodes  # noqa: E402,F401
