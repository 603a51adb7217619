"""Static files under content-hashed URLs, cached for a year, sent compressed.

`url_for('static', filename=...)` gets `?v=<hash of the file's bytes>`; the
static view answers a URL whose `v` matches the current bytes with
`Cache-Control: public, max-age=31536000, immutable`. Any other static request
(no `v`, or the hash of an older deploy) is revalidated as before, so a browser
never keeps stale CSS or JS for a year.

Compression: `make assets` (scripts/copy_assets.py) writes a Brotli `.br` and a
gzip `.gz` beside each CSS, JS and SVG file, at the highest levels, once. The
view sends the best one the browser accepts, provided it is not older than the
file itself (an edited app.css is sent plain until `make assets` runs again).
Nothing is compressed per request, and Pico (83 KB) goes out as 10-12 KB.
"""
import hashlib
import mimetypes
import os
import threading

from flask import abort, request, send_from_directory
from werkzeug.security import safe_join

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
        if "\x00" in filename:  # os.stat would raise on it: no file has one
            abort(404)
        variant = compressed_variant(folder, filename, request.accept_encodings)
        if variant is None:
            response = send_static(filename=filename)
        else:
            path, encoding = variant
            response = send_from_directory(folder, path, max_age=app.get_send_file_max_age(filename))
            response.headers["Content-Encoding"] = encoding
            response.mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response.vary.add("Accept-Encoding")
        version = request.args.get("v")
        if version and response.status_code in (200, 304) and version == content_hash(folder, filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.view_functions["static"] = static


ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # best first


def compressed_variant(folder, filename, accepted):
    """(path of a fresh compressed copy, its encoding) that the client accepts, or None."""
    source = safe_join(folder, filename)
    if source is None:
        return None
    try:
        modified = os.stat(source).st_mtime_ns
    except OSError:
        return None
    for encoding, suffix in ENCODINGS:
        if not accepted[encoding]:
            continue
        try:
            if os.stat(source + suffix).st_mtime_ns >= modified:
                return filename + suffix, encoding
        except OSError:
            continue
    return None
