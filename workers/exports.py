"""Export jobs: thin wrappers; the work is in webapp/services/exports.py."""
from webapp.services import exports

from .context import tracked


@tracked
def export_codes(run):
    return exports.export_codes(run)


@tracked
def export_scans(run):
    return exports.export_scans(run)


@tracked
def export_images(run):
    return exports.export_images(run)
