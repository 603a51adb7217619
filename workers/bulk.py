"""Bulk jobs from uploaded CSVs: thin wrappers; the work is in webapp/services/bulk/."""
from webapp.services.bulk import create, update
from workers.context import tracked


@tracked
def create_codes(run):
    return create.run_bulk_create(run)


@tracked
def update_codes(run):
    return update.run_bulk_update(run)
