"""Migration 0013 (workspaces) on a populated database: nothing is lost, nothing moves.

A database is made at 0012 and filled, in the 0012 shape, with what a live install
holds (users, codes, scans, counters, rollups, webhooks and their outbox, jobs, images,
presets, API keys, sessions); then it is upgraded to head while a scanner keeps
following existing codes, and compared row by row with what it held before.
"""
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, text
from werkzeug.urls import iri_to_uri

from tests.support.backends import create_database, make_config
from webapp.app import create_app
from webapp.extensions import cache, db
from webapp.infra.redis_client import get_redis
from webapp.models import QrCode, User, WorkspaceMember
from webapp.services.accounts import api_keys
from webapp.services.accounts import users as accounts_users
from webapp.services.scans import buffer, targets
from webapp.services.workspaces import memberships

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
# The tables whose `owner_id` 0013 renames to `workspace_id`.
RENAMED = {"qr_codes", "style_presets", "image_assets", "background_jobs", "webhook_endpoints"}
EMAILS = ["ada@example.com", "gone@example.com", "bob.builder@example.com",
          "cy+tag@example.org", "dee@example.com", "empty@example.com"]
CODES_PER_OWNER = {0: 1500, 2: 900, 3: 12, 4: 3}  # index in EMAILS → codes; "empty" has none
SCANS = 4000


def raw_key(user_id):
    return f"sk_upgrade-test-key-of-user-{user_id}"


@pytest.fixture
def database_url(db_kind, tmp_path_factory):
    url, drop = create_database(db_kind, tmp_path_factory)
    yield url
    drop()


def app_on(url, tmp_path, **overrides):
    return create_app(make_config(url, STORAGE_DIR=str(tmp_path / "storage"), **overrides))


def dispose(app):
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def old_app(database_url, tmp_path):
    """An app whose database is at 0012; Redis emptied."""
    app = app_on(database_url, tmp_path)
    with app.app_context():
        upgrade(revision="0012")
        get_redis(app).flushdb()
    yield app
    dispose(app)


