"""Test data, made one way: users, API keys, codes, logos, webhook endpoints, job rows.

Call these inside an app context, except the ones that take `app` (they open their own,
for tests that run outside one). Rows go straight into the tables where the service
would add nothing the test needs (fast, and independent of the service under test),
and through the service where it would: a password that can log in, an API key, an
endpoint's secret.
"""
import secrets
from datetime import timedelta

from sqlalchemy import select

from tests.support.auth import PASSWORD
from tests.support.qrcodes import logo_bytes, logo_image
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import (
    BackgroundJob,
    ImageAsset,
    QrCode,
    ScanCounter,
    User,
    Workspace,
    WorkspaceMember,
)
from webapp.models.base import new_id, utcnow
from webapp.services import signals
from webapp.services.accounts import api_keys, users
from webapp.services.webhooks import endpoints
from webapp.services.workspaces import actors, memberships

WEBHOOK_EVENTS = ("qr.scanned", "qr.created", "qr.updated", "qr.deleted")


# Users and API keys

def make_user(email="owner@example.com", *, password=None, is_admin=False):
    """A user. Without a password, a bare row (no hashing cost; it cannot log in), and the
    same row again when the e-mail is taken. With one, made by the accounts service, so
    that it can log in."""
    if password is not None:
        return users.create_user(email, password, is_admin=is_admin, min_length=10)
    user = db.session.query(User).filter_by(email=email).one_or_none()
    if user is None:
        user = User(email=email, password_hash="x", is_admin=is_admin)
        db.session.add(user)
        db.session.flush()
        memberships.create_personal(user)
    return user


def workspace_of(owner):
    """The id of a workspace: `owner` is one already, or a user (their personal workspace)."""
    if isinstance(owner, int):
        return owner
    return db.session.scalar(
        select(Workspace.id).join(WorkspaceMember, WorkspaceMember.workspace_id == Workspace.id)
        .where(WorkspaceMember.user_id == owner.id, Workspace.personal.is_(True)))


def owner_of(workspace_id, via="browser"):
    """The (first) owner of a workspace, acting in it."""
    user_id = db.session.scalar(select(WorkspaceMember.user_id).where(
        WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.role == "owner"))
    return actor_for(db.session.get(User, user_id), workspace_id, via)


def actor_for(user, workspace_id=None, via="browser"):
    """The user acting in a workspace of theirs (default: the personal one), as pages do."""
    return actors.member(user, workspace_id or workspace_of(user), via=via)


def api_key_headers(user, name="tests", workspace_id=None, role=None):
    """The Authorization header of a new API key of `user` (flushed, not committed), acting
    in `workspace_id` (default: the user's personal workspace)."""
    _, raw = api_keys.create_api_key(user, name, workspace_id, role)
    return {"Authorization": f"Bearer {raw}"}


def make_api_user(email):
    """(user, headers): a user who can log in, with an API key; committed."""
    user = make_user(email, password=PASSWORD)
    headers = api_key_headers(user)
    db.session.commit()
    return user, headers


def api_key(app, email="ada@example.com"):
    """The headers of a new API key of a user made earlier (signed up through the forms)."""
    with app.app_context():
        headers = api_key_headers(users.find_user_by_email(email))
        db.session.commit()
        db.session.remove()
    return headers


# Codes

def make_code(owner=None, slug=None, *, target_url="https://example.com/landing", kind="dynamic",
              content=None, title="Shop window", announce=True, commit=True, **fields):
    """A code of `owner` (a user: their personal workspace; or a workspace id; by default
    owner@example.com's).

    As the CRUD service leaves it: announced with `code_created` (so the slug cache and
    webhooks hear of it) and committed. Tests of the announcement itself ask for
    `announce=False` and send the signal when they choose; `commit=False` leaves the
    transaction open. A static code holds `content`, else `target_url`, and no target.
    """
    code = QrCode(workspace_id=workspace_of(owner or make_user()), slug=slug or secrets.token_urlsafe(6), title=title, kind=kind,
                  target_url=target_url if kind == "dynamic" else None,
                  content=None if kind == "dynamic" else content or target_url, **fields)
    db.session.add(code)
    db.session.flush()
    if announce:
        signals.code_created.send(code)
    if commit:
        db.session.commit()
    return code


