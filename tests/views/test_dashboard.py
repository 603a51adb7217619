def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"]["ok"] and ready.json["checks"]["redis"]["ok"]


def test_readiness_reports_redis_down(app_factory):
    app = app_factory(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.5)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"]["ok"] is False
    assert response.json["checks"]["database"]["ok"] is True


def test_error_pages_are_html_and_api_errors_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Not found" in page.get_data(as_text=True)
    api = client.get("/api/no-such-thing", headers={"Authorization": "Bearer x"})
    assert api.status_code == 404
    assert api.json["error"]["code"] == "not_found"


def test_welcome_page_for_visitors(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sign up" in page and "htmx.min.js" in page


def test_dashboard_shows_a_first_step(client, auth):
    auth.signup()
    page = client.get("/").get_data(as_text=True)
    assert "Get started" in page
    assert 'hx-headers=\'{"X-CSRFToken"' in page


def test_openapi_document_lists_operations(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "get" in doc["paths"]["/api/me"]
