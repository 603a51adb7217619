"""Helpers for QR code tests: users with API keys, logo images in storage, decoding."""
import io
from pathlib import Path

import pytest
import resvg_py
from PIL import Image

from webapp.extensions import db
from webapp.models import ImageAsset
from webapp.qr.scannability import decode, on_white
from webapp.services import accounts
from webapp.storage import get_storage

PHOTOS = Path(__file__).resolve().parents[3] / "shared" / "data" / "photos"


def photo_path(name="coffee.png"):
    path = PHOTOS / name
    if not path.exists():
        pytest.skip(f"the shared test photos are not beside the checkout ({PHOTOS} is missing)")
    return path


def make_user(email):
    user = accounts.create_user(email, "correct horse battery", min_length=10)
    _, raw = accounts.create_api_key(user, "tests")
    db.session.commit()
    return user, {"Authorization": f"Bearer {raw}"}


def make_logo(user, photo="coffee.png", status="ready"):
    """An ImageAsset as issue 7's upload job leaves it: the optimised bytes in storage."""
    source = Image.open(photo_path(photo)).convert("RGB")
    source.thumbnail((256, 256))
    buf = io.BytesIO()
    source.save(buf, "WEBP", quality=85)
    key = f"images/test/{user.id}-{photo}.webp"
    get_storage().put(key, buf.getvalue())
    asset = ImageAsset(owner_id=user.id, content_hash=f"{user.id}{photo}".ljust(64, "0")[:64],
                       status=status, max_width=256, max_height=256, quality=85, format="webp",
                       original_key=key, variant_key=key, width=source.width, height=source.height,
                       bytes=len(buf.getvalue()))
    db.session.add(asset)
    db.session.commit()
    return asset.id


def decode_png(data):
    return decode(on_white(Image.open(io.BytesIO(data))))


def rasterise_svg(data):
    svg = data.decode() if isinstance(data, bytes) else data
    return Image.open(io.BytesIO(resvg_py.svg_to_bytes(svg_string=svg)))


def decode_svg(data):
    return decode(on_white(rasterise_svg(data)))
