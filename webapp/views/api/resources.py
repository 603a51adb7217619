"""Imports every API resource module so its routes land on the blueprint."""
from webapp.views.api import bulk, exports, images, jobs, public_scan, qrcodes, scans, webhooks  # noqa: F401
