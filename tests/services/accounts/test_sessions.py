"""The sessions service: what a reset (every session ends) and a change (one may stay) do,
and how a session is named."""
import pytest

from tests.factories import make_user
from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.services.accounts import sessions, users

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def ada(app):
    with app.test_request_context():
        user = make_user("ada@example.com", password=PASSWORD)
        other = make_user("eve@example.com", password=PASSWORD)
        started = [sessions.start(user, FIREFOX) for _ in range(3)]
        sessions.start(other, FIREFOX)
        db.session.commit()
        yield user, started, other


def tokens_live(user, started):
    return [sessions.load(user.id, s.token) is not None for s in started]


def test_a_reset_ends_every_session_of_the_user_only(ada):
    user, started, other = ada
    users.set_password(user, "a fresh reset passphrase")
    db.session.commit()
    assert tokens_live(user, started) == [False, False, False]
    assert len(sessions.active(other)) == 1


def test_a_change_can_keep_the_session_that_made_it(ada):
    user, started, _ = ada
    users.set_password(user, "a fresh changed passphrase", keep_session=started[1].id)
    db.session.commit()
    assert tokens_live(user, started) == [False, True, False]


def test_a_token_loads_only_its_own_users_session(ada):
    user, started, other = ada
    assert sessions.load(other.id, started[0].token) is None
    assert sessions.load(user.id, started[0].token + "x") is None
    assert sessions.load(user.id, "") is None
    assert sessions.load(user.id, "a" * 500) is None
    loaded_user, loaded = sessions.load(user.id, started[0].token)
    assert loaded_user.id == user.id and loaded.id == started[0].id


def test_the_token_is_not_stored(ada):
    user, started, _ = ada
    for row in sessions.active(user):
        assert started[0].token not in (row.token_hash, row.id, row.device)


@pytest.mark.parametrize("agent, label", [
    (FIREFOX, "Firefox on Linux"),
    (ANDROID, "Chrome Mobile on Android"),
    ("", "Unknown device"),
    ("Googlebot/2.1 (+http://www.google.com/bot.html)", "Unknown device"),
    ("x" * 5000, "Unknown device"),
])
def test_device_labels(agent, label):
    assert sessions.device_label(agent) == label
