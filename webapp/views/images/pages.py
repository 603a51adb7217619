"""The images page (upload, list, status until ready) and the optimised files themselves."""
from flask import Blueprint, current_app, flash, g, make_response, redirect, request, url_for

from webapp.extensions import db, htmx
from webapp.infra.resilience.failures import StorageUnavailable
from webapp.infra.storage import get_storage
from webapp.models import ImageAsset
from webapp.services import NotFound, ServiceError
from webapp.services.images import assets, removal
from webapp.views.images.logo_picker import picker as logo_picker
from webapp.views.images.storage_state import storage_down
from webapp.views.images.upload import upload_and_queue
from webapp.web.access import needs
from webapp.web.files import stream_stored
from webapp.web.rendering import render

bp = Blueprint("images", __name__, url_prefix="/images")

IMMUTABLE = assets.IMMUTABLE


@bp.app_template_filter("filesize")
def filesize(n):
    if n is None:
        return "–"
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


@bp.app_context_processor
def image_helpers():
    """So any page (the QR editor's logo picker too) can show an image card."""
    def image_url(image):
        return assets.public_url(image, current_app.config["PUBLIC_BASE_URL"])

    return {"image_path": assets.public_path, "image_url": image_url,
            "image_saving": assets.saving, "storage_down": storage_down}


def gallery(status=200, error=None, fields=None, form=None, delete_error=None):
    return render("images/index.html", block="gallery", images=assets.list_images(g.actor),
                  error=error, delete_error=delete_error, fields=fields or {}, form=form or {},
                  max_bytes=current_app.config["MAX_IMAGE_BYTES"]), status


@bp.get("/")
@needs("viewer")
def index():
    return gallery()


@bp.post("/upload")
@needs("editor")
def upload():
    # From the code editor's logo picker (logo_picker.py): the same upload, its own answer.
    answer = logo_picker if request.form.get("picker") else gallery
    try:
        asset, queued = upload_and_queue(g.actor)
    except ServiceError as exc:
        db.session.rollback()
        if answer is gallery:
            return gallery(exc.status, exc.message, exc.fields, request.form)
        return answer(selected=request.form.get("logo", ""), error=exc.message, status=exc.status)
    except StorageUnavailable as exc:
        # Nothing was kept: the original is written before the asset's row, atomically.
        db.session.rollback()
        page, status = (gallery(503, exc.message, form=request.form) if answer is gallery
                        else answer(selected=request.form.get("logo", ""), error=exc.message, status=503))
        return page, status, {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    if answer is not gallery:
        return answer(asset, status=202 if queued else 200)
    if htmx:
        return gallery(202 if queued else 200)
    flash("Uploaded; it is being optimised." if queued else "You had uploaded this image "
          "with the same options already.", "success")
    return redirect(url_for("images.index"))


@bp.get("/<image_id>/card")
@needs("viewer", follow=(ImageAsset, "image_id"))
def card(image_id):
    asset = assets.get_image(g.actor, image_id)
    return render("images/_card.html", block="card", image=asset)


@bp.get("/<image_id>/logo-picker")
@needs("viewer", follow=(ImageAsset, "image_id"))
def logo_picker_of(image_id):
    """The editor's picker while `image_id` is optimised (it polls), then with it chosen."""
    return logo_picker(assets.get_image(g.actor, image_id), selected=request.args.get("logo", ""))


@bp.post("/<image_id>/delete")
@needs("editor", follow=(ImageAsset, "image_id"))
def delete(image_id):
    """Refused (409, the codes named) while a code uses it as its logo."""
    try:
        removal.delete_image(g.actor, image_id)
    except ServiceError as exc:
        db.session.rollback()
        return gallery(exc.status, delete_error=exc.message)
    if htmx:
        return gallery()
    flash("Deleted the image.", "success")
    return redirect(url_for("images.index"), 303)


@bp.get("/<string:name>")
def file(name):
    """An optimised image, by the hash of its bytes: cacheable forever, never the original.

    Streamed from storage (webapp/web/files.py): docs/configuration.md, "Files", says why
    not a redirect to a presigned URL. A revalidation is answered without storage."""
    key, mime = assets.variant_for(name)
    etag = name.split(".")[0]
    headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff",
               # Should a browser open it as a document, nothing in it may run.
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if request.if_none_match.contains(etag):
        response = make_response("", 304, headers)
        response.set_etag(etag)
        return response
    try:
        response = stream_stored(get_storage(), key, mime, headers=headers)
    except FileNotFoundError:
        raise NotFound("No such image.")
    response.set_etag(etag)
    return response
