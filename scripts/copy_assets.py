"""Copies the front-end packages npm installed into static/vendor/ (ignored by git)."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "@picocss/pico/css/pico.min.css": "pico.min.css",
}


def main():
    vendor = ROOT / "static" / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for source, target in ASSETS.items():
        path = ROOT / "node_modules" / source
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `npm ci` first")
        shutil.copyfile(path, vendor / target)


if __name__ == "__main__":
    main()
