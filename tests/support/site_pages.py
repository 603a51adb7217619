"""Every page of the site, for the tests that must see them all (the security headers,
and the Content-Security-Policy in Chromium).

`seed(app, email)` gives a user one of everything a page can show: a dynamic code with
scans, one with a logo, a paused one, a static one, a style preset, a logo, a finished
job with a file, a webhook endpoint with deliveries, an open invitation to their workspace,
a verified custom domain with a code on it. `urls(app, site)` walks the app's
url_map: every route that answers GET, its arguments filled from `arguments(site)` (by
endpoint first, then by name), plus `extra(site)` (error pages and the scan path's own
pages).

A new page without arguments is walked as soon as it exists. A new argument name makes
`urls` fail until `arguments` names it, so no page is left out unnoticed; a route
that must not be walked goes in `SKIPPED`, with the reason.
"""
import hashlib
import itertools
from dataclasses import dataclass

from tests.factories import (
    actor_for,
    make_code,
    make_endpoint,
    make_job,
    make_logo,
    make_user,
    workspace_of,
)
from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import CustomDomain, ImageAsset, StylePreset
from webapp.models.base import utcnow
from webapp.models.domains import VERIFIED
from webapp.services.accounts import password_reset, signup, users
from webapp.services.images.assets import public_path, variant_key
from webapp.services.scans import recording
from webapp.services.teams import invitations

AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)

SKIPPED = {
    # The live redirect is an empty 302 outside Flask; tests/web/test_security_headers.py
    # checks its headers, and extra() holds the pages the scan path renders.
    "public.scan": "the scan redirect",
}


@dataclass
class Site:
    email: str
    code_id: str
    slug: str
    logo_slug: str
    paused_slug: str
    static_code_id: str
    preset_id: str
    image_id: str
    image_name: str
    job_id: str
    endpoint_id: str
    reset_token: str
    signup_token: str
    workspace_id: int
    invitation_token: str
    domain_id: str


def seed(app, email="ada@example.com", *, is_admin=False):
    """One of everything for the user with `email` (made, able to log in, unless one
    signed up with it already)."""
    with app.app_context():
        user = users.find_user_by_email(email) or make_user(email, password=PASSWORD)
        user.is_admin = is_admin
        # The endpoint first, so that the codes' creation leaves it deliveries to list.
        endpoint = make_endpoint(user, "https://93.184.215.14/scanlink")  # a public literal: no DNS
        code = make_code(user, title="Shop window")
        for n, agent in enumerate(AGENTS * 3):
            recording.record_scan(code.id, user_agent=agent, ip=f"192.0.2.{n}", country="FR",
                                  referrer="https://instagram.com/p/1" if n % 2 else "")
        paused = make_code(user, title="Winter sale", active=False)
        static = make_code(user, kind="static", content="Opening hours: 9 to 5", title="Hours")
        preset = StylePreset(workspace_id=workspace_of(user), name="Brand blue",
                             style={"dark": "#1d3fdc", "light": "#ffffff"})
        db.session.add(preset)
        image = db.session.get(ImageAsset, make_logo(user))
        _serve_variant(image)
        with_logo = make_code(user, title="Coffee cup", style={"logo": image.id, "error_correction": "H"})
        job = make_job(workspace_of(user), "bulk.create", result={"created": 1, "files": _job_file(user)},
                       started_at=utcnow(), finished_at=utcnow())
        invitation = invitations.create_invitation(actor_for(user), "newcomer@example.com", "viewer")
        domain = CustomDomain(workspace_id=workspace_of(user), hostname=f"qr.{user.id}.example",
                              status=VERIFIED, verification_token="t" * 32, verified_at=utcnow())
        db.session.add(domain)
        db.session.flush()
        make_code(user, title="On our domain", domain_id=domain.id)
        db.session.commit()
        site = Site(email=email, code_id=code.id, slug=code.slug, logo_slug=with_logo.slug,
                    paused_slug=paused.slug,
                    static_code_id=static.id, preset_id=preset.id, image_id=image.id,
                    image_name=public_path(image).rsplit("/", 1)[-1], job_id=job.id,
                    endpoint_id=endpoint.id, reset_token=password_reset.reset_token(user),
                    signup_token=signup.signup_token("newcomer@example.com"),
                    workspace_id=workspace_of(user), invitation_token=invitations.token_of(invitation),
                    domain_id=domain.id)
        db.session.remove()
    return site


