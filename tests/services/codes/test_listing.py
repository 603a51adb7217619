"""Keyset pagination of the code list: every code once, whatever happens between pages."""
import base64
import random
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select, text

from tests.factories import code_row, seed_codes
from webapp.extensions import db
from webapp.models import QrCode
from webapp.models.base import utcnow
from webapp.services.codes.filters import CodeFilters
from webapp.services.codes.listing import codes_query, decode_cursor, encode_cursor


def page(client, headers, cursor=None, limit=7, **filters):
    params = dict(filters, limit=limit, **({"cursor": cursor} if cursor else {}))
    response = client.get("/api/qr-codes", query_string=params, headers=headers)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]], response.json["next_cursor"]


def test_paging_returns_every_code_once_while_codes_are_created_and_deleted(app, client, api_owner):
    workspace_id, headers = api_owner
    rng = random.Random(9)
    with app.app_context():
        # Groups of three share their created_at to the microsecond: the id breaks the tie.
        existing = seed_codes(workspace_id, 60, same_time_every=3)
    newest_first = sorted(existing, key=lambda c: (existing.index(c) // 3, c), reverse=True)
    created, deleted, seen = [], set(), []
    cursor = None
    while True:
        ids, cursor = page(client, headers, cursor)
        seen.extend(ids)
        if cursor is None:
            break
        # Between pages: two new codes, one deleted among those still to come, one among those seen.
        for _ in range(2):
            response = client.post("/api/qr-codes", json={"target_url": "https://example.com/new"},
                                   headers=headers)
            created.append(response.json["id"])
        unseen = [c for c in newest_first if c not in seen and c not in deleted]
        for victim in (rng.choice(unseen) if unseen else None, rng.choice(seen)):
            if victim and victim not in deleted:
                assert client.delete(f"/api/qr-codes/{victim}", headers=headers).status_code == 204
                deleted.add(victim)
    assert len(seen) == len(set(seen)), "a code was shown twice"
    throughout = [c for c in newest_first if c not in deleted]
    assert [c for c in seen if c in throughout] == throughout, "a code that existed throughout was skipped"
    assert not set(seen) & set(created), "codes newer than the cursor belong on page 1"
    assert not (set(seen) - set(existing))
    # Those created meanwhile are at the top when one starts again.
    first, _ = page(client, headers, limit=len(created))
    assert set(first) == set(created)


def test_codes_with_the_same_time_page_by_id(app, client, api_owner):
    workspace_id, headers = api_owner
    at = utcnow()
    with app.app_context():
        ids = seed_codes(workspace_id, 0, rows=[code_row(workspace_id, i, at) for i in range(9)])
    seen, cursor = [], None
    while True:
        chunk, cursor = page(client, headers, cursor, limit=2)
        seen.extend(chunk)
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def cursor_of(text_value):
    return base64.urlsafe_b64encode(text_value.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    cursor_of("2026-01-01T00:00:00|" + "a" * 26),           # a time without a zone
    cursor_of("2026-01-01T00:00:00+00:00|not-an-id"),
    cursor_of("2026-01-01T00:00:00+00:00|" + "a" * 25 + "\x00"),
    cursor_of("yesterday|" + "a" * 26),
    cursor_of("0001-01-01T00:00:00+05:00|" + "a" * 26),   # before year 1 in UTC
    cursor_of("9999-12-31T23:59:59-05:00|" + "a" * 26),   # after 9999 in UTC
    cursor_of("no separator"),
    "%%%", "\x00", "é" * 50, "A" * 201,
])
def test_a_cursor_we_did_not_make_is_a_400_not_a_500(client, auth, api_owner, cursor):
    _, headers = api_owner
    response = client.get("/api/qr-codes", query_string={"cursor": cursor}, headers=headers)
    assert response.status_code in (400, 422)
    assert response.json["error"]["message"]
    auth.signup(email="page@example.com")
    assert client.get("/codes/", query_string={"cursor": cursor}).status_code in (400, 422)


def test_a_cursor_from_another_zone_means_the_same_instant(app, api_owner):
    workspace_id, _ = api_owner
    with app.app_context():
        seed_codes(workspace_id, 3)
        code = db.session.scalars(select(QrCode)).first()
        when, code_id = decode_cursor(encode_cursor(code))
        elsewhere = when.astimezone(timezone(timedelta(hours=5)))
        shifted = cursor_of(f"{elsewhere.isoformat()}|{code_id}")
        assert decode_cursor(shifted) == (when, code_id)


def plan(query):
    """The database's plan for `query` (sequential scans discouraged on PostgreSQL, so the
    plan shows which index the predicate can use at all)."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE qr_codes"))
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = query.compile(bind, compile_kwargs={"literal_binds": True})
        rows = db.session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    else:
        compiled = query.compile(bind, compile_kwargs={"literal_binds": True})
        rows = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    db.session.rollback()
    return "\n".join(rows)


def test_a_page_after_a_cursor_is_an_index_seek_not_an_offset(app, api_owner):
    workspace_id, _ = api_owner
    with app.app_context():
        seed_codes(workspace_id, 30)
        middle = db.session.scalars(codes_query(workspace_id).offset(15).limit(1)).one()
        query = codes_query(workspace_id, after=decode_cursor(encode_cursor(middle))).limit(8)
        found = plan(query)
        assert "ix_qr_codes_workspace_created" in found, found
        if db.engine.dialect.name == "postgresql":
            # The row comparison is part of the index condition: the seek starts at the cursor.
            assert "Index Cond" in found and "created_at" in found.split("Index Cond", 1)[1], found
        else:
            assert "(created_at,id)<(?,?)" in found.replace(" ", ""), found
        for filters, index in ((CodeFilters(kind="static"), "ix_qr_codes_workspace_kind_created"),
                               (CodeFilters(active=False), "ix_qr_codes_workspace_active_created")):
            assert index in plan(codes_query(workspace_id, filters).limit(8)), filters
