from webapp.extensions import db
from webapp.models import User
from webapp.services.signals import after_commit


def test_after_commit_runs_only_after_a_commit(app):
    ran = []
    with app.app_context():
        after_commit(ran.append, "rolled back")
        db.session.add(User(email="a@example.com", password_hash="x"))
        db.session.rollback()
        assert ran == []
        after_commit(ran.append, "committed")
        db.session.add(User(email="a@example.com", password_hash="x"))
        assert ran == []
        db.session.commit()
        assert ran == ["committed"]
        db.session.commit()
        assert ran == ["committed"]


def test_after_commit_once_runs_a_repeated_callback_once_per_commit(app):
    from webapp.services.signals import after_commit_once

    ran = []
    with app.app_context():
        for _ in range(3):
            after_commit_once(ran.append, "drain")
        after_commit_once(ran.append, "other")
        db.session.commit()
        assert ran == ["drain", "other"]
        after_commit_once(ran.append, "drain")
        db.session.rollback()
        after_commit_once(ran.append, "drain")
        db.session.commit()
        assert ran == ["drain", "other", "drain"]
