"""The slug cache is shared by every process: an edit is seen by the very next scan anywhere."""
import pytest

from tests.factories import make_code
from tests.support import processes
from tests.support.codes import update_code
from tests.support.servers import target_of
from webapp.extensions import cache, db
from webapp.services.scans import targets


@pytest.fixture
def gunicorn(app, tmp_path):
    with processes.gunicorn(app, tmp_path / "gunicorn.log", "--threads", "16",
                            "--graceful-timeout", "5") as port:
        yield port


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