def populate(conn):
    """Rows in the 0012 shape; returns {user index: user id}."""
    t = MetaData()
    t.reflect(conn)
    users = {}
    for i, email in enumerate(EMAILS):
        conn.execute(t.tables["users"].insert(), {
            "email": email, "password_hash": "x", "is_admin": i == 0, "created_at": T0 + timedelta(days=i),
            "updated_at": T0 + timedelta(days=i), "totp_secret": "S" * 32 if i == 2 else None})
        users[i] = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
    # A deleted account leaves a gap in the ids, as on a live install.
    conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": users.pop(1)})

    codes, dynamic = [], []
    for index, count in CODES_PER_OWNER.items():
        for n in range(count):
            number = len(codes)
            is_dynamic = n % 3 != 0
            codes.append({
                "id": f"01CODE{number:020d}", "owner_id": users[index], "slug": f"s{number:05d}x",
                "title": f"Code {number} of {index}", "kind": "dynamic" if is_dynamic else "static",
                "content_type": "url", "target_url": f"https://example.com/{index}/{number}?q=é",
                "content": None if is_dynamic else f"https://static.example.com/{number}",
                "style": {"fg": f"#{number % 256:02x}0000", "bg": "#ffffff", "module": "square"},
                "active": n % 17 != 5, "expires_at": T0 + timedelta(days=900) if n % 11 == 0 else None,
                "scannable": n % 2 == 0 or None, "scan_count": n % 50,
                "created_at": T0 + timedelta(minutes=number), "updated_at": T0 + timedelta(minutes=number + 1),
                "content_fields": {"url": f"https://example.com/{number}"} if n % 4 == 0 else None,
                "import_key": f"row-{n}" if n % 5 == 0 else None})
            if is_dynamic and n % 17 != 5 and n % 11 != 0:
                dynamic.append(codes[-1])
    conn.execute(t.tables["qr_codes"].insert(), codes)

    conn.execute(t.tables["scan_events"].insert(), [{
        "qr_code_id": dynamic[n % len(dynamic)]["id"], "scanned_at": T0 + timedelta(seconds=n * 37),
        "user_agent": f"agent {n % 9}", "device_type": "mobile", "os": "iOS", "browser": "Safari",
        "referrer": "", "ip_hash": f"{n % 300:064x}", "country": "FR", "is_bot": n % 13 == 0,
        "buffer_key": f"{n:032x}" if n % 7 == 0 else None} for n in range(SCANS)])
    conn.execute(t.tables["scan_counters"].insert(), [
        {"qr_code_id": code["id"], "shard": shard, "scans": 10 + shard, "bot_scans": shard}
        for code in dynamic[:400] for shard in range(3)])
    conn.execute(t.tables["scan_daily_rollups"].insert(), [
        {"qr_code_id": code["id"], "day": (T0 + timedelta(days=d)).date(), "scans": d + 1, "uniques": d,
         "bots": 0, "breakdowns": {"country": {"FR": d + 1}}} for code in dynamic[::8] for d in range(5)])
    conn.execute(t.tables["scan_rollup_days"].insert(), [
        {"day": (T0 + timedelta(days=d)).date(), "rolled_at": T0 + timedelta(days=d + 1), "events": 100 + d}
        for d in range(5)])

    owners = [users[i] for i in CODES_PER_OWNER]
    conn.execute(t.tables["style_presets"].insert(), [
        {"id": f"01PRESET{o:04d}{n:014d}", "owner_id": o, "name": f"Preset {n}",
         "style": {"fg": "#000000", "n": n}, "created_at": T0} for o in owners for n in range(3)])
    conn.execute(t.tables["image_assets"].insert(), [
        {"id": f"01IMAGE{o:04d}{n:015d}", "owner_id": o, "content_hash": f"{o * 100 + n:064x}",
         "status": "ready", "max_width": 512, "max_height": 512, "quality": 80, "format": "webp",
         "original_key": f"originals/{o}/{n}", "original_format": "png", "original_bytes": 1000 + n,
         "variant_key": f"variants/{o}/{n}", "width": 256, "height": 256, "bytes": 500, "error": None,
         "created_at": T0, "updated_at": T0, "name": f"logo {n}.png", "original_width": 1024,
         "original_height": 1024} for o in owners for n in range(4)])
    endpoints = [{"id": f"01HOOK{o:04d}{n:016d}", "owner_id": o, "url": f"https://hooks.example.com/{o}/{n}",
                  "secret": "whsec_" + "a" * 32, "previous_secret": None, "previous_secret_expires_at": None,
                  "events": ["qr.scanned", "qr.updated"], "enabled": True, "disabled_at": None,
                  "disabled_reason": None, "failure_streak": n, "failing_since": None,
                  "last_success_at": T0, "created_at": T0, "updated_at": T0,
                  "qr_code_id": next(c["id"] for c in dynamic if c["owner_id"] == o) if n else None}
                 for o in owners for n in range(2)]
    conn.execute(t.tables["webhook_endpoints"].insert(), endpoints)
    outbox = [{"id": f"01OUTBOX{n:018d}", "event_id": f"evt_{n}", "endpoint_id": endpoints[n % len(endpoints)]["id"],
               "event_type": "qr.scanned", "payload": json.dumps({"n": n}), "status": ("pending", "delivered",
               "dead")[n % 3], "attempts": n % 4, "next_attempt_at": T0 + timedelta(seconds=n),
               "locked_until": None, "last_status_code": 500 if n % 3 == 2 else None, "last_error": None,
               "delivered_at": T0 if n % 3 == 1 else None, "created_at": T0, "updated_at": T0,
               "lease_token": None} for n in range(300)]
    conn.execute(t.tables["webhook_outbox"].insert(), outbox)
    conn.execute(t.tables["webhook_attempts"].insert(), [
        {"outbox_id": row["id"], "endpoint_id": row["endpoint_id"], "number": k + 1,
         "attempted_at": T0 + timedelta(seconds=k), "outcome": "failed", "status_code": 500,
         "duration_ms": 12, "response_excerpt": "oops", "error": None}
        for row in outbox for k in range(row["attempts"])])
    conn.execute(t.tables["background_jobs"].insert(), [
        {"id": f"01JOB{n:021d}", "owner_id": owners[n % len(owners)] if n % 10 else None,
         "type": "bulk.import", "status": "succeeded", "queue": "default", "payload": {"rows": n},
         "result": {"created": n, "ids": [f"x{n}"]}, "progress_done": n, "progress_total": n, "attempts": 1,
         "error": None, "rq_job_id": f"rq-{n}", "created_at": T0 + timedelta(hours=n), "started_at": T0,
         "finished_at": T0, "updated_at": T0, "max_attempts": 3, "row_errors": [{"row": 2}] if n % 4 == 0
         else None, "checkpoint": None, "lease": None, "claimed_by": None, "heartbeat_at": None,
         "cancel_requested_at": None} for n in range(60)])
    conn.execute(t.tables["api_keys"].insert(), [
        {"id": f"01KEY{u:021d}", "user_id": u, "name": f"key of {u}", "prefix": raw_key(u)[:10],
         "key_hash": api_keys._hash_key(raw_key(u)), "created_at": T0, "last_used_at": None,
         "revoked_at": None} for u in users.values()])
    conn.execute(t.tables["user_sessions"].insert(), [
        {"id": f"01SESSION{u:017d}", "user_id": u, "token_hash": f"{u:064x}", "device": "Firefox",
         "remember": True, "created_at": T0, "last_seen_at": T0} for u in users.values()])
    conn.execute(t.tables["recovery_codes"].insert(), [
        {"user_id": users[2], "code_hash": f"{n:064x}", "created_at": T0, "used_at": None} for n in range(8)])
    conn.execute(t.tables["user_identities"].insert(), [
        {"user_id": users[0], "issuer": "https://id.example.com", "subject": "ada", "email": EMAILS[0],
         "created_at": T0}])
    return users, codes, dynamic


