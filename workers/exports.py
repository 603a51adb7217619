"""Export jobs: thin wrappers; the work is in webapp/services/exports/export_jobs.py."""
from webapp.services.exports import export_jobs
from workers.context import tracked


@tracked
def export_codes(run):
    return export_jobs.export_codes(run)


@tracked
def export_scans(run):
    return export_jobs.export_scans(run)


@tracked
def export_images(run):
    return export_jobs.export_images(run)
