"""Group commit of scans: each waits for its own commit, batches form, a bad row fails alone."""
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import make_code
from tests.support.codes import scan_target
from tests.support.processes import wait_for
from tests.support.scans import scan_writes_held
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import ScanEvent, WebhookEndpoint, WebhookOutbox
from webapp.services import signals
from webapp.services.scans import buffer, counters, group_commit, recording, rows
from webapp.services.webhooks import dispatch

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def visible_scans(app):
    """(events, distinct referrers) as another connection sees them: only what is committed."""
    with app.app_context():
        with db.engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT count(*), count(DISTINCT referrer) FROM scan_events")).one())


def scan_row(code_id, n):
    return rows.scan_row(code_id, user_agent=IPHONE, referrer=f"https://r{n}.example/",
                          ip="192.0.2.1")


def test_queued_scans_wait_for_their_commit_and_share_the_next_batch(app):
    with app.app_context():
        code_id = make_code().id
        committer = group_commit.GroupCommit(db.engine, lanes=1)
    done = {}

    def scan(n):
        with app.app_context():
            done[n] = committer.commit(scan_row(code_id, n))

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(8)]
    with scan_writes_held(app):
        threads[0].start()
        wait_for(lambda: committer.committing == 1, timeout=5, interval=0.01,
                 message="the first batch to start")
        for thread in threads[1:]:
            thread.start()
        wait_for(lambda: committer.waiting == 7, timeout=5, interval=0.01,
                 message="seven scans to queue behind it")
        assert done == {}  # nobody answered while nothing is committed
        assert visible_scans(app) == (0, 0)
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(done) == list(range(8)) and len(set(done.values())) == 8
    assert (committer.batches, committer.scans) == (2, 8)  # one alone, then the seven together
    assert visible_scans(app) == (8, 8)
    with app.app_context():
        assert counters.scan_counts([code_id])[code_id] == {"scans": 8, "bots": 0}
        by_id = dict(db.session.execute(select(ScanEvent.id, ScanEvent.referrer)).all())
    # each caller got the id of its own row
    assert {n: by_id[event_id] for n, event_id in done.items()} == {
        n: f"https://r{n}.example" for n in range(8)}


def test_a_scan_whose_code_was_deleted_fails_alone_and_its_batch_is_recorded_once(app):
    with app.app_context():
        kept = make_code().id
        doomed = make_code()
        doomed_id = doomed.id
        committer = group_commit.GroupCommit(db.engine, lanes=1)
        doomed_row = scan_row(doomed_id, "doomed")  # looked up while the code still existed
        signals.code_deleted.send(doomed)
        db.session.delete(doomed)
        db.session.commit()
    outcomes = {}

    def scan(n, row):
        with app.app_context():
            try:
                outcomes[n] = committer.commit(row)
            except Exception as error:  # noqa: BLE001 (the outcome is what is tested)
                outcomes[n] = error

    rows = [scan_row(kept, n) for n in range(7)]
    threads = [threading.Thread(target=scan, args=(n, row)) for n, row in enumerate(rows)]
    threads.append(threading.Thread(target=scan, args=("doomed", doomed_row)))
    with scan_writes_held(app):
        threads[0].start()
        wait_for(lambda: committer.committing == 1, timeout=5, interval=0.01,
                 message="the first batch to start")
        for thread in threads[1:]:
            thread.start()
        wait_for(lambda: committer.waiting == 7, timeout=5, interval=0.01,
                 message="the rest to queue")
    for thread in threads:
        thread.join(timeout=20)
    assert isinstance(outcomes.pop("doomed"), IntegrityError)
    assert all(isinstance(event_id, int) for event_id in outcomes.values()), outcomes
    assert visible_scans(app) == (7, 7)  # the others: recorded, each once
    with app.app_context():
        assert counters.scan_counts([kept, doomed_id]) == {
            kept: {"scans": 7, "bots": 0}, doomed_id: {"scans": 0, "bots": 0}}


def test_many_threads_scanning_at_once_are_each_recorded_exactly_once(app):
    with app.app_context():
        codes = [make_code().id for _ in range(3)]
    total = 200

    def scan(n):
        with app.app_context():
            return recording.count_scan(scan_target(codes[n % 3]), user_agent=IPHONE,
                                    referrer=f"https://r{n}.example/", ip="192.0.2.7")

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(scan, range(total)))
    assert len(set(ids)) == total
    assert visible_scans(app) == (total, total)
    with app.app_context():
        counts = counters.scan_counts(codes)
        committer = group_commit.for_app(app, db.engine)
    assert [counts[c]["scans"] for c in codes] == [67, 67, 66]
    assert committer.scans == total


