"""The audit log through HTTP: GET /api/audit-log and the /audit-log page, for admins of
the workspace only, newest first in keyset pages; what the browser, the API and a bulk
job change is logged with how it came."""
import re

import pytest
from sqlalchemy import select, update

from tests.factories import api_key, make_code, make_endpoint, make_user, owner_of, workspace_of
from tests.support.auth import user_id
from tests.support.bulk import csv_file, dynamic_rows, upload
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import User, WorkspaceMember
from webapp.services import audit
from webapp.services.accounts import api_keys

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)


def log(client, headers, **query):
    response = client.get("/api/audit-log", headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def set_role(app, workspace_id, email, role):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        db.session.execute(update(WorkspaceMember).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id == uid)
            .values(role=role))
        db.session.commit()


def test_browser_and_api_changes_are_logged_with_their_via(app, client, owner, auth):
    headers = api_key(app)
    with app.app_context():
        endpoint = make_endpoint(owner_of(owner), "http://127.0.0.1:8123/hook", events=["qr.created"])
        db.session.commit()
        endpoint_id = endpoint.id
    response = client.post(f"/webhooks/{endpoint_id}/disable", data={"csrf_token": auth.token()})
    assert response.status_code == 302
    response = client.patch(f"/api/webhooks/{endpoint_id}", headers=headers,
                            json={"enabled": True, "rotate_secret": True})
    assert response.status_code == 200
    secret = response.json["secret"]

    items = log(client, headers)["items"]
    assert [(i["action"], i["via"], i["actor"]) for i in items[:3]] == [
        ("webhook.secret_rotated", "api", "ada@example.com"),
        ("webhook.enabled", "api", "ada@example.com"),
        ("webhook.disabled", "browser", "ada@example.com"),
    ]
    assert items[2]["changes"] == {"enabled": [True, False]}
    assert items[2]["object_type"] == "webhook" and items[2]["object_id"] == endpoint_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", items[0]["at"])
    assert secret not in str(items)


def test_a_bulk_job_is_one_entry_with_its_counts(app, client, owner, run_jobs):
    headers = api_key(app)
    with app.app_context():
        make_code(owner, "menu", target_url="https://a.example/menu", announce=False, commit=False)
        make_code(owner, "wine", target_url="https://a.example/wine", announce=False)
    lines = dynamic_rows(3) + ["not a url,dynamic,Bad"]
    assert upload(client, csv_file(lines), headers).status_code == 202
    run_jobs()
    lines = ["menu,https://a.example/menu-2", "wine,https://a.example/wine", "gone,https://x.example/"]
    response = upload(client, csv_file(lines, header="slug,target_url"), headers,
                      path="/api/bulk/qr-codes/update")
    assert response.status_code == 202
    run_jobs()

    items = log(client, headers)["items"]
    assert [i["action"] for i in items] == ["bulk.updated", "bulk.created", "api_key.created"]
    updated, created = items[0], items[1]
    assert updated["changes"] == {"rows": 3, "updated": 1, "unchanged": 1, "rejected": 1}
    assert created["changes"] == {"rows": 4, "created": 3, "rejected": 1}
    assert (updated["via"], updated["actor"], updated["object_type"]) == (
        "job", "ada@example.com", "job")
    assert updated["object_id"] == response.json["job_id"]


def test_keyset_pages_cover_the_log_once_newest_first_and_never_another_workspace(app, client):
    with app.app_context():
        ada, eve = make_user("ada@example.com"), make_user("eve@example.com")
        _, raw = api_keys.create_api_key(ada, "log reader")
        eves_key, _ = api_keys.create_api_key(eve, "eve's")
        db.session.commit()
        ada_ws, eve_ws = owner_of(api_keys.actor_for_api_key(raw).workspace_id), owner_of(
            eves_key.workspace_id)
        for n in range(8):
            audit.record(ada_ws, "code.updated", "code", f"c{n}", {"title": [f"t{n}", f"t{n + 1}"]})
            audit.record(eve_ws, "code.updated", "code", f"eve{n}", {})
        db.session.commit()
        everything = [str(e.id) for e in audit.page(ada_ws, limit=100)[0]]
    headers = {"Authorization": f"Bearer {raw}"}

    seen, cursor, pages = [], None, 0
    while True:
        body = log(client, headers, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        # Entries written between two pages do not shift the next one.
        with app.app_context():
            audit.record(owner_of(ada_ws.workspace_id), "code.updated", "code", "late", {})
            db.session.commit()
    assert pages == 3 and len(everything) == 9  # 8 changes and the key
    assert seen == everything
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)
    objects = [i["object_id"] for i in log(client, headers, limit=100)["items"]]
    assert not [o for o in objects if o.startswith("eve")]

    bad = client.get("/api/audit-log?cursor=abc", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["fields"] == {"cursor": "unknown"}
    assert client.get("/api/audit-log?limit=0", headers=headers).status_code == 422


@pytest.mark.parametrize("role, status", [("viewer", 403), ("editor", 403), ("admin", 200),
                                          ("owner", 200)])
def test_only_admins_and_owners_read_the_log(app, client, role, status):
    with app.app_context():
        ada, eve = make_user("ada@example.com"), make_user("eve@example.com")
        workspace_id = workspace_of(ada)
        if role != "owner":
            db.session.add(WorkspaceMember(workspace_id=workspace_id, user_id=eve.id, role=role))
        db.session.flush()
        _, raw = api_keys.create_api_key(eve if role != "owner" else ada, "k", workspace_id)
        db.session.commit()
    response = client.get("/api/audit-log", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == status
    if status == 403:
        assert response.json["error"]["code"] == "forbidden"


def test_an_admin_key_capped_below_admin_is_refused(app, client):
    with app.app_context():
        ada = make_user("ada@example.com")
        _, raw = api_keys.create_api_key(ada, "reader", role="editor")
        db.session.commit()
    assert client.get("/api/audit-log", headers={"Authorization": f"Bearer {raw}"}).status_code == 403


def test_the_page_reads_changes_as_lines_and_pages_with_an_older_link(app, client, owner):
    with app.app_context():
        actor = owner_of(owner)
        for n in range(audit.DEFAULT_PAGE + 2):
            audit.record(actor, "code.updated", "code", f"c{n}",
                         {"target_url": [f"https://a.example/{n}", f"https://b.example/{n}"]})
        db.session.commit()
    html = client.get("/audit-log/").get_data(as_text=True)
    assert 'href="/audit-log/">Audit log</a>' in html  # the navigation links to it
    last = audit.DEFAULT_PAGE + 1
    assert f"target_url: https://a.example/{last} → https://b.example/{last}</div>" in html
    assert "ada@example.com" in html and "via browser" in html
    older = re.search(r'href="(/audit-log/\?cursor=\d+)"[^>]*>Older', html)
    assert older
    html = client.get(older.group(1)).get_data(as_text=True)
    assert "target_url: https://a.example/1 → https://b.example/1</div>" in html
    assert f"https://b.example/{last}" not in html and "Older" not in html


def test_below_admin_the_page_is_403_and_the_navigation_has_no_link(app, client, owner):
    assert "Audit log</a>" in client.get("/").get_data(as_text=True)
    set_role(app, owner, "ada@example.com", "editor")
    assert client.get("/audit-log/").status_code == 403
    assert "Audit log</a>" not in client.get("/").get_data(as_text=True)
    assert user_id(app)  # still logged in: a role, not the session, refused the page
