"""Images over the API: upload (optimised in the background), poll until ready, delete."""
from typing import Literal

from flask import current_app, g, jsonify, url_for
from pydantic import BaseModel, Field

from webapp.services.images import assets, removal
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation
from webapp.views.images.upload import upload_and_queue
from webapp.web.access import needs


class ImageUpload(assets.ImageOptions):
    file: bytes = Field(json_schema_extra={"format": "binary"},
                        description="the image: PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF")


class ImageOut(BaseModel):
    id: str
    status: Literal["pending", "processing", "ready", "failed"]
    url: str | None = Field(description="the optimised image, immutable; null until ready")
    width: int | None
    height: int | None
    bytes: int | None
    original_bytes: int
    format: Literal["webp", "avif", "jpeg", "png"]
    error: str | None


def image_response(asset, status=200):
    response = jsonify(assets.as_json(asset, current_app.config["PUBLIC_BASE_URL"]))
    response.status_code = status
    if asset.status in ("pending", "processing"):
        # Where to poll, and how soon: optimisation takes about a second.
        response.headers["Location"] = url_for("api.get_image", image_id=asset.id)
        response.headers["Retry-After"] = "1"
    return response


@bp.post("/images/upload")
@needs("editor")
@operation("POST", "/api/images/upload",
           "Upload an image; it is optimised in the background (poll the Location until ready)",
           body=ImageUpload, content_type="multipart/form-data", response=ImageOut, status=202,
           tag="images")
def upload_image():
    asset, _ = upload_and_queue(g.actor)
    return image_response(asset, 202 if asset.status in ("pending", "processing") else 200)


@bp.get("/images/<image_id>")
@needs("viewer")
@operation("GET", "/api/images/{image_id}", "An image and its optimisation status",
           response=ImageOut, tag="images")
def get_image(image_id):
    return image_response(assets.get_image(g.actor, image_id))


@bp.delete("/images/<image_id>")
@needs("editor")
@operation("DELETE", "/api/images/{image_id}",
           "Delete an image and its stored files no other image shares; 409 while codes use it",
           status=204, tag="images")
def delete_image(image_id):
    removal.delete_image(g.actor, image_id)
    return "", 204