def make_codes(app, workspace_id, count, title="Code {n}"):
    """`count` quiet dynamic codes of the workspace, committed; returns their ids."""
    with app.app_context():
        codes = [make_code(workspace_id, f"s{workspace_id}x{n}", title=title.format(n=n),
                           target_url=f"https://shop.example/p/{n}", announce=False, commit=False)
                 for n in range(count)]
        db.session.commit()
        ids = [code.id for code in codes]
        db.session.remove()
    return ids


# Many codes at once, for list tests: one bulk INSERT, not one row object each.

LIST_STYLE = {"dark": "#000000", "light": "#ffffff", "module_shape": "square",
              "finder_shape": "square", "error_correction": "M", "quiet_zone": 4}


def code_row(workspace_id, i, created_at, **fields):
    """The column values of code number `i`, for `seed_codes`."""
    row = dict(id=new_id(), workspace_id=workspace_id, slug=f"l{i:06d}{new_id()[-4:]}", title=f"Code {i}",
               kind="dynamic", content_type="url", target_url=f"https://example.com/{i}",
               content=None, style=LIST_STYLE, active=True, scannable=True, scan_count=0,
               created_at=created_at, updated_at=created_at)
    row.update(fields)
    if row["kind"] == "static":  # a static code holds its content, and has no target
        row["content"] = row["content"] or row["target_url"]
        row["target_url"] = None
    return row


def seed_codes(workspace_id, count, *, start=None, same_time_every=1, rows=None):
    """`count` codes (or the given `rows` dicts), oldest first, one second apart; codes in
    groups of `same_time_every` share their created_at exactly. Returns their ids, oldest first."""
    start = start or utcnow() - timedelta(days=1)
    if rows is None:
        rows = [code_row(workspace_id, i, start + timedelta(seconds=i // same_time_every))
                for i in range(count)]
    db.session.execute(QrCode.__table__.insert(), rows)
    db.session.commit()
    return [row["id"] for row in rows]


def give_scans(code_id, people, bots=0, shard=0):
    db.session.add(ScanCounter(qr_code_id=code_id, shard=shard, scans=people, bot_scans=bots))
    db.session.commit()


# Images, webhook endpoints and job rows

def make_logo(user, photo="coffee.png", status="ready", content_hash=None):
    """An ImageAsset as the upload job leaves it, the optimised bytes in storage; its id.
    Another `content_hash` makes another image of the same photo (sharing its file)."""
    source = logo_image(photo)
    data = logo_bytes(photo)
    key = f"images/test/{user.id}-{photo}.webp"
    get_storage().put(key, data)
    asset = ImageAsset(workspace_id=workspace_of(user), content_hash=content_hash or f"{user.id}{photo}".ljust(64, "0")[:64],
                       status=status, max_width=256, max_height=256, quality=85, format="webp",
                       original_key=key, variant_key=key, width=source.width, height=source.height,
                       bytes=len(data))
    db.session.add(asset)
    db.session.commit()
    return asset.id


def make_endpoint(owner, url, events=WEBHOOK_EVENTS, qr_code_id=None):
    """An endpoint of the user's personal workspace (or an actor's), made by the webhooks
    service (URL checked, secret made); not committed."""
    actor = owner if isinstance(owner, actors.Actor) else actor_for(owner)
    return endpoints.create_endpoint(actor, url, list(events), qr_code_id)


def make_job(workspace_id, job_type, *, status="completed", result=None, **fields):
    """A job row as a job of `job_type` left it, straight in the table (no queue, no worker);
    flushed, not committed."""
    row = BackgroundJob(type=job_type, workspace_id=workspace_id, status=status,
                        result={} if result is None else result, **fields)
    db.session.add(row)
    db.session.flush()
    return row