def snapshot(conn):
    """Every row of every table, in a fixed order, as the driver hands it back; the
    renamed column under its new name."""
    inspector = inspect(conn)
    rows = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        columns = [c["name"] for c in inspector.get_columns(table)]
        key = inspector.get_pk_constraint(table)["constrained_columns"] or columns
        names = ", ".join(f'"{c}"' for c in columns)
        result = conn.execute(text(f'SELECT {names} FROM "{table}" ORDER BY '
                                   + ", ".join(f'"{c}"' for c in key)))
        rows[table] = [{("workspace_id" if c == "owner_id" else c): v for c, v in zip(columns, row)}
                       for row in result]
    return rows


def scanner(app, slugs, results, stop):
    """Follows existing codes one after another through the real WSGI app until told to
    stop; records each answer."""
    client = app.test_client()
    n = 0
    while not stop.is_set():
        slug = slugs[n % len(slugs)]
        response = client.get(f"/s/{slug}")
        results.append((slug, response.status_code, response.headers.get("Location")))
        n += 1


def warm_cache(app, codes, endpoints_of):
    """The slug cache as the version before 0013 left it for these codes: the same
    tuple, its owner's id where the workspace's id now is (a personal workspace has its
    user's id), so scans during the upgrade need no look-up in the tables it changes."""
    with app.app_context():
        for code in codes:
            hooks = tuple((hook_id, code_filter) for hook_id, code_filter in endpoints_of[code["owner_id"]]
                          if code_filter in (None, code["id"]))
            value = (code["id"], code["kind"], iri_to_uri(code["target_url"]), code["active"],
                     code["expires_at"].timestamp() if code["expires_at"] else None, code["title"],
                     code["owner_id"], code["slug"], hooks)
            cache.set(targets.cache_key(code["slug"]), value, timeout=targets.FOUND_TTL)


def scans_per_code(conn):
    return dict(conn.execute(text("SELECT qr_code_id, COUNT(*) FROM scan_events GROUP BY qr_code_id")).all())


