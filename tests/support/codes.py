"""QR code rows for tests, made directly (the CRUD service lives in another issue)."""
import secrets

from webapp.extensions import db
from webapp.models import QrCode, User
from webapp.services import signals

# Every field of the code editor's form, as a new dynamic code is submitted.
FORM = {"title": "Table card", "kind": "dynamic", "target_url": "https://example.com/menu",
        "dark": "#000000", "light": "#ffffff", "module_shape": "square", "finder_shape": "square",
        "error_correction": "M", "quiet_zone": "4", "gradient": "", "logo": "", "logo_size": "20",
        "frame_text": "Scan me", "frame_color": "#000000", "frame_text_color": "#ffffff",
        "content_type": "url", "content": ""}


def make_user(email="owner@example.com"):
    user = db.session.query(User).filter_by(email=email).one_or_none()
    if user is None:
        user = User(email=email, password_hash="x")
        db.session.add(user)
        db.session.flush()
    return user


def make_code(owner=None, *, slug=None, target_url="https://example.com/landing", kind="dynamic",
              title="Shop window", active=True, expires_at=None, commit=True):
    owner = owner or make_user()
    code = QrCode(owner_id=owner.id, slug=slug or secrets.token_urlsafe(6), title=title, kind=kind,
                  target_url=target_url if kind == "dynamic" else None,
                  content=None if kind == "dynamic" else target_url,
                  active=active, expires_at=expires_at)
    db.session.add(code)
    db.session.flush()
    signals.code_created.send(code)
    if commit:
        db.session.commit()
    return code


def update_code(code, **fields):
    """Changes the row and announces it the way the CRUD service does, then commits."""
    changes = {}
    for name, value in fields.items():
        old = getattr(code, name)
        if old != value:
            changes[name] = (old, value)
            setattr(code, name, value)
    signals.code_updated.send(code, changes=changes)
    db.session.commit()
    return changes


def scan_target(code_id):
    """What the scan redirect knows of a code (its cached look-up), as `count_scan` takes it."""
    from webapp.services.scans import targets

    return targets.lookup(db.session.get(QrCode, code_id).slug)