def _serve_variant(image):
    """Puts the logo where the public image URL reads it (make_logo keeps it elsewhere)."""
    storage = get_storage()
    data = storage.get(image.variant_key)
    image.variant_key = variant_key(hashlib.sha256(data).hexdigest(), "webp")
    storage.put(image.variant_key, data)


def _job_file(user):
    key = f"jobs/site-pages/{user.id}/codes.csv"
    get_storage().put(key, b"slug,target_url\r\nmenu,https://example.com/menu\r\n")
    return {"csv": {"key": key, "filename": "codes.csv", "content_type": "text/csv; charset=utf-8",
                    "bytes": 46}}


def arguments(site):
    """What fills a URL's arguments: {endpoint: {name: values}} first, then {name: values}.
    A list gives one URL per value."""
    by_endpoint = {
        "public_image.code_image": {"fmt": ["svg", "png"], "slug": [site.slug, site.logo_slug]},
        "api.code_image": {"fmt": ["svg", "png", "pdf"]},
        "api.public_scan": {"slug": site.slug},
        "jobs.download": {"name": "csv"},
        "api.job_file": {"name": "csv"},
        "images.file": {"name": site.image_name},
        # The walker's workspace has no custom domain (DNS is outside the machine): the 404.
        "api.read_domain": {"domain_id": "no-such-domain"},
        "static": {"filename": ["css/app.css", "js/forms.js", "favicon.svg"]},
        "rq_dashboard.static": {"filename": "css/main.css"},
        "rq_dashboard.job_view": {"job_id": "no-such-job"},
        "rq_dashboard.job_info": {"job_id": "no-such-job"},
        # A live link and a broken one: the form and the "ask for a new link" page.
        "password_reset.reset": {"token": [site.reset_token, "not-a-token"]},
        "signup.finish": {"token": [site.signup_token, "not-a-token"]},
        # For another address than the walker's: the page saying so.
        "invitations.accept": {"token": [site.invitation_token, "not-a-token"]},
    }
    by_name = {
        "code_id": [site.code_id, site.static_code_id],
        "slug": site.slug,
        "preset_id": site.preset_id,
        "image_id": site.image_id,
        "job_id": site.job_id,
        "endpoint_id": site.endpoint_id,
        "workspace_id": site.workspace_id,
        "domain_id": site.domain_id,
        "instance_number": 0,
        "queue_name": "default",
        "registry_name": "failed",
        "per_page": 10,
        "order": "asc",
        "page": 1,
    }
    return by_endpoint, by_name


def extra(site):
    """Pages no route's GET reaches with its arguments filled."""
    return ["/no-such-page", "/codes/no-such-code", "/s/no-such-code", f"/s/{site.paused_slug}"]


def urls(app, site):
    """Every URL of the walk, each once, in a stable order."""
    by_endpoint, by_name = arguments(site)
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        values = {}
        for name in sorted(rule.arguments):
            value = by_endpoint.get(rule.endpoint, {}).get(name, by_name.get(name))
            if value is None:
                raise LookupError(f"{rule.endpoint} ({rule.rule}) takes <{name}>: give it a value "
                                  "in arguments() of tests/support/site_pages.py, or skip it")
            values[name] = value if isinstance(value, list) else [value]
        for combination in itertools.product(*values.values()):
            found.append(_build(rule, dict(zip(values, combination))))
    found.extend(extra(site))
    return sorted(set(found))


def _build(rule, values):
    """This rule's URL (an endpoint may have several rules; url_for would pick one)."""
    return rule.build(values, append_unknown=False)[1]


def is_document(content_type, body):
    """A document a browser opens: a whole HTML page (not a fragment for htmx, not a
    redirect's stub) or an SVG."""
    if content_type.startswith("image/svg+xml"):
        return True
    return content_type.startswith("text/html") and body.lstrip()[:15].lower() == b"<!doctype html>"
