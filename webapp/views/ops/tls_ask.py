"""`GET /internal/tls/ask?domain=<hostname>`: a reverse proxy's on-demand TLS check.

Caddy asks it before it gets a certificate for a hostname it has not seen
(docs/custom-domains.md): 200 for a verified custom domain, 404 for anything else, so
nobody can make the proxy request certificates for names that are not ours. The answer
comes from the host cache the scans use: one Redis look-up, cached misses included.
"""
from flask import Blueprint, request

from webapp.extensions import limiter
from webapp.services.domains.hostnames import MAX_HOSTNAME
from webapp.services.scans import hosts

bp = Blueprint("tls", __name__)
# The proxy asks once per new name and handshake burst; its own cache does the rest.
limiter.exempt(bp)


@bp.get("/internal/tls/ask")
def tls_ask():
    name = (request.args.get("domain") or "").strip().lower().rstrip(".")
    if not name or len(name) > MAX_HOSTNAME or hosts.lookup(name) is None:
        return "", 404, {"Cache-Control": "no-store"}
    return "", 200, {"Cache-Control": "no-store"}
