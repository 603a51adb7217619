"""Static files go out pre-compressed (Brotli or gzip, made once by `make assets`)."""
import gzip
import os
from pathlib import Path

import brotli
import pytest

from scripts.copy_assets import compress_static
from webapp.web import static_assets

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize("filename", ["vendor/pico.min.css", "vendor/htmx.min.js", "css/app.css",
                                      "js/previews.js"])
def test_css_and_js_go_out_compressed_when_accepted(app, client, filename):
    source = Path(app.static_folder) / filename
    for suffix in (".br", ".gz"):
        assert Path(f"{source}{suffix}").exists(), f"{source}{suffix} is missing: run `make assets`"
    url = f"/static/{filename}?v={static_assets.content_hash(app.static_folder, filename)}"
    raw = source.read_bytes()
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == raw
    assert "Accept-Encoding" in plain.headers["Vary"]
    for accept, encoding in (("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip"),
                             ("br;q=0, gzip", "gzip")):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding, accept
        assert response.mimetype == plain.mimetype  # the file's type, not "application/gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == static_assets.IMMUTABLE
        assert len(response.data) < len(raw) and DECODE[encoding](response.data) == raw
        again = client.get(url, headers={"Accept-Encoding": accept,
                                         "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_a_compressed_copy_older_than_its_file_is_not_sent(tmp_path):
    (tmp_path / "site.css").write_text("body { color: red }\n" * 100)
    compress_static(tmp_path)
    accepts = {"br": 1, "gzip": 1}
    assert static_assets.compressed_variant(str(tmp_path), "site.css", accepts) == ("site.css.br", "br")
    assert static_assets.compressed_variant(str(tmp_path), "site.css", {"gzip": 1, "br": 0}) == (
        "site.css.gz", "gzip")
    later = os.stat(tmp_path / "site.css.br").st_mtime + 10
    os.utime(tmp_path / "site.css", (later, later))  # edited after `make assets`
    assert static_assets.compressed_variant(str(tmp_path), "site.css", accepts) is None
    assert static_assets.compressed_variant(str(tmp_path), "../site.css", accepts) is None
    assert static_assets.compressed_variant(str(tmp_path), "nope.css", accepts) is None


def test_compression_skips_small_and_other_files(tmp_path):
    (tmp_path / "tiny.js").write_text("x=1")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG" + b"0" * 4000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.svg").write_text("<svg>" + "<g/>" * 500 + "</svg>")
    done = compress_static(tmp_path)
    assert done == [tmp_path / "sub" / "big.svg"]
    assert gzip.decompress((tmp_path / "sub" / "big.svg.gz").read_bytes()) == (
        tmp_path / "sub" / "big.svg").read_bytes()