def counted_per_code(conn):
    return dict(conn.execute(text(
        "SELECT qr_code_id, SUM(scans + bot_scans) FROM scan_counters GROUP BY qr_code_id")).all())


def old_columns(row, before_rows):
    """The row without the columns this and later migrations add (upgrading goes to head)."""
    return {k: v for k, v in row.items() if not before_rows or k in before_rows[0]}


def test_upgrade_keeps_every_row_in_its_owners_personal_workspace(old_app, database_url, db_kind, tmp_path):
    with old_app.app_context(), db.engine.begin() as conn:
        users, codes, dynamic = populate(conn)
    with old_app.app_context(), db.engine.connect() as conn:
        before = snapshot(conn)
    owner_of_code = {code["id"]: code["owner_id"] for code in codes}
    endpoints_of = {}
    for row in before["webhook_endpoints"]:
        endpoints_of.setdefault(row["workspace_id"], []).append((row["id"], row["qr_code_id"]))
    scanned = [code for code in dynamic if code["owner_id"] != users[4]][::97]
    warm_cache(old_app, scanned, endpoints_of)

    # Scans during the upgrade: a scanner follows existing codes through the real app
    # while a second app runs the migration on the same database. Its short timeouts make
    # a scan that waits for the migration's locks give up and go to the Redis buffer (on
    # either database, depending on timing: some wait, some are buffered); its breaker
    # never opens, or the apps after it (same Redis) would find the database "down".
    #
    # What this cannot show: the version before 0013 reading the new schema. The scanner
    # is today's code, so its look-ups are served from the cache as the old version left
    # it (warm_cache); a scan writes only scan_events, scan_counters and the outbox, which
    # 0013 leaves alone, so the old version's writes are the same statements. A look-up
    # the cache cannot answer, by the old version after the upgrade committed, selects
    # qr_codes.owner_id, which is gone: that scan gets the 503 "scan again in a minute"
    # page until the new version serves (the rename is not backward compatible).
    scan_app = app_on(database_url, tmp_path, SQLITE_BUSY_TIMEOUT_MS=50, DB_STATEMENT_TIMEOUT_MS=100,
                      DB_BREAKER_FAIL_MAX=1_000_000)
    results, stop = [], threading.Event()
    thread = threading.Thread(target=scanner, args=(scan_app, [c["slug"] for c in scanned], results, stop))
    thread.start()
    try:
        while len(results) < 20:
            time.sleep(0.01)
        scans_before_upgrade = len(results)
        with old_app.app_context():
            upgrade()
            if db_kind == "sqlite":  # the migrations' connection went back to the pool
                with db.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        scans_at_upgrade = len(results)
        assert scans_at_upgrade > scans_before_upgrade, "no scan was made while the upgrade ran"
        while len(results) < scans_at_upgrade + 20:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    expected_location = {c["slug"]: iri_to_uri(c["target_url"]) for c in scanned}
    assert [(status, location) for _slug, status, location in results] == \
        [(302, expected_location[slug]) for slug, _status, _location in results]
    with scan_app.app_context():
        buffer.flush()
        assert buffer.backlog() == (0, 0)
    dispose(scan_app)

    with old_app.app_context(), db.engine.connect() as conn:
        after = snapshot(conn)
        # Every scan request was counted once, whether written at once or from the buffer.
        made = {}
        for slug, _status, _location in results:
            code_id = next(c["id"] for c in scanned if c["slug"] == slug)
            made[code_id] = made.get(code_id, 0) + 1
        old_scans = {}
        for row in before["scan_events"]:
            old_scans[row["qr_code_id"]] = old_scans.get(row["qr_code_id"], 0) + 1
        assert scans_per_code(conn) == {c: old_scans.get(c, 0) + made.get(c, 0) for c in {*old_scans, *made}}
        old_counted = {}
        for row in before["scan_counters"]:
            old_counted[row["qr_code_id"]] = old_counted.get(row["qr_code_id"], 0) + row["scans"] + row["bot_scans"]
        assert {c: int(n) for c, n in counted_per_code(conn).items()} == \
            {c: old_counted.get(c, 0) + made.get(c, 0) for c in {*old_counted, *made}}

    # What the scans added: their events, counters and outbox rows; the rest is as it was.
    for table in ("scan_events", "webhook_outbox"):
        ids = {row["id"] for row in before[table]}
        assert [old_columns(row, before[table]) for row in after[table] if row["id"] in ids] == before[table]
        assert len(after[table]) > len(before[table])
    new_hooks = [row for row in after["webhook_outbox"] if row["id"] not in {r["id"] for r in before["webhook_outbox"]}]
    assert len(new_hooks) == sum(
        len([h for h in endpoints_of[owner_of_code[c]] if h[1] in (None, c)]) * n for c, n in made.items())

    # Every row of every other table is still there, each column unchanged.
    for table, rows in before.items():
        if table in ("scan_events", "webhook_outbox", "scan_counters"):
            continue
        kept = [old_columns(row, rows) for row in after[table]]
        assert kept == rows, table
    # 0013's tables, and those of the migrations after it (the upgrade goes to head)
    assert {c for c in after if c not in before} == {
        "workspaces", "workspace_members", "workspace_invitations", "audit_entries", "retired_slugs",
        "custom_domains", "tags", "code_tags", "job_chunks", "workspace_daily_rollups"}

    # Each user has exactly one personal workspace, which they alone own; each row is in
    # its old owner's personal workspace.
    personal = {}
    members = after["workspace_members"]
    for workspace in after["workspaces"]:
        assert workspace["personal"]
        [member] = [m for m in members if m["workspace_id"] == workspace["id"]]
        assert member["role"] == "owner"
        personal[member["user_id"]] = workspace["id"]
    assert sorted(personal) == sorted(users.values())
    assert len(after["workspaces"]) == len(members) == len(users)
    email_of = {row["id"]: row["email"] for row in after["users"]}
    for user_id, workspace_id in personal.items():  # named as a personal workspace made today
        [workspace] = [w for w in after["workspaces"] if w["id"] == workspace_id]
        local = email_of[user_id].split("@")[0]
        assert (workspace["name"], workspace["slug"]) == (local, f"{memberships.slug_base(local)}-{workspace_id}")
    assert len({w["slug"] for w in after["workspaces"]}) == len(users)
    for table in RENAMED:
        for old, new in zip(before[table], after[table], strict=True):
            assert new["workspace_id"] == (personal[old["workspace_id"]] if old["workspace_id"] else None)
    # 0019: each code's rollups name its workspace, and each workspace's row of a day is
    # the sum of its codes' rows of that day.
    expected = {}
    for row in after["scan_daily_rollups"]:
        assert row["workspace_id"] == personal[owner_of_code[row["qr_code_id"]]]
        sums = expected.setdefault((row["workspace_id"], row["day"]), [0, 0, 0, 0])
        breakdowns = json.loads(row["breakdowns"]) if isinstance(row["breakdowns"], str) else row["breakdowns"]
        for n, value in enumerate((row["scans"], row["uniques"], row["bots"], breakdowns["country"]["FR"])):
            sums[n] += value
    assert {(row["workspace_id"], row["day"]): [
        row["scans"], row["uniques"], row["bots"],
        (json.loads(row["breakdowns"]) if isinstance(row["breakdowns"], str) else row["breakdowns"])["country"]["FR"]]
        for row in after["workspace_daily_rollups"]} == expected
    assert len({workspace_id for workspace_id, _day in expected}) >= 3
    for key in after["api_keys"]:
        assert (key["workspace_id"], key["role"]) == (personal[key["user_id"]], None)
    for old, job in zip(before["background_jobs"], after["background_jobs"], strict=True):
        assert job["user_id"] == old["workspace_id"]
    assert [code["slug"] for code in after["qr_codes"]] == [code["slug"] for code in codes]
    after_upgrade_is_usable(old_app, database_url, tmp_path, users, codes)


