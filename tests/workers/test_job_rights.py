"""A job acts with the rights of the member who submitted it, checked again when it runs
and before each chunk it commits."""
import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.support.bulk import csv_file, upload
from tests.support.jobs import job_row
from tests.support.teams import bearer, join
from webapp.extensions import db
from webapp.models import BackgroundJob, QrCode, WorkspaceMember
from webapp.services.jobs import lifecycle
from webapp.services.workspaces import actors, memberships
from workers.runs import JobRun, RightsLost

LINES = ["https://shop.example.com/a,dynamic,A", "https://shop.example.com/b,dynamic,B"]


def member_of_a_shop(app, role):
    """(workspace id, the member's user id, their API key's headers) of a new workspace."""
    with app.app_context():
        owner = make_user("owner@example.com")
        workspace_id = memberships.create_workspace(owner, "Shop").id
        member = make_user(f"{role}@example.com")
        join(member, workspace_id, role)
        headers = bearer(member, workspace_id)
        db.session.commit()
        return workspace_id, member.id, headers


def submitted_by_an_editor(app, client):
    workspace_id, editor_id, headers = member_of_a_shop(app, "editor")
    response = upload(client, csv_file(LINES), headers, format="svg")
    assert response.status_code == 202, response.get_json()
    return response.json["job_id"], workspace_id, editor_id


def codes_in(app, workspace_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QrCode)
                                 .where(QrCode.workspace_id == workspace_id))


def set_role(app, workspace_id, user_id, role):
    with app.app_context():
        membership = db.session.get(WorkspaceMember, (workspace_id, user_id))
        if role is None:
            db.session.delete(membership)
        else:
            membership.role = role
        db.session.commit()


def test_the_job_of_an_editor_runs_with_their_rights(app, client, run_jobs):
    job_id, workspace_id, _ = submitted_by_an_editor(app, client)
    run_jobs()
    assert job_row(app, job_id).status == "completed"
    assert codes_in(app, workspace_id) == 2


def test_demoted_before_it_runs_the_job_fails_without_retries_and_makes_nothing(app, client, run_jobs):
    job_id, workspace_id, editor_id = submitted_by_an_editor(app, client)
    set_role(app, workspace_id, editor_id, "viewer")
    run_jobs()
    row = job_row(app, job_id)
    assert row.status == "failed" and row.attempts == 1
    assert "editor" in row.error and "viewer" in row.error
    assert codes_in(app, workspace_id) == 0


def test_removed_before_it_runs_the_job_fails_and_makes_nothing(app, client, run_jobs):
    job_id, workspace_id, editor_id = submitted_by_an_editor(app, client)
    set_role(app, workspace_id, editor_id, None)
    run_jobs()
    row = job_row(app, job_id)
    assert row.status == "failed" and "no longer in this workspace" in row.error
    assert codes_in(app, workspace_id) == 0


def test_a_viewer_cannot_submit_it_at_all(app, client):
    _, _, headers = member_of_a_shop(app, "viewer")
    response = upload(client, csv_file(LINES), headers, format="svg")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_a_member_removed_while_the_job_runs_stops_it_at_the_next_chunk(app, client):
    job_id, workspace_id, editor_id = submitted_by_an_editor(app, client)
    with app.app_context():
        assert lifecycle.claim(job_id, "a" * 32, "test:1")
        db.session.commit()
        run = JobRun(db.session.get(BackgroundJob, job_id), "a" * 32, app.config)
        run.actor = actors.for_job(editor_id, workspace_id, "editor")
        run.needed = "editor"
        run.progress(1, checkpoint={"done": 1})  # still an editor: the chunk is written
        db.session.remove()
    set_role(app, workspace_id, editor_id, "viewer")
    with app.app_context():
        with pytest.raises(RightsLost, match="viewer"):
            run.progress(2, checkpoint={"done": 2})
        db.session.remove()
