"""Answering with a stored file: streamed from storage in chunks, never read whole.

One size request (a stat, or an S3 HEAD) gives the Content-Length and says whether
the file is there; then the body is read as the client takes it (a local file, or
one streaming GET from the bucket: infra/storage/s3_reader.py) and closed when the
response is, however it ends.
"""
from flask import Response, request
from werkzeug.wsgi import wrap_file

CHUNK = 64 * 1024


def stream_stored(storage, key, mimetype, *, download_name=None, headers=None):
    """A response with the stored file `key`; FileNotFoundError when it is not there.

    Storage failures are raised as StorageUnavailable (a 503) before anything is sent.
    """
    size = storage.size(key)
    if request.method == "HEAD":
        body = None
    else:
        body = wrap_file(request.environ, storage.open(key), buffer_size=CHUNK)
    # A type with its parameters ("text/csv; charset=utf-8") is sent as it is: given as a
    # mimetype, Werkzeug would add a second charset to it.
    kind = {"content_type": mimetype} if ";" in mimetype else {"mimetype": mimetype}
    response = Response(body, direct_passthrough=True, **kind)
    response.content_length = size
    if download_name is not None:
        response.headers.set("Content-Disposition", "attachment", filename=download_name)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
