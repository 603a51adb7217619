"""Static files get content-hashed URLs, cached for a year."""
from webapp.web import static_assets


def test_static_files_get_content_hashed_urls_cached_for_a_year(app, client):
    page = client.get("/").get_data(as_text=True)
    with app.app_context():
        digest = static_assets.content_hash(app.static_folder, "css/app.css")
    url = f"/static/css/app.css?v={digest}"
    assert url in page
    hashed = client.get(url)
    assert hashed.status_code == 200
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/css/app.css", "/static/css/app.css?v=0123456789ab"):
        response = client.get(other)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), other
    assert client.get("/static/nope.css?v=" + digest).status_code == 404


def test_content_hash_changes_with_the_bytes(tmp_path):
    (tmp_path / "site.css").write_text("body { color: red }")
    first = static_assets.content_hash(str(tmp_path), "site.css")
    (tmp_path / "site.css").write_text("body { color: blue; }")
    second = static_assets.content_hash(str(tmp_path), "site.css")
    assert first != second and len(first) == static_assets.HASH_LENGTH
    assert static_assets.content_hash(str(tmp_path), "../etc/passwd") is None
    assert static_assets.content_hash(str(tmp_path), "missing.css") is None
