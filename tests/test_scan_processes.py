"""The slug cache is shared by every process: an edit is seen by the very next scan anywhere."""
import http.client
import subprocess
import sys

import pytest

from webapp.extensions import cache, db
from webapp.services.scans import targets

from .support.codes import make_code, update_code
from .support.processes import ROOT, process_env, wait_for
from .support.servers import free_port


def target_of(port, slug, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, f"/s/{slug}", headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        conn.close()


@pytest.fixture
def gunicorn(app, tmp_path):
    """The Procfile's web process (gunicorn, 2 workers × 16 threads) on the test's database and Redis."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "16", "--graceful-timeout", "5"],
        cwd=ROOT, env=process_env(app), stdout=log, stderr=subprocess.STDOUT)

    def ready():
        try:
            return target_of(port, "-", "HEAD")[0] == 404
        except OSError:
            return False

    wait_for(ready, timeout=30, message="gunicorn to answer")
    yield port
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.mark.slow
def test_edited_target_takes_effect_on_next_scan_across_processes(app, gunicorn):
    with app.app_context():
        code = make_code(slug="door", target_url="https://example.com/v1")
        # warm the shared cache through both workers
        for _ in range(8):
            assert target_of(gunicorn, "door") == (302, "https://example.com/v1")
        assert cache.get(targets.cache_key("door")) is not None  # the edit must beat a warm cache
        for version in ("v2", "v3"):
            update_code(code, target_url=f"https://example.com/{version}")
            for _ in range(8):
                assert target_of(gunicorn, "door") == (302, f"https://example.com/{version}")
        update_code(code, active=False)
        assert target_of(gunicorn, "door")[0] == 410
        update_code(code, active=True)
        assert target_of(gunicorn, "door") == (302, "https://example.com/v3")
        from webapp.services import signals
        signals.code_deleted.send(code)
        db.session.delete(code)
        db.session.commit()
    assert target_of(gunicorn, "door")[0] == 404
    assert target_of(gunicorn, "x" * 3000)[0] == 404


def test_edit_in_one_app_is_seen_by_another(app_factory, app):
    other = app_factory().test_client()
    with app.app_context():
        code = make_code(slug="twin", target_url="https://example.com/one")
        assert other.get("/s/twin").headers["Location"] == "https://example.com/one"
        update_code(code, target_url="https://example.com/two")
    assert other.get("/s/twin").headers["Location"] == "https://example.com/two"
