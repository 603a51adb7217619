"""Every change to codes, webhooks and API keys is one entry, written by the commit of
the change: a change rolled back or refused leaves none, and no secret is ever logged."""
import json

import pytest
from sqlalchemy import select

from tests.factories import actor_for, make_endpoint, make_job, make_user, workspace_of
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import ApiKey, AuditEntry, WebhookEndpoint
from webapp.services import ServiceError, signals
from webapp.services.accounts import api_keys
from webapp.services.codes import qrcodes
from webapp.services.webhooks import endpoints

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def entries(workspace_id=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if workspace_id is not None:
        query = query.where(AuditEntry.workspace_id == workspace_id)
    return db.session.scalars(query).all()


def logged(workspace_id=None):
    return [(e.action, e.object_id, e.changes) for e in entries(workspace_id)]


def test_a_code_made_changed_and_deleted_is_three_entries_with_before_and_after(app):
    with app.app_context():
        ada = make_user("ada@example.com")
        actor = actor_for(ada)
        code = qrcodes.create_code(actor, {"target_url": "https://a.example/menu", "title": "Menu",
                                           "slug": "menu-2026"})
        db.session.commit()
        qrcodes.update_code(actor, code.id, {"target_url": "https://a.example/menu-2027",
                                             "title": "Menu", "active": False,
                                             "style": {"dark": "#112233"}})
        db.session.commit()
        code_id = code.id
        qrcodes.delete_code(actor, code_id)
        db.session.commit()

        made, changed, gone = entries(actor.workspace_id)
        assert (made.action, made.object_type, made.object_id) == ("code.created", "code", code_id)
        assert made.changes == {"slug": [None, "menu-2026"], "title": [None, "Menu"],
                                "target_url": [None, "https://a.example/menu"]}
        assert changed.action == "code.updated"
        # The title was sent unchanged: only what changed is logged; of the style, the key.
        assert changed.changes == {
            "target_url": ["https://a.example/menu", "https://a.example/menu-2027"],
            "active": [True, False],
            "style": [{"dark": "#000000"}, {"dark": "#112233"}],
        }
        assert gone.action == "code.deleted"
        assert gone.changes["target_url"] == ["https://a.example/menu-2027", None]
        assert {(e.actor_id, e.actor_email, e.via) for e in (made, changed, gone)} == {
            (ada.id, "ada@example.com", "browser")}


def test_the_actor_s_via_is_recorded(app):
    with app.app_context():
        ada = make_user("ada@example.com")
        for via in ("api", "job", "browser"):
            qrcodes.create_code(actor_for(ada, via=via), {"target_url": "https://a.example/"})
        db.session.commit()
        assert [e.via for e in entries()] == ["api", "job", "browser"]


def test_a_change_rolled_back_or_refused_leaves_no_entry(app):
    with app.app_context():
        actor = actor_for(make_user("ada@example.com"))
        code = qrcodes.create_code(actor, {"target_url": "https://a.example/"})
        db.session.commit()
        code_id = code.id
        qrcodes.update_code(actor, code_id, {"target_url": "https://b.example/"})
        db.session.rollback()  # the caller's transaction fails after the change
        with pytest.raises(ServiceError):
            qrcodes.update_code(actor, code_id, {"title": "New", "target_url": "not a url"})
        db.session.rollback()
        qrcodes.update_code(actor, code_id, {"target_url": "https://a.example/"})  # no change
        db.session.commit()
        assert [e.action for e in entries()] == ["code.created"]


def test_webhook_changes_are_logged_and_the_secret_never(app):
    with app.app_context():
        ada = make_user("ada@example.com")
        actor = actor_for(ada)
        endpoint = make_endpoint(actor, "http://127.0.0.1:8123/hook", events=["qr.created"])
        db.session.commit()
        endpoint_id, first_secret = endpoint.id, endpoint.secret
        endpoints.update_endpoint(actor, endpoint, url="http://127.0.0.1:8123/other",
                                  events=["qr.created"])
        endpoints.set_enabled(actor, endpoint, False)
        endpoints.set_enabled(actor, endpoint, False)  # already disabled: nothing happens
        endpoints.update_endpoint(actor, endpoint, enabled=True)
        new_secret = endpoints.rotate_secret(actor, endpoint)
        db.session.commit()
        endpoints.delete_endpoint(actor, db.session.get(WebhookEndpoint, endpoint_id))
        db.session.commit()

        assert [(action, object_id) for action, object_id, _ in logged()] == [
            (action, endpoint_id) for action in ("webhook.created", "webhook.updated",
                                                 "webhook.disabled", "webhook.enabled",
                                                 "webhook.secret_rotated", "webhook.deleted")]
        changes = [c for _, _, c in logged()]
        assert changes[1] == {"url": ["http://127.0.0.1:8123/hook", "http://127.0.0.1:8123/other"]}
        assert changes[2] == {"enabled": [True, False]} and changes[3] == {"enabled": [False, True]}
        assert changes[4] == {"secret": "rotated"}
        text = json.dumps(changes)
        assert first_secret not in text and new_secret not in text and "whsec_" not in text


def test_api_keys_are_logged_by_name_and_prefix_in_their_workspace(app):
    with app.app_context():
        ada = make_user("ada@example.com")
        key, raw = api_keys.create_api_key(ada, "printer", role="viewer")
        db.session.commit()
        assert api_keys.revoke_api_key(ada, key.id)
        assert api_keys.revoke_api_key(ada, key.id)  # twice: one entry
        db.session.commit()
        made, revoked = entries(key.workspace_id)
        assert (made.action, made.object_id, made.via) == ("api_key.created", key.id, "browser")
        assert made.changes == {"name": [None, "printer"], "prefix": [None, raw[:10]],
                                "role": [None, "viewer"]}
        assert revoked.action == "api_key.revoked" and revoked.changes["prefix"] == raw[:10]
        assert revoked.changes["revoked_at"][0] is None
        stored = db.session.get(ApiKey, key.id).key_hash
        text = json.dumps([made.changes, revoked.changes])
        assert raw not in text and stored not in text


def test_a_bulk_job_stopped_after_some_chunks_logs_what_they_changed(app):
    with app.app_context():
        user = make_user()
        workspace_id = workspace_of(user)
        stopped = make_job(workspace_id, "bulk.update", status="failed", user_id=user.id,
                           error="Cancelled after 400 done.", result=None,
                           checkpoint={"done": 400, "updated": 390, "unchanged": 10},
                           row_errors={"count": 3})
        untouched = make_job(workspace_id, "bulk.create", status="failed", user_id=user.id,
                             error="Cancelled before it started.", result=None)
        signals.job_finished.send(stopped)
        signals.job_finished.send(untouched)
        db.session.commit()
        assert logged(workspace_id) == [("bulk.updated", stopped.id, {
            "updated": 390, "unchanged": 10, "rows_done": 400, "rejected": 3,
            "stopped": "Cancelled after 400 done."})]
        assert entries(workspace_id)[0].via == "job"
