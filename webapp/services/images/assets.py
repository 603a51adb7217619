"""Images: accepting uploads, optimising them in a job, and what is served.

Originals are stored by the SHA-256 of their bytes under `images/originals/`
and are never served. Optimised variants are stored by the SHA-256 of the
output under `images/variants/` and served at `/images/<sha256>.<ext>`, so a
URL names one immutable file forever. Other code (the QR logo picker) reads an
optimised image with `get_storage().get(asset.variant_key)` once
`asset.status == "ready"`. With STORAGE_PUBLIC_URL the image URLs point there
instead (`<STORAGE_PUBLIC_URL>/images/variants/...`); the app's route still answers.
"""
import hashlib
import re
from typing import Literal

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import ImageAsset
from webapp.services import NotFound
from webapp.services.images.checks import Limits, inspect_upload
from webapp.services.images.optimise import MIME_BY_EXTENSION, ImageUnreadable, Options, optimise
from webapp.services.ownership import get_owned

IMMUTABLE = "public, max-age=31536000, immutable"
VARIANT_NAME = re.compile(r"^[0-9a-f]{64}\.(?:%s)$" % "|".join(MIME_BY_EXTENSION))
MAX_SIDE = 16383  # WebP's largest side; no format here goes beyond it


class ImageOptions(BaseModel):
    """The options of an upload, from the API's multipart fields or the page's form."""

    model_config = ConfigDict(extra="ignore")

    max_width: int = Field(2048, ge=1, le=MAX_SIDE, description="largest width in pixels")
    max_height: int = Field(2048, ge=1, le=MAX_SIDE, description="largest height in pixels")
    quality: int = Field(85, ge=1, le=100, description="encoder quality (ignored by lossless PNG)")
    format: Literal["webp", "avif", "jpeg", "png"] = "webp"

    @field_validator("format", mode="before")
    @classmethod
    def _format_name(cls, value):
        value = str(value).strip().lower()
        return "jpeg" if value == "jpg" else value

    def as_options(self):
        return Options(self.max_width, self.max_height, self.quality, self.format)


def limits(config=None):
    config = config or current_app.config
    return Limits(config["MAX_IMAGE_BYTES"], config["IMAGE_MAX_PIXELS"], config["IMAGE_MAX_FRAMES"])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def original_key(digest):
    return f"images/originals/{digest[:2]}/{digest}"


def variant_key(digest, extension):
    return f"images/variants/{digest[:2]}/{digest}.{extension}"


def upload_image(actor, data, options, filename=""):
    """Checks and stores an upload. Returns (asset, needs_optimising).

    Refused input raises before anything is written. The same bytes with the same
    options give back the owner's existing asset; a failed one is tried again.
    """
    info = inspect_upload(data, limits())
    digest = sha256(data)
    existing = find_existing(actor.workspace_id, digest, options)
    if existing is not None:
        return existing, retry_if_failed(existing, data)
    key = store_original(digest, data)
    asset = ImageAsset(
        workspace_id=actor.workspace_id, content_hash=digest, status="pending", name=clean_name(filename),
        max_width=options.max_width, max_height=options.max_height, quality=options.quality,
        format=options.format, original_key=key, original_format=info.format,
        original_bytes=len(data), original_width=info.width, original_height=info.height)
    db.session.add(asset)
    try:
        db.session.flush()
    except IntegrityError:
        # The same upload won a race in another request; nothing else is pending in
        # an upload's unit of work, so rolling back loses nothing.
        db.session.rollback()
        existing = find_existing(actor.workspace_id, digest, options)
        return existing, retry_if_failed(existing, data)
    return asset, True


def store_original(digest, data):
    """Originals are shared by hash: the same bytes are stored once for everyone."""
    storage = get_storage()
    key = original_key(digest)
    if not storage.exists(key):
        storage.put(key, data)
    return key


def find_existing(workspace_id, digest, options):
    return db.session.scalar(select(ImageAsset).where(
        ImageAsset.workspace_id == workspace_id, ImageAsset.content_hash == digest,
        ImageAsset.max_width == options.max_width, ImageAsset.max_height == options.max_height,
        ImageAsset.quality == options.quality, ImageAsset.format == options.format))


