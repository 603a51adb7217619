"""The 410 page of a code whose campaign ended (expires_at or max_scans passed, no
expired_url): static bytes, like the scan path's 503 page, so that answering it
needs no template, no database and no Redis."""
from webapp.web import security_headers

STYLE = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
PAGE = (
    b'<!doctype html><html lang="en"><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b"<title>This campaign has ended</title><style>" + STYLE.encode() + b"</style>"
    b"<body><h1>This campaign has ended</h1><p>The offer behind this code is over. "
    b"Thank you for scanning.</p></body></html>")
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE))),
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", security_headers.policy(
        {"default-src": "'none'", "frame-ancestors": "'none'"},
        style_src=security_headers.style_hash(STYLE))),
    ("X-Content-Type-Options", "nosniff"),
]
