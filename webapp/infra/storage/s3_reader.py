"""Reading an S3 object as a seekable file, streamed, never held whole.

Callers need more than a forward stream: `zipfile` seeks to the central
directory at the end of each part ZIP and back to every entry
(services/jobs/files.py), and CSVs are read through `io.TextIOWrapper`
(services/csvfiles/reader.py). So the object is read by one GET that streams
while the reads go forward, and a seek elsewhere drops it and starts a ranged
GET (`Range: bytes=N-`) at the new position on the next read. Each later GET
carries `If-Match` with the first one's ETag: should the object be replaced in
between, the read fails instead of mixing two versions' bytes.
"""
import io

from botocore.exceptions import ClientError

MISSING = {"NoSuchKey", "404", "NotFound"}


def missing(error):
    """Whether a ClientError says the object is not there."""
    return error.response.get("Error", {}).get("Code") in MISSING


class S3Reader(io.RawIOBase):
    def __init__(self, client, bucket, key):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._etag, self._body, self._pos = None, None, 0
        response = self._get(0)
        self._size = response["ContentLength"]
        self._etag = response.get("ETag")
        self._body = response["Body"]

    def _get(self, start):
        kwargs = {"Bucket": self._bucket, "Key": self._key}
        if start:
            kwargs["Range"] = f"bytes={start}-"
        if self._etag:
            kwargs["IfMatch"] = self._etag
        try:
            return self._client.get_object(**kwargs)
        except ClientError as error:
            if missing(error):
                raise FileNotFoundError(f"no such object: {self._key}") from None
            raise

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        if self._pos >= self._size:
            return 0
        if self._body is None:
            self._body = self._get(self._pos)["Body"]
        data = self._body.read(len(buffer))
        if not data:
            # botocore checks the length it was promised, so this is a connection cut short.
            raise OSError(f"the object {self._key} ended at {self._pos} of {self._size} bytes")
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        position = base + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        if position != self._pos:
            self._drop_body()
            self._pos = position
        return position

    def tell(self):
        return self._pos

    def close(self):
        self._drop_body()
        super().close()

    def _drop_body(self):
        if self._body is not None:
            self._body.close()
            self._body = None