def retry_if_failed(asset, data):
    """A failed asset is queued again; its original is put back if the store lost it."""
    if asset.status != "failed":
        return False
    store_original(asset.content_hash, data)
    asset.status, asset.error = "pending", None
    return True


def clean_name(filename):
    """Only for showing: the last path part, printable, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip()[:200]


def get_image(actor, image_id):
    return get_owned(ImageAsset, actor.workspace_id, image_id, "No such image.")


def list_images(actor, ready_only=False, limit=200):
    query = select(ImageAsset).where(ImageAsset.workspace_id == actor.workspace_id)
    if ready_only:
        query = query.where(ImageAsset.status == "ready")
    return db.session.scalars(query.order_by(ImageAsset.created_at.desc(), ImageAsset.id.desc())
                              .limit(limit)).all()


def mark_processing(image_id):
    asset = db.session.get(ImageAsset, image_id)
    if asset is not None and asset.status in ("pending", "failed"):
        asset.status = "processing"
    return asset


def mark_failed(image_id, message):
    asset = db.session.get(ImageAsset, image_id)
    if asset is not None and asset.status != "ready":
        asset.status, asset.error = "failed", message
    return asset


def optimise_image(image_id):
    """The job's work: original → optimised variant. Safe to run twice."""
    asset = db.session.get(ImageAsset, image_id)
    if asset is None:
        return {"status": "gone"}
    storage = get_storage()
    if asset.status == "ready" and asset.variant_key and storage.exists(asset.variant_key):
        return summary(asset)
    try:
        original = storage.get(asset.original_key)
    except FileNotFoundError:
        return fail(asset, "The uploaded original is missing from storage; upload it again.")
    options = Options(asset.max_width, asset.max_height, asset.quality, asset.format)
    try:
        result = optimise(original, options, max_pixels=current_app.config["IMAGE_MAX_PIXELS"])
    except ImageUnreadable as exc:
        return fail(asset, str(exc))
    key = variant_key(sha256(result.data), result.extension)
    # No look first: the key is the content's hash, so a second write of it (the same
    # image uploaded twice, a retry) puts the same bytes, and checking would cost every
    # new image a round trip to S3. The headers are kept with the object for a public
    # bucket or CDN (STORAGE_PUBLIC_URL) to serve as is.
    storage.put(key, result.data, content_type=MIME_BY_EXTENSION[result.extension],
                cache_control=IMMUTABLE)
    asset.variant_key, asset.width, asset.height = key, result.width, result.height
    asset.bytes, asset.status, asset.error = len(result.data), "ready", None
    return summary(asset)


def fail(asset, message):
    asset.status, asset.error = "failed", message
    return summary(asset)


def summary(asset):
    return {"image_id": asset.id, "status": asset.status, "bytes": asset.bytes,
            "original_bytes": asset.original_bytes, "error": asset.error}


def public_path(asset):
    """Where the optimised image is served: the app's `/images/<name>`, or with
    STORAGE_PUBLIC_URL the full URL of the object there; None until it is ready."""
    if asset.status != "ready" or not asset.variant_key:
        return None
    public = (current_app.config.get("STORAGE_PUBLIC_URL") or "").rstrip("/")
    if public:
        return f"{public}/{asset.variant_key}"
    return "/images/" + asset.variant_key.rsplit("/", 1)[-1]


def public_url(asset, base_url):
    """The optimised image's absolute URL (the app's, `base_url`, or STORAGE_PUBLIC_URL)."""
    path = public_path(asset)
    if path is None or "://" in path:
        return path
    return base_url + path


def as_json(asset, base_url):
    return {
        "id": asset.id, "status": asset.status, "url": public_url(asset, base_url),
        "width": asset.width, "height": asset.height, "bytes": asset.bytes,
        "original_bytes": asset.original_bytes, "format": asset.format, "error": asset.error,
    }


def variant_for(name):
    """(storage key, content type) of a served file; only variants are reachable, never
    originals."""
    if not VARIANT_NAME.match(name):
        raise NotFound("No such image.")
    digest, extension = name.split(".")
    return variant_key(digest, extension), MIME_BY_EXTENSION[extension]


def saving(asset):
    """How much smaller the output is, as a fraction (0.8 = 80% smaller), or None."""
    if not asset.bytes or not asset.original_bytes:
        return None
    return 1 - asset.bytes / asset.original_bytes

