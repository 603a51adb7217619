"""Where files live: one small interface, a local directory by default.

Deployments with several web machines need shared storage; an S3-compatible
store plugs in by implementing the same methods and naming it in
`STORAGE_BACKEND`. `put`/`get` are for small files; `put_stream`/`open`/`size`
let big ones (uploaded CSVs, exports) pass through in chunks.
"""
import os
import tempfile
from pathlib import Path

from flask import current_app


class LocalStorage:
    """Files under one directory; keys are relative paths like `images/ab/abcd.webp`."""

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def put(self, key, data):
        """Atomic: a reader never sees half a file, a crash leaves no partial one."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def put_stream(self, key, chunks):
        """Like `put`, from an iterable of bytes; returns the number of bytes written."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        written = 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    written += len(chunk)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return written

    def open(self, key):
        """A seekable binary file object to read from; the caller closes it."""
        return self._path(key).open("rb")

    def size(self, key):
        return self._path(key).stat().st_size

    def get(self, key):
        return self._path(key).read_bytes()

    def exists(self, key):
        return self._path(key).is_file()

    def delete(self, key):
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass


def get_storage(app=None):
    app = app or current_app._get_current_object()
    storage = app.extensions.get("scanlink_storage")
    if storage is None:
        storage = LocalStorage(app.config["STORAGE_DIR"])
        app.extensions["scanlink_storage"] = storage
    return storage
