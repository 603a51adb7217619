"""The code editor's logo picker: an upload sent from the editor (the images page's own
upload request, with `picker=1`) answers with the picker, which asks again each second
until the image is optimised and then chooses it as the logo. Routes: pages.py."""
from flask import g

from webapp.services.images import assets
from webapp.web.rendering import render

BUSY = ("pending", "processing")


def picker(asset=None, selected="", error=None, status=200):
    """The picker's HTML, for `asset` just uploaded (or polled) if given; `selected` is the
    logo chosen until then, kept while the upload is optimised (or if it fails)."""
    state = {"pending": None, "failed": None, "just_ready": None}
    if asset is not None:
        key = "pending" if asset.status in BUSY else ("just_ready" if asset.status == "ready" else "failed")
        state[key] = asset
        if asset.status == "ready":
            selected = asset.id
    return render("images/_logo_picker.html", block="logo_picker",
                  images=assets.list_images(g.actor, ready_only=True), selected=selected,
                  error=error, **state), status

