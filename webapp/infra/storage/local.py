"""The local backend: files under one directory, written atomically by rename.

What `make run` and the test suite use. Several machines can only share it
through a shared file system; the S3 backend (s3.py) is for that.
"""
import os
import tempfile
from pathlib import Path


class LocalStorage:
    """Files under one directory; keys are relative paths like `images/ab/abcd.webp`."""

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve()) + os.sep):
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def put(self, key, data, content_type=None, cache_control=None):
        """Atomic: a reader never sees half a file, a crash leaves no partial one. A file
        keeps no content type or cache header (the S3 backend's); the app knows them."""
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

    def abort_uploads(self, key):
        """Nothing to abort: a writer killed mid-write leaves only a `.tmp-` file beside the
        key, which no reader sees. Returns 0, as S3Storage.abort_uploads does when clean."""
        return 0

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

