"""Security headers on every answer Flask makes, worked out once when the app is built.

- HTML: a Content-Security-Policy that lets the page load scripts, styles, images and
  fonts from this origin only, run no inline script or style, be framed by nobody
  (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for browsers that predate it)
  and post forms only here (single sign-on starts with a link for that reason:
  webapp/views/accounts/sso.py); plus the headers below.
- SVG: a policy of its own, so that an SVG opened as a document runs nothing and
  fetches nothing (its inline styles and embedded data: images still draw).
- Everything: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
  strict-origin-when-cross-origin`, and `Strict-Transport-Security` when
  PUBLIC_BASE_URL is https (browsers ignore it over plain HTTP anyway).

A view that sets one of these headers itself keeps its own (the image files, the RQ
dashboard, the scan path's outage page). The scan redirect of a live code never
reaches Flask (webapp/views/public/scan.py) and carries none of this: it is an empty
302 that a phone follows at once. docs/security.md says how to add a page script.

Not Flask-Talisman: it is maintained irregularly, also redirects to HTTPS and sets
cookie flags (config.py and the proxy own those here), and its per-request nonces
would serve no page: none has inline code. What is left is these few header lists.
"""
import base64
import hashlib
from urllib.parse import urlsplit

PAGE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # data: for Pico's icons (in its CSS) and the editor's live preview.
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SVG_POLICY = {
    "default-src": "'none'",
    "img-src": "data:",  # a code's logo is embedded as a data: URL
    "style-src": "'unsafe-inline'",
}


def policy(base=None, **directives):
    """A policy header value: `base` (PAGE_POLICY by default) with `directives` replaced;
    keyword names use underscores (`script_src="'self' 'unsafe-inline'"`)."""
    merged = dict(PAGE_POLICY if base is None else base)
    merged.update({name.replace("_", "-"): value for name, value in directives.items()})
    return "; ".join(f"{name} {value}" for name, value in merged.items())


def origin(url):
    """The scheme://host[:port] of `url`, for a policy source; None for none."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def style_hash(css):
    """The CSP source that allows exactly this inline <style> text."""
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class SecurityHeaders:
    """The header lists for each kind of answer; `apply` is the after-request hook."""

    def __init__(self, config):
        common = [("X-Content-Type-Options", "nosniff"),
                  ("Referrer-Policy", "strict-origin-when-cross-origin")]
        if config["PUBLIC_BASE_URL"].startswith("https://"):
            common.append(("Strict-Transport-Security", f"max-age={config['HSTS_MAX_AGE']}"))
        # Optimised images served from STORAGE_PUBLIC_URL (a CDN, a public bucket) show too.
        public = origin(config.get("STORAGE_PUBLIC_URL"))
        page_policy = policy(img_src=f"'self' data: {public}") if public else policy()
        self.page = [("Content-Security-Policy", page_policy),
                     ("X-Frame-Options", "DENY"), *common]
        self.svg = [("Content-Security-Policy", policy(SVG_POLICY)), *common]
        self.other = common

    def for_mimetype(self, mimetype):
        if mimetype == "text/html":
            return self.page
        if mimetype == "image/svg+xml":
            return self.svg
        return self.other

    def apply(self, response):
        headers = response.headers
        for name, value in self.for_mimetype(response.mimetype):
            if name not in headers:
                headers[name] = value
        return response


def init_app(app):
    app.after_request(SecurityHeaders(app.config).apply)