def test_the_redirect_is_sent_only_once_the_scan_is_committed(app, live_server):
    import http.client

    with app.app_context():
        make_code(slug="durable")
        committer = group_commit.for_app(app, db.engine)

    def get():
        conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=20)
        conn.request("GET", "/s/durable", headers={"User-Agent": IPHONE})
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(1) as pool:
        with scan_writes_held(app):
            answer = pool.submit(get)
            wait_for(lambda: committer.committing == 1, timeout=5, interval=0.01,
                     message="the scan's batch to start")
            with pytest.raises(FutureTimeout):
                answer.result(timeout=0.3)  # held: no redirect yet
            assert visible_scans(app)[0] == 0
        assert answer.result(timeout=10) == 302
    assert visible_scans(app)[0] == 1


def subscribed_code():
    """A code whose owner has an endpoint for its scans; (code id, endpoint id)."""
    code = make_code()
    endpoint = WebhookEndpoint(workspace_id=code.workspace_id, url="https://hooks.example/x",
                               secret="whsec_x", events=["qr.scanned"])
    db.session.add(endpoint)
    db.session.commit()
    return code.id, endpoint.id


def drain_requested(app):
    return bool(get_redis(app).exists(dispatch.REQUESTED_KEY))


@pytest.mark.parametrize("writer", ["count_scan", "record_scan"])
def test_a_scans_outbox_rows_commit_with_it_and_delivery_is_asked_for_after(app, writer):
    with app.app_context():
        code_id, endpoint_id = subscribed_code()
        if writer == "count_scan":
            event_id = recording.count_scan(scan_target(code_id), user_agent=IPHONE)
        else:
            event_id = recording.record_scan(code_id, user_agent=IPHONE).id
            assert not drain_requested(app)  # after the commit only
            db.session.commit()
    assert drain_requested(app)
    with app.app_context():
        [row] = db.session.scalars(select(WebhookOutbox)).all()
        assert (row.endpoint_id, row.event_type) == (endpoint_id, "qr.scanned")
        assert json.loads(row.payload)["data"]["scan"]["id"] == str(event_id)


@pytest.mark.parametrize("writer", ["count_scan", "record_scan"])
def test_a_refused_or_rolled_back_scan_leaves_no_row_count_or_delivery(app, writer):
    with app.app_context():
        code_id, _endpoint_id = subscribed_code()
        target = scan_target(code_id)
        if writer == "count_scan":
            # deleted after its look-up was cached: the database refuses the event
            db.session.execute(text("DELETE FROM webhook_endpoints"))
            db.session.execute(text("DELETE FROM qr_codes"))
            db.session.commit()
            with pytest.raises(IntegrityError):
                recording.count_scan(target, user_agent=IPHONE)
        else:
            recording.record_scan(code_id, user_agent=IPHONE)
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ScanEvent)) == 0
        assert db.session.scalar(select(func.count()).select_from(WebhookOutbox)) == 0
        assert counters.scan_counts([code_id])[code_id] == {"scans": 0, "bots": 0}
    assert not drain_requested(app)


def test_a_buffered_scan_keeps_its_webhooks_and_a_replayed_flush_writes_them_once(app):
    with app.app_context():
        code_id, endpoint_id = subscribed_code()
        target = scan_target(code_id)
        row = rows.scan_row(code_id, user_agent=IPHONE)
        buffer.push(target, row)
        # an item buffered by the version before, which kept the code instead of its webhooks
        old = {"key": "old-format", "row": dict(row, scanned_at=row["scanned_at"].isoformat()),
               "code": {"owner_id": target.workspace_id, "slug": target.slug, "title": target.title}}
        get_redis(app).rpush(buffer.BUFFER_KEY, json.dumps(old))
        items = [json.loads(item) for item in get_redis(app).lrange(buffer.BUFFER_KEY, 0, -1)]
        assert buffer.write(items) == 2
        assert buffer.write(items) == 0  # a flush that crashed before clearing, run again
        outbox = db.session.scalars(select(WebhookOutbox)).all()
        assert [row.endpoint_id for row in outbox] == [endpoint_id, endpoint_id]
        assert counters.scan_counts([code_id])[code_id]["scans"] == 2


def test_control_characters_in_what_a_scanner_sends_are_recorded_not_refused(app):
    with app.app_context():
        code_id = make_code().id
        event_id = recording.count_scan(scan_target(code_id), user_agent="Mozilla/5.0\x00 (evil)\x07",
                                    referrer="https://a\x00b.example/", ip="192.0.2.1")
        event = db.session.get(ScanEvent, event_id)
        assert (event.user_agent, event.referrer) == ("Mozilla/5.0 (evil)\x07", "")
        assert counters.scan_counts([code_id])[code_id]["scans"] + \
            counters.scan_counts([code_id])[code_id]["bots"] == 1
