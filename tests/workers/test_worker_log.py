"""The worker's log under `make run`: one line per job; RQ's own chatter and the periodic
scheduler's routine below info, so that the web's log stays readable."""
import logging

from tests.factories import make_job, make_user, workspace_of
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.services.jobs import periodic
from workers import scheduler
from workers.__main__ import QUIET_LOGGERS, quiet_rq_logging
from workers.context import tracked


@tracked
def small_job(run):
    return {"done": 1}


def test_a_job_logs_one_line_at_info(app, caplog):
    with app.app_context():
        ada = make_user("ada@example.com")
        job_id = make_job(workspace_of(ada), "exports.codes", status="pending", user_id=ada.id).id
        db.session.commit()
    with caplog.at_level(logging.DEBUG):
        assert small_job(job_id) == {"done": 1}
    lines = [r.getMessage() for r in caplog.records
             if r.levelno >= logging.INFO and r.name.startswith("workers")]
    assert len(lines) == 1 and job_id in lines[0] and "done in" in lines[0]


def test_rq_and_the_periodic_scheduler_are_quiet(app, caplog):
    quiet_rq_logging()
    for name in QUIET_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    name, task = sorted(periodic.PERIODIC.items())[0]
    job = scheduler.PeriodJob(name, task, periodic.interval_of(task, app.config))
    with caplog.at_level(logging.DEBUG, logger="workers.scheduler"):
        assert job.enqueue(get_redis(app)) is not None
    assert [r.levelno for r in caplog.records if r.name == "workers.scheduler"] == [logging.DEBUG]
