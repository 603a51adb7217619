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
