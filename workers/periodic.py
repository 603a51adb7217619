"""The RQ side of periodic work: run one registered task in its own app context."""
from webapp.services.jobs import periodic
from workers.context import in_app_context


@in_app_context
def run_task(name):
    return periodic.run_task(name)
