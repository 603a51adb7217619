"""Streamed bodies: the NDJSON of every code, small CSV exports, the streamed list page."""
import csv
import io
import json

import pytest
from sqlalchemy import event, select

from tests.factories import code_row, give_scans, make_api_user, seed_codes
from webapp.extensions import db
from webapp.models import BackgroundJob, QrCode, User
from webapp.models.base import utcnow
from webapp.services.exports.streams import BATCH
from webapp.services.scans.recording import record_scan

pytestmark = pytest.mark.settings(EXPORT_STREAM_MAX_ROWS=5)


def ndjson(response):
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    body = response.get_data(as_text=True)
    assert body == "" or body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def test_the_stream_has_every_code_once_one_json_object_per_line(app, client, api_owner):
    workspace_id, headers = api_owner
    with app.app_context():
        ids = seed_codes(workspace_id, 2 * BATCH + 7, same_time_every=4)  # crosses two batch edges
        give_scans(ids[0], people=5, bots=2)
        give_scans(ids[0], people=1, shard=3)
        stranger, _ = make_api_user("bob@example.com")
        seed_codes(stranger.id, 3)
    response = client.get("/api/qr-codes/stream", headers=headers)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert not response.is_sequence  # streamed: no body was built ahead of the response
    codes = ndjson(response)
    newest_first = sorted(ids, key=lambda c: (ids.index(c) // 4, c), reverse=True)
    assert [c["id"] for c in codes] == newest_first  # like the list; the id breaks ties
    assert set(codes[0]) >= {"id", "kind", "slug", "title", "target_url", "scan_url", "style",
                             "active", "expires_at", "scannable", "scan_count", "created_at"}
    by_id = {c["id"]: c for c in codes}
    assert by_id[ids[0]]["scan_count"] == 6  # exact: the shard sums, not the rollup's copy
    assert by_id[ids[1]]["scan_count"] == 0


def test_the_stream_needs_a_key_and_shows_only_ones_own(app, client, api_owner):
    _, headers = api_owner
    assert client.get("/api/qr-codes/stream").status_code == 401
    with app.app_context():
        _, bob = make_api_user("bob@example.com")
    assert ndjson(client.get("/api/qr-codes/stream", headers=bob)) == []
    assert client.get("/api/qr-codes/stream", headers={"Authorization": "Bearer sk_nope"}).status_code == 401


def test_the_stream_takes_the_lists_filters(app, client, api_owner):
    workspace_id, headers = api_owner
    with app.app_context():
        rows = [code_row(workspace_id, i, utcnow(), title="Window" if i % 2 else "Door",
                         kind="static" if i % 3 == 0 else "dynamic") for i in range(12)]
        seed_codes(workspace_id, 0, rows=rows)
    got = ndjson(client.get("/api/qr-codes/stream?q=wind&kind=dynamic", headers=headers))
    expected = {r["id"] for r in rows if r["title"] == "Window" and r["kind"] == "dynamic"}
    assert {c["id"] for c in got} == expected and expected
    assert ndjson(client.get("/api/qr-codes/stream?q=%00", headers=headers)) == []


def test_a_stream_the_client_drops_ends_its_request_cleanly(app, client, api_owner):
    workspace_id, headers = api_owner
    with app.app_context():
        seed_codes(workspace_id, 3 * BATCH)
    response = client.get("/api/qr-codes/stream", headers=headers, buffered=False)
    first = next(response.iter_encoded())
    assert first.count(b"\n") == BATCH
    response.close()  # as the server does when the browser goes away
    # The app and its session still work: the next request is answered normally.
    assert len(ndjson(client.get("/api/qr-codes/stream?kind=static", headers=headers))) == 0


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="scanlink-')
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_small_export_downloads_at_once_and_a_large_one_becomes_a_job(app, client, auth):
    auth.signup()
    with app.app_context():
        user_id = db.session.scalars(select(User.id)).one()
        ids = seed_codes(user_id, 4)
        record_scan(ids[0], user_agent="Mozilla/5.0 (iPhone)", referrer="https://news.example/a")
        db.session.commit()
    token = auth.token("/codes/")
    codes = rows_of(client.post("/codes/export", data={"what": "codes", "csrf_token": token}))
    assert [row["id"] for row in codes] == ids  # oldest first, like the export job's file
    assert codes[0]["scan_count"] == "1"
    scans = rows_of(client.post("/codes/export", data={"what": "scans", "csrf_token": token}))
    assert len(scans) == 1 and scans[0]["code_id"] == ids[0]
    with app.app_context():
        seed_codes(user_id, 2)  # six codes: over EXPORT_STREAM_MAX_ROWS
        assert db.session.query(BackgroundJob).count() == 0
    handed_off = client.post("/codes/export", data={"what": "codes", "csrf_token": token})
    assert handed_off.status_code == 302 and handed_off.headers["Location"].endswith("/jobs/")
    with app.app_context():
        job = db.session.scalars(select(BackgroundJob)).one()
        assert job.type == "exports.codes" and job.workspace_id == user_id
    assert "runs in the background" in client.get("/jobs/").get_data(as_text=True)
    bad = client.post("/codes/export", data={"what": "users", "csrf_token": token})
    assert bad.status_code == 422
    assert client.post("/codes/export", data={"what": "codes"}).status_code == 400  # no CSRF token


def test_the_streamed_page_shows_a_flash_once_and_keeps_the_csrf_token(app, client, auth):
    auth.signup()
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        seed_codes(user.id, 2)
        code_id = db.session.scalars(select(QrCode.id)).first()
    token = auth.token("/codes/")
    client.post(f"/codes/{code_id}/delete", data={"csrf_token": token})
    first = client.get("/codes/")
    assert first.is_streamed and "is deleted" in first.get_data(as_text=True)
    assert "is deleted" not in client.get("/codes/").get_data(as_text=True)
    # The token the streamed page carries is one the session accepts.
    token = auth.token("/codes/")
    remaining = db_code_ids(app)
    assert client.post(f"/codes/{remaining[0]}/delete", data={"csrf_token": token}).status_code == 302


def db_code_ids(app):
    with app.app_context():
        return db.session.scalars(select(QrCode.id)).all()


def test_the_dashboard_shows_the_newest_fifty_codes(app, client, auth):
    auth.signup()
    assert "Create your first QR code" in client.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        ids = seed_codes(user.id, 53)
    page = client.get("/").get_data(as_text=True)
    shown = [chunk.split('"', 1)[0] for chunk in page.split('data-code-id="')[1:]]
    assert shown == ids[::-1][:50]
    assert "All codes, search and filters" in page and "Create your first QR code" not in page
    assert "<img" not in page  # previews load as the cards come into view


def test_the_list_page_sends_its_head_before_the_query_runs(app, client, auth):
    auth.signup()
    with app.app_context():
        user_id = db.session.scalars(select(User.id)).one()
        seed_codes(user_id, 60)
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM qr_codes" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/codes/?q=code", buffered=False)
        chunks = response.iter_encoded()
        head = next(chunks).decode()
        assert "<h1>Your QR codes</h1>" in head and 'name="q"' in head
        assert "code-card" not in head and statements == []  # painted before the query
        rest = b"".join(chunks).decode()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert rest.count('class="code-card"') == 48 and len(statements) == 1
    assert rest.rstrip().endswith("</html>")


def test_a_head_request_or_an_unread_page_leaves_no_request_open(app, client, auth):
    auth.signup()
    head = client.head("/codes/")
    assert head.status_code == 200 and head.mimetype == "text/html" and head.data == b""
    stream = client.head("/api/qr-codes/stream")  # the browser session may call the API
    assert stream.status_code == 200 and stream.data == b""
    unread = client.get("/", buffered=False)
    unread.close()  # as a server does when the browser goes away before the first byte
    # Had a request context been left pushed, these would run inside it and fail.
    for path in ("/codes/", "/"):
        page = client.get(path)
        assert page.status_code == 200 and "</html>" in page.get_data(as_text=True)
