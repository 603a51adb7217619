"""Bulk jobs from uploaded CSVs: thin wrappers; the work is in webapp/services/bulk/."""
from webapp.services.bulk import create, update
from workers.context import in_app_context, process_identity, tracked


@tracked
def create_codes(run):
    return create.run_bulk_create(run)


@in_app_context
def help_create(job_id, lease):
    """Another worker's share of a bulk create (services/bulk/fanout.py): no row of its own."""
    return create.help_bulk_create(job_id, lease, process_identity())


@tracked
def update_codes(run):
    return update.run_bulk_update(run)
