"""Who may use which route, as data: route × caller → outcome (docs/api.md, "Workspaces and roles").

ROUTES names every route that reads or changes a workspace's data with the role it needs;
a route with `@needs` that is missing here, or whose role differs, fails the first test.
The second sends each route once per caller: the four roles of a workspace "Acme" (with
API keys for API routes and browser sessions for pages), a member of another workspace
only, a disabled member, and an API key made for another workspace.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import (
    api_key_headers,
    make_code,
    make_endpoint,
    make_job,
    make_logo,
    make_user,
)
from tests.support.auth import csrf_token
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import (
    CustomDomain,
    StylePreset,
    User,
    WebhookOutbox,
    WorkspaceInvitation,
    WorkspaceMember,
)
from webapp.models.base import utcnow
from webapp.services.accounts import api_keys, sessions
from webapp.services.workspaces import memberships
from webapp.web.access import SESSION_KEY

ROLES = ("owner", "admin", "editor", "viewer")
# Domain verification asks a DNS server of the test's own (which knows no record: a 422).
pytestmark = pytest.mark.settings("dns_settings", WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)

# (method, rule) → the role it needs. Object ids in the rule are made fresh for each call.
ROUTES = {
    ("POST", "/api/qr-codes"): "editor",
    ("GET", "/api/qr-codes"): "viewer",
    ("GET", "/api/qr-codes/stream"): "viewer",
    ("GET", "/api/qr-codes/<code_id>"): "viewer",
    ("PATCH", "/api/qr-codes/<code_id>"): "editor",
    ("DELETE", "/api/qr-codes/<code_id>"): "editor",
    ("GET", "/api/qr-codes/<code_id>/image.<fmt>"): "viewer",
    ("GET", "/api/qr-codes/<code_id>/scans"): "viewer",
    ("GET", "/api/tags"): "viewer",
    ("GET", "/api/folders"): "viewer",
    ("POST", "/api/qr-codes/<code_id>/duplicate"): "editor",
    ("POST", "/api/qr-codes/batch"): "editor",
    ("POST", "/api/images/upload"): "editor",
    ("GET", "/api/images/<image_id>"): "viewer",
    ("POST", "/api/bulk/qr-codes"): "editor",
    ("POST", "/api/bulk/qr-codes/update"): "editor",
    ("POST", "/api/exports"): "editor",
    ("GET", "/api/jobs/<job_id>"): "viewer",
    ("GET", "/api/jobs/<job_id>/files/<name>"): "viewer",
    ("GET", "/api/me"): "viewer",
    ("POST", "/api/webhooks"): "admin",
    ("GET", "/api/webhooks"): "admin",
    ("GET", "/api/webhooks/<endpoint_id>"): "admin",
    ("PATCH", "/api/webhooks/<endpoint_id>"): "admin",
    ("DELETE", "/api/webhooks/<endpoint_id>"): "admin",
    ("GET", "/api/webhooks/<endpoint_id>/deliveries"): "admin",
    ("POST", "/api/webhooks/deliveries/<delivery_id>/redeliver"): "admin",
    ("GET", "/codes/"): "viewer",
    ("POST", "/codes/"): "editor",
    ("GET", "/codes/new"): "editor",
    ("POST", "/codes/preview"): "editor",
    ("POST", "/codes/preview/verdict"): "editor",
    ("GET", "/codes/<code_id>"): "viewer",
    ("POST", "/codes/<code_id>"): "editor",
    ("POST", "/codes/<code_id>/delete"): "editor",
    ("POST", "/codes/<code_id>/duplicate"): "editor",
    ("POST", "/codes/batch"): "editor",
    ("GET", "/codes/matching"): "editor",
    ("GET", "/codes/<code_id>/analytics"): "viewer",
    ("POST", "/codes/<code_id>/redirect"): "editor",
    ("POST", "/codes/<code_id>/redirect/edit"): "editor",
    ("POST", "/codes/<code_id>/redirect/test"): "viewer",
    ("GET", "/codes/<code_id>/analytics/scans.csv"): "viewer",
    ("POST", "/codes/presets"): "editor",
    ("GET", "/codes/presets/<preset_id>"): "editor",
    ("POST", "/codes/export"): "editor",
    ("GET", "/codes/bulk/"): "viewer",
    ("POST", "/codes/bulk/create"): "editor",
    ("POST", "/codes/bulk/update"): "editor",
    ("GET", "/images/"): "viewer",
    ("POST", "/images/upload"): "editor",
    ("GET", "/images/<image_id>/card"): "viewer",
    ("GET", "/jobs/"): "viewer",
    ("GET", "/jobs/<job_id>/card"): "viewer",
    ("POST", "/jobs/<job_id>/cancel"): "editor",
    ("POST", "/jobs/<job_id>/retry"): "editor",
    ("GET", "/jobs/<job_id>/files/<name>"): "viewer",
    ("POST", "/jobs/exports"): "editor",
    ("POST", "/jobs/worker-check"): "viewer",
    ("GET", "/jobs/<job_id>/worker-check"): "viewer",
    ("GET", "/webhooks/"): "admin",
    ("POST", "/webhooks/"): "admin",
    ("GET", "/webhooks/<endpoint_id>"): "admin",
    ("POST", "/webhooks/<endpoint_id>/edit"): "admin",
    ("POST", "/webhooks/<endpoint_id>/rotate"): "admin",
    ("POST", "/webhooks/<endpoint_id>/test"): "admin",
    ("POST", "/webhooks/<endpoint_id>/enable"): "admin",
    ("POST", "/webhooks/<endpoint_id>/disable"): "admin",
    ("POST", "/webhooks/<endpoint_id>/delete"): "admin",
    ("POST", "/webhooks/deliveries/<delivery_id>/redeliver"): "admin",
    ("GET", "/api/workspaces"): "viewer",
    ("POST", "/api/workspaces"): "viewer",
    ("GET", "/api/workspaces/<int:workspace_id>"): "viewer",
    ("PATCH", "/api/workspaces/<int:workspace_id>"): "admin",
    ("DELETE", "/api/workspaces/<int:workspace_id>"): "owner",
    ("POST", "/api/workspaces/<int:workspace_id>/invitations"): "admin",
    ("GET", "/api/workspaces/<int:workspace_id>/members"): "viewer",
    ("PATCH", "/api/workspaces/<int:workspace_id>/members/<int:user_id>"): "admin",
    ("DELETE", "/api/workspaces/<int:workspace_id>/members/<int:user_id>"): "viewer",
    ("GET", "/workspace"): "viewer",
    ("POST", "/workspace"): "admin",
    ("POST", "/workspace/delete"): "owner",
    ("POST", "/workspace/invitations"): "admin",
    ("POST", "/workspace/invitations/<invitation_id>/revoke"): "admin",
    ("POST", "/workspace/members/<int:user_id>"): "admin",
    ("POST", "/workspace/members/<int:user_id>/remove"): "viewer",
    ("POST", "/workspaces/<int:workspace_id>/switch"): "viewer",
    ("GET", "/workspaces/new"): "viewer",
    ("POST", "/workspace/api-keys/<key_id>/revoke"): "admin",
    ("GET", "/api/audit-log"): "admin",
    ("GET", "/audit-log/"): "admin",
    ("POST", "/workspaces/new"): "viewer",
    ("POST", "/api/domains"): "admin",
    ("GET", "/api/domains"): "admin",
    ("GET", "/api/domains/<domain_id>"): "admin",
    ("PATCH", "/api/domains/<domain_id>"): "admin",
    ("DELETE", "/api/domains/<domain_id>"): "admin",
    ("POST", "/api/domains/<domain_id>/verify"): "admin",
    ("POST", "/workspace/domains"): "admin",
    ("POST", "/workspace/domains/<domain_id>/verify"): "admin",
    ("POST", "/workspace/domains/<domain_id>/root"): "admin",
    ("POST", "/workspace/domains/<domain_id>/delete"): "admin",
}
# Any member may remove themself; removing someone else (as these calls do) needs admin.
ON_OTHERS = {
    ("DELETE", "/api/workspaces/<int:workspace_id>/members/<int:user_id>"): "admin",
    ("POST", "/workspace/members/<int:user_id>/remove"): "admin",
}

# Bodies that get past validation, so an allowed call reaches the service.
JSON = {
    ("POST", "/api/qr-codes"): {"target_url": "https://example.com/new"},
    ("PATCH", "/api/qr-codes/<code_id>"): {"title": "Renamed"},
    ("POST", "/api/exports"): {"what": "codes"},
    ("POST", "/api/qr-codes/batch"): {"ids": ["01JNOTACODE0000000000000000"], "action": "pause"},
    ("POST", "/api/webhooks"): {"url": "http://127.0.0.1:9/x", "events": ["qr.created"]},
    ("PATCH", "/api/webhooks/<endpoint_id>"): {"enabled": False},
    ("POST", "/api/workspaces"): {"name": "Side project"},
    ("PATCH", "/api/workspaces/<int:workspace_id>"): {"default_preset_id": None},
    ("POST", "/api/workspaces/<int:workspace_id>/invitations"): {"email": "new@acme.example",
                                                                 "role": "viewer"},
    ("PATCH", "/api/workspaces/<int:workspace_id>/members/<int:user_id>"): {"role": "viewer"},
    ("POST", "/api/domains"): {"hostname": "qr.acme.example"},
    ("PATCH", "/api/domains/<domain_id>"): {"root_url": "https://acme.example/"},
}
FORMS = {
    ("POST", "/codes/"): {"kind": "dynamic", "target_url": "https://example.com/new", "title": "New"},
    ("POST", "/codes/<code_id>"): {"kind": "dynamic", "target_url": "https://example.com/b", "title": "B"},
    ("POST", "/codes/presets"): {"preset_name": "Brand"},
    ("POST", "/codes/export"): {"what": "codes"},
    ("POST", "/codes/batch"): {"action": "pause", "ids": "01JNOTACODE0000000000000000"},
    ("POST", "/jobs/exports"): {"what": "codes"},
    ("POST", "/webhooks/"): {"url": "http://127.0.0.1:9/x", "events": "qr.created"},
    ("POST", "/workspace/invitations"): {"email": "new@acme.example", "role": "viewer"},
    ("POST", "/workspace/members/<int:user_id>"): {"role": "viewer"},
    ("POST", "/workspace/domains"): {"hostname": "www.acme.example"},
    ("POST", "/workspace/domains/<domain_id>/root"): {"root_url": "https://acme.example/"},
}
_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def test_every_route_with_a_role_is_in_the_table_with_that_role(app):
    declared = {}
    for rule in app.url_map.iter_rules():
        role = getattr(app.view_functions[rule.endpoint], "required_role", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if role is not None:
                declared[(method, rule.rule)] = role
    assert declared == ROUTES


def test_each_caller_gets_what_its_role_allows(app):
    # Requests run outside any app context of the test's: one left pushed would share its
    # `g` (the acting member, the CSRF token) between the requests.
    world = World(app)
    wrong = []
    for (method, rule), needed in ROUTES.items():
        needed = ON_OTHERS.get((method, rule), needed)
        for caller in world.callers(rule):
            response = world.call(caller, method, rule)
            response.get_data()  # a streamed body runs to its end inside its context
            response.close()
            if not world.expected(caller, needed, rule)(response):
                wrong.append(f"{method} {rule} as {caller}: {response.status_code} "
                             f"{response.get_data(as_text=True)[:120]!r}")
    assert not wrong, "\n".join(wrong)


class World:
    """Acme, its members, an outsider with a workspace of their own, a disabled member."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self._populate()
        self.browsers = {name: self._browser(user, self._workspace_of(name))
                         for name, user in self.users.items()}
        with app.app_context():
            db.session.execute(update(User).where(User.email == "disabled@acme.example")
                               .values(disabled_at=utcnow()))  # after its CSRF token was fetched
            db.session.commit()

    def _populate(self):
        owner = make_user("owner@acme.example")
        self.workspace_id = memberships.default_workspace_id(owner.id)
        self.users = {"owner": owner}
        for role in ("admin", "editor", "viewer", "disabled"):
            user = make_user(f"{role}@acme.example")
            db.session.add(WorkspaceMember(workspace_id=self.workspace_id, user_id=user.id,
                                           role="editor" if role == "disabled" else role))
            self.users[role] = user
        self.users["outsider"] = make_user("outsider@elsewhere.example")
        db.session.flush()
        self.keys = {name: api_key_headers(user, workspace_id=self._workspace_of(name))
                     for name, user in self.users.items()}
        self.keys["other key"] = self.keys.pop("outsider")
        db.session.commit()
        self.users = {name: user.id for name, user in self.users.items()}  # ids outlive the session

    def _workspace_of(self, name):
        return None if name == "outsider" else self.workspace_id

    def _browser(self, user_id, workspace_id):
        """A logged-in browser whose current workspace is `workspace_id` (else its own)."""
        client = self.app.test_client()
        with self.app.app_context():
            token = sessions.start(db.session.get(User, user_id), "matrix").token
            db.session.commit()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = f"{user_id}:{token}"
            cookie["_fresh"] = True
            if workspace_id is not None:
                cookie[SESSION_KEY] = workspace_id
        client.csrf = csrf_token(client, "/account/")
        return client

    def callers(self, rule):
        if rule.startswith("/api/"):
            return [*ROLES, "disabled", "other key"]
        return [*ROLES, "disabled", "outsider"]

    def expected(self, caller, needed, rule):
        names_object = any(name not in ("fmt", "name") for name in _PARAM.findall(rule))
        if caller == "disabled":
            return (lambda r: r.status_code == 401) if rule.startswith("/api/") else (
                lambda r: r.status_code == 302 and "/login" in r.headers["Location"])
        if caller in ("outsider", "other key"):
            if names_object:
                return lambda r: r.status_code == 404
            return lambda r: r.status_code < 500 and r.status_code not in (401, 403)
        if ROLES.index(caller) <= ROLES.index(needed):
            return lambda r: r.status_code < 500 and r.status_code not in (401, 403, 404)
        if rule.startswith("/api/"):
            return lambda r: r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
        return lambda r: r.status_code == 403

    def call(self, caller, method, rule):
        with self.app.app_context():
            path = _PARAM.sub(lambda m: self._fresh(m.group(1)), rule)
        if rule.startswith("/api/"):
            headers = self.keys[caller]
            if rule.endswith("/upload") or "/bulk/" in rule:  # multipart, left empty
                return self._client().open(path, method=method, headers=headers, data={})
            return self._client().open(path, method=method, headers=headers,
                                       json=JSON.get((method, rule), {}) if method != "GET" else None)
        browser = self.browsers[caller]
        if method == "GET":
            return browser.get(path)
        return browser.post(path, data={**FORMS.get((method, rule), {}), "csrf_token": browser.csrf})

    def _client(self):
        return self.app.test_client()

    def _fresh(self, name):
        """A new object of Acme for the URL parameter `name`."""
        acme = self.workspace_id
        if name == "code_id":
            return make_code(acme).id
        if name == "image_id":  # no route changes an image: one serves every call
            self.image_id = getattr(self, "image_id", None) or make_logo(self._owner())
            return self.image_id
        if name == "job_id":
            get_storage().put("jobs/matrix.csv", b"id,slug\n")
            job = make_job(acme, "exports.codes", result={"files": {"csv": {
                "key": "jobs/matrix.csv", "filename": "codes.csv", "content_type": "text/csv",
                "bytes": 8}}}, started_at=utcnow(), finished_at=utcnow())
            db.session.commit()
            return job.id
        if name == "name":
            return "csv"
        if name == "fmt":
            return "svg"
        if name == "preset_id":
            preset = StylePreset(workspace_id=acme, name=f"P{utcnow().timestamp()}", style={})
            db.session.add(preset)
            db.session.commit()
            return preset.id
        if name == "endpoint_id":
            endpoint = make_endpoint(self._owner(), "http://127.0.0.1:9/e")
            db.session.commit()
            return endpoint.id
        if name == "delivery_id":
            return self._delivery()
        if name == "workspace_id":
            return str(acme)
        if name == "user_id":  # another member, a viewer
            self.made = getattr(self, "made", 0) + 1
            user = make_user(f"member{self.made}@acme.example")
            db.session.add(WorkspaceMember(workspace_id=acme, user_id=user.id, role="viewer"))
            db.session.commit()
            return str(user.id)
        if name == "key_id":  # a key of the viewer's, in Acme
            key, _ = api_keys.create_api_key(db.session.get(User, self.users["viewer"]), "m", acme)
            db.session.commit()
            return key.id
        if name == "domain_id":
            self.made = getattr(self, "made", 0) + 1
            domain = CustomDomain(workspace_id=acme, hostname=f"d{self.made}.acme.example",
                                  status="pending", verification_token="m" * 32)
            db.session.add(domain)
            db.session.commit()
            return domain.id
        if name == "invitation_id":
            invitation = WorkspaceInvitation(workspace_id=acme, email="later@acme.example",
                                             role="viewer", expires_at=utcnow() + timedelta(days=7))
            db.session.add(invitation)
            db.session.commit()
            return invitation.id
        raise AssertionError(f"no maker for <{name}>")

    def _owner(self):
        return db.session.get(User, self.users["owner"])

    def _delivery(self):
        endpoint = make_endpoint(self._owner(), "http://127.0.0.1:9/d")
        db.session.flush()
        make_code(self.workspace_id, commit=False)  # its qr.created reaches the endpoint
        db.session.commit()
        row = db.session.scalar(select(WebhookOutbox).where(WebhookOutbox.endpoint_id == endpoint.id))
        row.status = "failed"
        db.session.commit()
        return str(row.id)
