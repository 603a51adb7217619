"""Styles as services see them: validated, with the owner's logo, and saved presets."""
import io

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from webapp.extensions import db
from webapp.infra.resilience.failures import StorageUnavailable
from webapp.infra.storage import get_storage
from webapp.models import ImageAsset, StylePreset, Workspace
from webapp.qr import StyleInvalid, parse_style
from webapp.services import Conflict, ServiceError
from webapp.services.ids import looks_like_id
from webapp.services.ownership import get_owned

MAX_PRESETS = 50


def validated_style(data):
    """A Style from plain values, or a 422 naming each bad setting."""
    try:
        return parse_style(data)
    except StyleInvalid as exc:
        first = next(iter(exc.fields.items()))
        raise ServiceError(f"The style is not valid: {first[0].removeprefix('style.')} {first[1]}.",
                           fields=exc.fields, status=422, code="invalid") from None


def owned_ready_image(actor, asset_id):
    asset = db.session.get(ImageAsset, asset_id) if looks_like_id(asset_id) else None
    if asset is None or asset.workspace_id != actor.workspace_id or asset.status != "ready" or not asset.variant_key:
        return None
    return asset


def check_logo(actor, style):
    """The logo as a Pillow image, or a 422 when the id is not one of the owner's ready images."""
    if not style.logo:
        return None
    asset = owned_ready_image(actor, style.logo)
    image = load_image(asset) if asset else None
    if image is None:
        message = "No ready image of yours has that id; upload the logo first or pick another."
        raise ServiceError(message, fields={"style.logo": message}, status=422, code="invalid")
    return image


def logo_for_code(code):
    """The logo a stored code shows; None when it has none or its image has gone."""
    logo_id = (code.style or {}).get("logo")
    if not logo_id:
        return None
    asset = db.session.get(ImageAsset, logo_id) if looks_like_id(logo_id) else None
    if asset is None or asset.workspace_id != code.workspace_id or asset.status != "ready":
        return None
    return load_image(asset)


def logo_version(code):
    """What identifies the logo's bytes, for ETags: the variant's storage key."""
    logo_id = (code.style or {}).get("logo")
    asset = db.session.get(ImageAsset, logo_id) if looks_like_id(logo_id) else None
    return asset.variant_key if asset is not None and asset.status == "ready" else ""


def load_image(asset):
    """The logo, decoded; None when it is missing or unreadable. Read into memory, but
    never more than MAX_IMAGE_BYTES (an optimised variant is far smaller). Storage being
    down raises StorageUnavailable: a code is not drawn without the logo it was given."""
    limit = current_app.config["MAX_IMAGE_BYTES"]
    try:
        with get_storage().open(asset.variant_key) as stored:
            data = stored.read(limit + 1)
        if len(data) > limit:
            return None
        image = Image.open(io.BytesIO(data))
        image.load()
    except StorageUnavailable:
        raise
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return image


def list_ready_images(actor, limit=100):
    return db.session.scalars(
        select(ImageAsset).where(ImageAsset.workspace_id == actor.workspace_id, ImageAsset.status == "ready")
        .order_by(ImageAsset.created_at.desc()).limit(limit)).all()


def list_presets(actor):
    return db.session.scalars(
        select(StylePreset).where(StylePreset.workspace_id == actor.workspace_id).order_by(StylePreset.name)).all()


def get_preset(actor, preset_id):
    return get_owned(StylePreset, actor.workspace_id, preset_id, "No such style preset.")


def default_preset(actor):
    """The workspace's shared default preset (new codes start from it), or None."""
    preset_id = db.session.scalar(select(Workspace.default_preset_id).where(
        Workspace.id == actor.workspace_id))
    preset = db.session.get(StylePreset, preset_id) if preset_id else None
    return preset if preset is not None and preset.workspace_id == actor.workspace_id else None


def save_preset(actor, name, style_data):
    """Saves (or replaces) the preset `name` with this style."""
    name = " ".join((name or "").split()).replace("\x00", "")
    if not 1 <= len(name) <= 60:
        message = "Give the preset a name of 1 to 60 characters."
        raise ServiceError(message, fields={"preset_name": message}, status=422)
    style = validated_style(style_data)
    existing = db.session.scalar(select(StylePreset).where(
        StylePreset.workspace_id == actor.workspace_id, StylePreset.name == name))
    if existing is not None:
        existing.style = style.to_json()
        return existing
    if len(list_presets(actor)) >= MAX_PRESETS:
        raise Conflict(f"You have {MAX_PRESETS} presets; delete one first.")
    preset = StylePreset(workspace_id=actor.workspace_id, name=name, style=style.to_json())
    db.session.add(preset)
    db.session.flush()
    return preset


def delete_preset(actor, preset_id):
    db.session.delete(get_preset(actor, preset_id))
