"""The upload request, shared by the API and the images page (and the QR logo picker)."""
from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.extensions import db
from webapp.services import ServiceError
from webapp.services.images import assets
from webapp.services.images.checks import too_large
from webapp.services.jobs import queues
from webapp.views.api.schema import validate

OPTION_FIELDS = ("max_width", "max_height", "quality", "format")


def read_image_file():
    """(bytes, file name) of the multipart field `file`; 413 past MAX_IMAGE_BYTES."""
    limit = current_app.config["MAX_IMAGE_BYTES"]
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise too_large(None, min(limit, request.max_content_length or limit))
    if upload is None:
        raise ServiceError("Choose an image file to upload (multipart field `file`).",
                           fields={"file": "Choose an image file."}, status=400, code="no_file")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(None, limit)
    return data, upload.filename or ""


def read_options():
    """Validated options from the form fields; a blank field takes its default."""
    raw = {name: request.form[name].strip() for name in OPTION_FIELDS
           if request.form.get(name, "").strip()}
    return validate(assets.ImageOptions, raw)


def upload_and_queue(actor):
    """Checks, stores and commits the upload, then enqueues its optimisation.

    Returns (asset, queued). `queues.submit` commits the asset together with
    the job row and only then enqueues, so the worker always finds both.
    """
    options = read_options()
    data, filename = read_image_file()
    asset, needs_optimising = assets.upload_image(actor, data, options, filename)
    if needs_optimising:
        queues.submit("images.optimise", actor, payload={"image_id": asset.id})
    else:
        db.session.commit()
    return asset, needs_optimising
