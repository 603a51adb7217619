"""Code helpers: the editor's form, an edit announced as the CRUD service does, a scan's target.

Codes themselves are made in tests/factories.py.
"""
from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import signals

# Every field of the code editor's form, as a new dynamic code is submitted.
FORM = {"title": "Table card", "kind": "dynamic", "target_url": "https://example.com/menu",
        "dark": "#000000", "light": "#ffffff", "module_shape": "square", "finder_shape": "square",
        "error_correction": "M", "quiet_zone": "4", "gradient": "", "logo": "", "logo_size": "20",
        "frame_text": "Scan me", "frame_color": "#000000", "frame_text_color": "#ffffff",
        "content_type": "url", "content": ""}


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