def after_upgrade_is_usable(old_app, database_url, tmp_path, users, codes):
    app = app_on(database_url, tmp_path)
    try:
        client = app.test_client()
        # An old API key acts in its user's personal workspace: exactly their codes.
        for index, user_id in users.items():
            response = client.get("/api/qr-codes/stream",
                                  headers={"Authorization": f"Bearer {raw_key(user_id)}"})
            assert response.status_code == 200
            listed = {json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines() if line}
            assert listed == {c["id"] for c in codes if c["owner_id"] == user_id}, EMAILS[index]

        # An old slug, never cached, is followed and counted.
        code = next(c for c in reversed(codes) if c["kind"] == "dynamic" and c["active"]
                    and not c["expires_at"])
        with app.app_context(), db.engine.connect() as conn:
            scans = scans_per_code(conn).get(code["id"], 0)
        response = client.get(f"/s/{code['slug']}")
        assert (response.status_code, response.headers["Location"]) == (302, iri_to_uri(code["target_url"]))
        with app.app_context(), db.engine.connect() as conn:
            assert scans_per_code(conn)[code["id"]] == scans + 1

        # Ids go on after the largest: a new user gets a personal workspace, a new
        # workspace can be made.
        with app.app_context():
            user = accounts_users.create_user("new@example.com", "a long password 1", min_length=10)
            shared = memberships.create_workspace(user, "Team")
            db.session.commit()
            ids = [w.id for w, _role in memberships.workspaces_of(user.id)]
            assert len(ids) == 2 and min(ids) > max(users.values())
            assert shared.id in ids

        result = app.test_cli_runner().invoke(args=["db", "check"])
        assert result.exit_code == 0, result.output
    finally:
        dispose(app)


