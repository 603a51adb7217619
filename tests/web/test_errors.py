"""Errors: an HTML page for people, JSON for the API."""


def test_error_pages_are_html_and_api_errors_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Not found" in page.get_data(as_text=True)
    api = client.get("/api/no-such-thing", headers={"Authorization": "Bearer x"})
    assert api.status_code == 404
    assert api.json["error"]["code"] == "not_found"
