"""Deleting an image: refused while a code draws it as its logo; otherwise the row goes,
and with it each stored file no other image points to.

Originals and variants are stored by the hash of their bytes (assets.py), so two images
(in any workspace) can share one file: a file is removed only when no remaining row names it.
The row is deleted and committed first and the files after, so a failure of storage leaves
at worst an unreferenced file, never a row whose file is gone.
"""
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.infra.storage import get_storage
from webapp.models import ImageAsset, QrCode
from webapp.services import Conflict
from webapp.services.audit import record
from webapp.services.images.assets import get_image

NAMED_IN_MESSAGE = 10


def codes_using(workspace_id, image_id, limit=None):
    """The workspace's codes whose style names this image as the logo, oldest first."""
    query = (select(QrCode).where(QrCode.workspace_id == workspace_id,
                                  QrCode.style["logo"].as_string() == image_id)
             .order_by(QrCode.created_at, QrCode.id))
    return db.session.scalars(query.limit(limit) if limit else query).all()


def code_label(code):
    return f"“{code.title}” ({code.slug})" if code.title else code.slug


def in_use_message(codes, total):
    named = ", ".join(code_label(code) for code in codes)
    more = f" and {total - len(codes)} more" if total > len(codes) else ""
    noun = "code uses" if total == 1 else "codes use"
    return (f"This image cannot be deleted: {total} {noun} it as the logo: {named}{more}. "
            "Choose another logo (or none) for them first.")


def delete_image(actor, image_id):
    """Deletes the image and its unshared files (committed here); Conflict (409) while codes
    use it, with their slugs in the message."""
    asset = get_image(actor, image_id)
    total = db.session.scalar(select(func.count()).select_from(QrCode).where(
        QrCode.workspace_id == actor.workspace_id, QrCode.style["logo"].as_string() == asset.id))
    if total:
        codes = codes_using(actor.workspace_id, asset.id, NAMED_IN_MESSAGE)
        error = Conflict(in_use_message(codes, total))
        error.code = "image_in_use"
        error.fields = {"codes": [code.slug for code in codes]}
        raise error
    keys = [key for key in (asset.original_key, asset.variant_key) if key]
    record(actor, "image.deleted", "image", asset.id,
           {"name": asset.name, "content_hash": asset.content_hash})
    db.session.delete(asset)
    db.session.flush()
    unshared = [key for key in keys if not still_named(key)]
    db.session.commit()
    storage = get_storage()
    for key in unshared:
        storage.delete(key)
    return unshared


def still_named(key):
    return db.session.scalar(select(ImageAsset.id).where(
        or_(ImageAsset.original_key == key, ImageAsset.variant_key == key)).limit(1)) is not None
