"""Every answer carries the security headers: each page of the site (walked from the
url_map, tests/support/site_pages.py) as a visitor, an owner and an administrator; SVG
its own policy; HSTS only for an https site; the scan redirect nothing new."""
import re
from pathlib import Path

import pytest

from tests.factories import make_code, make_user
from tests.support import site_pages
from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.views.public import scan

ROOT = Path(__file__).resolve().parents[2]


def policy(response):
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


STRICT = {"script-src": ["'self'"], "style-src": ["'self'"]}
# The RQ dashboard's own pages (third-party templates with inline scripts) and only those.
DASHBOARD = {"script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
             "style-src": ["'self'", "'unsafe-inline'"]}
# The API reference: Swagger UI sets style attributes; its scripts stay 'self'.
API_DOCS = {"script-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"]}


def problems_of_page(response, expected):
    found = []
    csp = policy(response)
    for name, sources in expected.items():
        if csp.get(name) != sources:
            found.append(f"{name} {csp.get(name)}")
    for name, sources in {"default-src": ["'self'"], "frame-ancestors": ["'none'"],
                          "object-src": ["'none'"], "base-uri": ["'none'"],
                          "form-action": ["'self'"]}.items():
        if csp.get(name) != sources:
            found.append(f"{name} {csp.get(name)}")
    if response.headers.get("X-Frame-Options") != "DENY":
        found.append("X-Frame-Options")
    return found


# A page whose URL holds a mailed token (sign-up, reset) sends no referrer at all.
REFERRER = {"strict-origin-when-cross-origin", "no-referrer"}


def problems(response, expected=STRICT):
    """What is missing or wrong in one answer's headers (nothing: [])."""
    found = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("nosniff")
    if response.headers.get("Referrer-Policy") not in REFERRER:
        found.append("Referrer-Policy")
    if "Strict-Transport-Security" in response.headers:
        found.append("HSTS on an http site")
    if response.mimetype == "text/html":
        found += problems_of_page(response, expected)
    elif response.mimetype == "image/svg+xml":
        if policy(response) != {"default-src": ["'none'"], "img-src": ["data:"],
                                "style-src": ["'unsafe-inline'"]}:
            found.append(f"SVG policy {response.headers.get('Content-Security-Policy')}")
    return found


def walk(client, urls):
    """{url: (status, mimetype, problems)} for every URL of the walk."""
    seen = {}
    for url in urls:
        response = client.get(url)
        dashboard = (url.startswith("/admin/rq/") and response.status_code == 200
                     and response.mimetype == "text/html")
        seen[url] = (response.status_code, response.mimetype,
                     problems(response, DASHBOARD if dashboard
                              else API_DOCS if url == "/api/docs" else STRICT))
        response.close()
    return seen


def pages_ok(seen):
    return {url for url, (status, mimetype, _) in seen.items()
            if status == 200 and mimetype == "text/html"}


def test_every_answer_to_a_visitor_carries_the_headers(app, client):
    site = site_pages.seed(app)
    seen = walk(client, site_pages.urls(app, site))
    assert {url: found for url, (_, _, found) in seen.items() if found} == {}
    assert {"/login", "/signup", f"/qr/{site.slug}.svg"} <= {
        url for url, (status, _, _) in seen.items() if status == 200}
    assert [seen[url][0] for url in ("/no-such-page", "/s/no-such-code", f"/s/{site.paused_slug}")] \
        == [404, 404, 410]


def test_every_page_of_an_owner_carries_the_headers(app, client, auth):
    site = site_pages.seed(app)
    auth.login()
    seen = walk(client, site_pages.urls(app, site))
    assert {url: found for url, (_, _, found) in seen.items() if found} == {}
    assert {"/", "/account/", "/codes/", "/codes/new", "/codes/bulk/", "/images/", "/jobs/",
            "/webhooks/", f"/codes/{site.code_id}", f"/codes/{site.static_code_id}",
            f"/codes/{site.code_id}/analytics", f"/webhooks/{site.endpoint_id}"} <= pages_ok(seen)
    assert seen["/admin/status/"][0] == 403  # an error page, with the headers all the same
    assert seen[f"/api/qr-codes/{site.code_id}/image.svg"][:2] == (200, "image/svg+xml")
    assert seen[f"/jobs/{site.job_id}/files/csv"][:2] == (200, "text/csv")


