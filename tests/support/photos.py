"""Where the real photographs are: SCANLINK_PHOTOS, else ../shared/data/photos beside
the checkout, else the workplace's /work/shared (CI clones the repository elsewhere)."""
import os
from pathlib import Path

import pytest

CANDIDATES = [Path(p) for p in (os.environ.get("SCANLINK_PHOTOS"),) if p] + [
    Path(__file__).resolve().parents[3] / "shared" / "data" / "photos",
    Path("/work/shared/data/photos"),
]
PHOTOS = next((path for path in CANDIDATES if path.is_dir()), CANDIDATES[0])


def photo_path(name="coffee.png"):
    """The photograph's path; the test skips, saying where it looked, when it is absent."""
    path = PHOTOS / name
    if not path.exists():
        pytest.skip(f"the real photographs are not here: looked in {', '.join(map(str, CANDIDATES))}")
    return path
