"""One view, two answers: the whole page, or just the block HTMX asked for."""
from flask import render_template
from jinja2_fragments.flask import render_block

from webapp.extensions import htmx


def render(template, block="content", **context):
    """A plain request gets the page; an HTMX request (not boosted) gets `block`."""
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_block(template, block, **context)
    return render_template(template, **context)