def test_every_page_of_an_admin_carries_the_headers(app, client, auth):
    """The RQ dashboard's own pages have a wider policy (their inline scripts), and
    nothing else does; they are still never framed."""
    site = site_pages.seed(app, "grace@example.com", is_admin=True)
    auth.login("grace@example.com")
    seen = walk(client, site_pages.urls(app, site))
    assert {url: found for url, (_, _, found) in seen.items() if found} == {}
    assert {"/admin/status/", f"/codes/{site.code_id}", "/admin/rq/", "/admin/rq/0/view/workers",
            "/admin/rq/0/view/jobs"} <= pages_ok(seen)


def test_the_dashboard_policy_is_wider_for_its_own_pages_only(app, client, auth):
    make_admin(app)
    auth.login("grace@example.com")
    response = client.get("/admin/rq/")
    assert response.status_code == 200
    assert problems(response, DASHBOARD) == []
    # Its error answers are our pages, under the strict policy.
    missing = client.get("/admin/rq/0/view/job/no-such-job")
    assert missing.status_code == 404 and problems(missing) == []


def make_admin(app, email="grace@example.com"):
    with app.app_context():
        make_user(email, password=PASSWORD, is_admin=True)
        db.session.commit()
        db.session.remove()


def test_a_view_that_sets_its_own_policy_keeps_it(app, client):
    site = site_pages.seed(app)
    image = client.get(f"/images/{site.image_name}")
    assert image.status_code == 200 and image.mimetype == "image/webp"
    assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert image.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    assert image.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.settings(PUBLIC_BASE_URL="https://qr.example.com")
def test_an_https_site_sends_hsts_on_every_answer(app, client):
    site = site_pages.seed(app)
    for url in ("/login", "/no-such-page", f"/qr/{site.slug}.svg", f"/qr/{site.slug}.png",
                "/static/css/app.css", "/api/me", "/healthz"):
        response = client.get(url)
        assert response.headers.get("Strict-Transport-Security") == "max-age=31536000", url


@pytest.mark.settings(PUBLIC_BASE_URL="https://qr.example.com", HSTS_MAX_AGE=0)
def test_hsts_max_age_zero_tells_browsers_to_forget(client):
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=0"


def test_an_http_site_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.settings(OIDC_ISSUER="https://id.example.com/realms/shop", OIDC_CLIENT_ID="scanlink",
                      OIDC_CLIENT_SECRET="not-a-real-secret")
def test_single_sign_on_leaves_form_action_at_self(client):
    """The "Log in with …" button is a link (webapp/views/accounts/sso.py): no provider's
    origin, which could never list every host a provider sends people through, is needed."""
    response = client.get("/login")
    assert 'href="/login/oidc"' in response.get_data(as_text=True)
    assert policy(response)["form-action"] == ["'self'"]


def test_the_scan_redirect_carries_only_what_it_did(app, client):
    with app.app_context():
        slug = make_code(title="Private launch plan").slug
    response = client.get(f"/s/{slug}")
    assert response.status_code == 302
    assert sorted(response.headers.keys()) == ["Cache-Control", "Content-Length", "Content-Type",
                                               "Location"]


def test_the_scan_paths_own_pages_carry_the_headers(app, client):
    with app.app_context():
        paused = make_code(active=False).slug
    for url, status in ((f"/s/{paused}", 410), ("/s/nothing-here", 404)):
        response = client.get(url)
        assert response.status_code == status and problems(response) == []


def test_the_outage_page_of_the_scan_path_allows_its_own_style_only():
    headers = dict(scan.unavailable_headers({"UNAVAILABLE_RETRY_AFTER": 30}))
    style = re.search(rb"<style>(.*?)</style>", scan.UNAVAILABLE_PAGE).group(1).decode()
    assert headers["Content-Security-Policy"] == (
        f"default-src 'none'; frame-ancestors 'none'; style-src {scan.security_headers.style_hash(style)}")
    assert b"style=" not in scan.UNAVAILABLE_PAGE and b"<script" not in scan.UNAVAILABLE_PAGE


INLINE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|\shx-on", re.I)


def test_no_template_holds_inline_script_or_style():
    """What the policy would refuse, found before a browser has to: inline <script> and
    <style>, style attributes, on…= handlers and hx-on (docs/security.md says what to do)."""
    found = [f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
             for path in sorted((ROOT / "templates").rglob("*.html"))
             for match in INLINE.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
