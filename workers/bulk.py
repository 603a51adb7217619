"""Bulk jobs from uploaded CSVs: thin wrappers; the work is in webapp/services/bulk_*.py."""
from webapp.services import bulk_create, bulk_update

from .context import tracked


@tracked
def create_codes(run):
    return bulk_create.run_bulk_create(run)


@tracked
def update_codes(run):
    return bulk_update.run_bulk_update(run)
