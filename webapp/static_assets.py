"""Static files under content-hashed URLs, cached for a year.

`url_for('static', filename=...)` gets `?v=<hash of the file's bytes>`; the
static view answers a URL whose `v` matches the current bytes with
`Cache-Control: public, max-age=31536000, immutable`. Any other static request
(no `v`, or the hash of an older deploy) is revalidated as before, so a browser
never keeps stale CSS or JS for a year.
"""
import hashlib
import os
import threading

from flask import request

IMMUTABLE = "public, max-age=31536000, immutable"
HASH_LENGTH = 12

_hashes = {}  # path -> (mtime_ns, size, hash)
_lock = threading.Lock()


def content_hash(folder, filename):
    """The file's content hash, or None when it is not a file under `folder`."""
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    cached = _hashes.get(path)
    if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            digest.update(block)
    value = digest.hexdigest()[:HASH_LENGTH]
    with _lock:
        _hashes[path] = (stat.st_mtime_ns, stat.st_size, value)
    return value


def init_app(app):
    folder = app.static_folder

    @app.url_defaults
    def add_content_hash(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            value = content_hash(folder, values["filename"])
            if value:
                values["v"] = value

    send_static = app.view_functions["static"]

    def static(filename):
        response = send_static(filename=filename)
        version = request.args.get("v")
        if version and response.status_code in (200, 304) and version == content_hash(folder, filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = static
