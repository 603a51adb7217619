"""Responses sent while they are made: HTML pages whose head goes out before the
slow part runs, and NDJSON/CSV bodies read through a database cursor.

A page template marks with `{{ flush }}` the points where what is rendered so
far is sent; between marks the chunks Jinja yields are gathered, so the
browser gets a few sizeable writes rather than one per template fragment.
"""
from flask import Response, get_flashed_messages, request, stream_template, stream_with_context
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from webapp.extensions import htmx
from webapp.web.rendering import render

FLUSH = "<!-- flush -->"
MAX_BUFFER = 32 * 1024
# nginx would otherwise gather the whole body before passing it on.
STREAM_HEADERS = {"X-Accel-Buffering": "no"}


class _Gathered:
    """The template's chunks, joined up to each flush mark (or MAX_BUFFER characters).

    `close` reaches the template's generator even when the body is never read (a HEAD
    request, a client gone before the first byte): closing it ends the request context
    that `stream_template` keeps open for it.
    """

    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        buffer, size = [], 0
        for chunk in self.chunks:
            if chunk == FLUSH or size >= MAX_BUFFER:
                if buffer:
                    yield "".join(buffer)
                buffer, size = [], 0
                if chunk == FLUSH:
                    continue
            buffer.append(chunk)
            size += len(chunk)
        if buffer:
            yield "".join(buffer)

    def close(self):
        self.chunks.close()


def stream_page(template, **context):
    """The whole page, sent in parts as it renders."""
    if request.method == "HEAD":  # no body: nothing to render, no context to keep open
        return Response(mimetype="text/html", headers=STREAM_HEADERS)
    # Headers, and so the session cookie, go out before the body is rendered: what
    # the page would change in the session happens now. Reading the flashed
    # messages removes them (the template reads the same list again, from the
    # request); the CSRF token is made and stored.
    get_flashed_messages(with_categories=True)
    generate_csrf()
    chunks = stream_template(template, flush=Markup(FLUSH), **context)
    return Response(_Gathered(chunks), mimetype="text/html", headers=STREAM_HEADERS)


def page_or_block(template, block, **context):
    """A streamed page for a plain request, just `block` for an HTMX one (see rendering.render)."""
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render(template, block=block, **context)
    return stream_page(template, **context)


def stream_body(chunks, mimetype, **headers):
    """A body of text chunks (NDJSON, CSV) sent as they are made, in the request's context."""
    headers = {**STREAM_HEADERS, "Cache-Control": "private, no-store", **headers}
    if request.method == "HEAD":
        return Response(mimetype=mimetype, headers=headers)
    return Response(stream_with_context(chunks), mimetype=mimetype, headers=headers)
