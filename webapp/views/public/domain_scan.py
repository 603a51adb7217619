"""Scans that come to a custom domain: `https://<hostname>/<slug>` and `/` of the domain.

`DomainScans`, a WSGI layer around `ScanRedirects`, looks at the Host of every request.
Our own host (PUBLIC_BASE_URL's), IP addresses, single labels such as localhost and
malformed values go on untouched: the app as it always was. Any other host is asked for
`/<slug>` with one look-up of (host, slug), the same single Redis round trip as
/s/<slug>; a live code there gets its counted 302. Only when that finds nothing is the
host itself looked up: a verified domain answers its own small 404 or 410 (and its `/`
goes to the workspace's root URL), and nothing else of the app is served on it, so a
customer's domain never shows another domain's code, a log-in form or an API. A host
that is no domain of ours goes on to the app, which has no page at `/<slug>`: 404.
"""
import time
from urllib.parse import urlsplit

from werkzeug.urls import iri_to_uri

from webapp.infra import metrics
from webapp.infra.resilience.failures import ServiceUnavailable
from webapp.services.domains.hostnames import host_of_request
from webapp.services.scans import hosts, serving
from webapp.views.public import ended
from webapp.views.public.scan import (
    UNAVAILABLE_PAGE,
    UNAVAILABLE_SECURITY,
    UNAVAILABLE_STYLE,
    count,
    live_target,
    redirect_headers,
    unavailable_headers,
)


def _page(title, message):
    return (b'<!doctype html><html lang="en"><meta charset="utf-8">'
            b'<meta name="viewport" content="width=device-width, initial-scale=1">'
            b"<title>" + title + b"</title><style>" + UNAVAILABLE_STYLE.encode() + b"</style>"
            b"<body><h1>" + title + b"</h1><p>" + message + b"</p></body></html>")


PAGES = {
    404: ("404 NOT FOUND", _page(b"This code does not exist", b"The QR code you scanned is not "
                                 b"known here. Check that the whole code was in view.")),
    410: ("410 GONE", _page(b"This code is no longer active",
                            b"Its owner has switched it off or it has expired.")),
}


class DomainScans:
    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.own_host = (urlsplit(app.config["PUBLIC_BASE_URL"]).hostname or "").lower()

    def __call__(self, environ, start_response):
        host = host_of_request(environ.get("HTTP_HOST"), self.own_host)
        if host is None:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        with self.app.app_context():
            try:
                answer = self.answer(host, environ, started)
            except ServiceUnavailable:  # neither Redis nor the database could say
                metrics.UNAVAILABLE.inc()
                answer = ("503 SERVICE UNAVAILABLE", unavailable_headers(self.app.config),
                          UNAVAILABLE_PAGE)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def answer(self, host, environ, started):
        """(status, headers, body), or None for a host that is not a domain of ours."""
        method = environ.get("REQUEST_METHOD")
        slug = _slug(environ.get("PATH_INFO", ""))
        status = 404
        if slug and method in ("GET", "HEAD"):
            target, status = live_target(slug, host)
            if target is not None:
                location, served = serving.serve(target, environ, counting=method == "GET")
                if method == "GET":
                    metrics.scan(count(target, environ, served), started)
                if location is None:  # past its end date or its scans: the campaign ended
                    return "410 GONE", ended.HEADERS, ended.PAGE
                return "302 FOUND", redirect_headers(location), b""
        domain = hosts.lookup(host)
        if domain is None:
            return None
        _domain_id, _workspace_id, root_url = domain
        if slug == "" and root_url and method in ("GET", "HEAD"):
            return "302 FOUND", [("Content-Length", "0"), ("Location", iri_to_uri(root_url)),
                                 ("Cache-Control", "no-store")], b""
        line, body = PAGES[410 if status == 410 else 404]
        return line, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                      ("Cache-Control", "no-store"), *UNAVAILABLE_SECURITY], body


def _slug(path):
    """The one path segment after "/" ("" for the root), or None for anything else."""
    if not path.startswith("/") or "/" in path[1:]:
        return None
    try:  # PATH_INFO holds the URL's bytes as latin-1; Werkzeug decodes them the same way
        return path[1:].encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return None


def init_app(app):
    """Puts DomainScans around the scan fast path (inside any proxy fix, which sets the Host
    from X-Forwarded-Host and must wrap it)."""
    app.wsgi_app = DomainScans(app, app.wsgi_app)
