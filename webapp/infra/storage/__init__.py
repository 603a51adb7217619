"""Where files live: one small interface, two backends chosen by `STORAGE_URL`.

- unset: a local directory, `STORAGE_DIR` (`instance/storage`); a plain path or
  `file:///abs/path` names another one (local.py);
- `s3://bucket/prefix`: a bucket of any S3-compatible store, shared by every
  machine (s3.py), with `S3_ENDPOINT_URL`, `AWS_REGION` and the credentials.

Both have the same methods: `put`/`get` for small files, `put_stream`/`open`/
`size` for big ones (uploaded CSVs, exports) in chunks, `exists`, `delete`.
Writes are atomic in both: no reader ever sees half a file. `get_storage()` wraps
the backend in the `storage` breaker and the shared retry policy (guarded.py).
"""
from urllib.parse import unquote, urlsplit

from flask import current_app

from webapp.infra.storage.guarded import GuardedStorage
from webapp.infra.storage.local import LocalStorage
from webapp.infra.storage.s3 import S3Storage

__all__ = ["GuardedStorage", "LocalStorage", "S3Storage", "get_storage", "preload", "storage_for"]


def storage_for(config):
    """The storage `config` (a Flask config or any mapping of settings) names."""
    url = config.get("STORAGE_URL") or config["STORAGE_DIR"]
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL names no bucket: {url!r} (s3://bucket/prefix)")
        return S3Storage(
            parts.netloc, unquote(parts.path).strip("/"),
            endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("AWS_REGION"),
            access_key_id=config.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=config.get("AWS_SECRET_ACCESS_KEY"),
            connect_timeout=config.get("STORAGE_CONNECT_TIMEOUT", 3.0),
            read_timeout=config.get("STORAGE_READ_TIMEOUT", 15.0),
            max_attempts=config.get("STORAGE_MAX_ATTEMPTS", 3))
    if parts.scheme == "file":
        if parts.netloc:
            raise ValueError(f"STORAGE_URL: a file URL takes an absolute path, file:///abs/path; "
                             f"got {url!r}")
        return LocalStorage(unquote(parts.path))
    if "://" in url:
        raise ValueError(f"STORAGE_URL must be a path, file:///abs/path or s3://bucket/prefix; "
                         f"got {url!r}")
    return LocalStorage(url)


def get_storage(app=None):
    """The app's storage, made on first use and kept for the process: the backend
    behind the `storage` breaker and the shared retry policy (guarded.py)."""
    app = app or current_app._get_current_object()
    storage = app.extensions.get("scanlink_storage")
    if storage is None:
        storage = GuardedStorage(storage_for(app.config), app)
        app.extensions["scanlink_storage"] = storage
    return storage


def preload(app):
    """In a process that forks workers of its own (the RQ worker): get the storage ready
    so that each child makes its client in milliseconds (s3.py, `shared_session`)."""
    backend = get_storage(app).backend
    if isinstance(backend, S3Storage):
        backend.preload()