def shape(app):
    """Tables, columns, keys and indexes, as the database describes them."""
    with app.app_context(), db.engine.connect() as conn:
        inspector = inspect(conn)
        described = {}
        for table in sorted(inspector.get_table_names()):
            described[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                            for c in inspector.get_columns(table)],
                "pk": inspector.get_pk_constraint(table),
                "fks": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                               tuple(fk["referred_columns"]), tuple(sorted(fk["options"].items())))
                              for fk in inspector.get_foreign_keys(table)),
                "unique": sorted((u["name"], tuple(u["column_names"]))
                                 for u in inspector.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]),
                                   sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items()))
                                  for i in inspector.get_indexes(table)),
            }
    return described


def test_downgrade_gives_back_the_0012_shape(old_app, db_kind, tmp_path_factory, tmp_path):
    expected = shape(old_app)
    url, drop = create_database(db_kind, tmp_path_factory)
    app = app_on(url, tmp_path)
    try:
        with app.app_context():
            upgrade()
            downgrade(revision="0012")
        got = shape(app)
        for table in sorted(set(got) | set(expected)):
            for part in ("columns", "pk", "fks", "unique", "indexes"):
                assert got.get(table, {}).get(part) == expected.get(table, {}).get(part), (table, part)
    finally:
        dispose(app)
        drop()


def test_downgrade_of_a_populated_database_gives_rows_back_to_their_owners(old_app):
    """Best effort: the rows of a workspace shared since go to its first owner."""
    with old_app.app_context(), db.engine.begin() as conn:
        users, codes, _dynamic = populate(conn)
    with old_app.app_context(), db.engine.connect() as conn:
        before = snapshot(conn)
    with old_app.app_context():
        upgrade()
        ada = db.session.get(User, users[0])
        bob = db.session.get(User, users[2])
        team = memberships.create_workspace(bob, "Team")
        db.session.add(WorkspaceMember(workspace_id=team.id, user_id=ada.id, role="owner"))
        db.session.add(QrCode(workspace_id=team.id, slug="team-code", title="Team", kind="static",
                              content_type="text", content="hello", style={}))
        db.session.commit()
        downgrade(revision="0012")
    with old_app.app_context(), db.engine.connect() as conn:
        after = snapshot(conn)
    assert [row for row in after["qr_codes"] if row["slug"] == "team-code"][0]["workspace_id"] == min(
        users[0], users[2])
    after["qr_codes"] = [row for row in after["qr_codes"] if row["slug"] != "team-code"]
    assert after == before
