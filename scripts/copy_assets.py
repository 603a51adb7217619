"""Copies the front-end packages npm installed into static/vendor/ (ignored by git),
then writes a compressed copy (Brotli `.br`, gzip `.gz`) of every CSS, JS and SVG
file under static/, which webapp/web/static_assets.py sends to browsers that accept it.

Compressing once here, at the highest levels, costs nothing per request; a
compressing middleware would redo it for every download (or cache it itself).
"""
import gzip
import shutil
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
ASSETS = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "@picocss/pico/css/pico.min.css": "pico.min.css",
    # The API reference page (/api/docs) only.
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
}
COMPRESSED = {".css", ".js", ".svg"}
MIN_BYTES = 512  # below this the headers outweigh the saving


def copy_vendor():
    vendor = STATIC / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for source, target in ASSETS.items():
        path = ROOT / "node_modules" / source
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `npm ci` first")
        (vendor / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, vendor / target)


def compress_static(folder=STATIC):
    """Writes file.br and file.gz beside each compressible file; returns the paths done."""
    done = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in COMPRESSED or not path.is_file():
            continue
        data = path.read_bytes()
        if len(data) < MIN_BYTES:
            continue
        # mtime=0: the same bytes give the same .gz, so its ETag only changes with the file.
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))
        done.append(path)
    return done


def main():
    copy_vendor()
    compress_static()


if __name__ == "__main__":
    main()
