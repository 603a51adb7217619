"""Ugly input never answers 500: random bodies, ids and queries against the codes API."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_api_user

FIELDS = ["kind", "target_url", "content", "content_type", "title", "slug", "style", "active",
          "expires_at"]
STYLE_KEYS = ["dark", "light", "transparent", "finder_color", "module_shape", "finder_shape",
              "gradient", "error_correction", "quiet_zone", "logo", "logo_size", "frame"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=40), st.sampled_from(["dynamic", "static", "wifi", "geo", "#fff",
                                                          "https://example.com", "\x00", "ÿ" * 3000]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(STYLE_KEYS + ["ssid", "lat", "to"]),
                                                 inner, max_size=4)), max_leaves=8)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)


def test_random_create_and_change_bodies_get_a_clear_4xx_or_a_code(app, client):
    with app.app_context():
        _, headers = make_api_user("fuzz@example.com")
    code_id = client.post("/api/qr-codes", headers=headers,
                          json={"target_url": "https://example.com"}).json["id"]

    @settings(max_examples=120, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=bodies, change=bodies)
    def check(body, change):
        created = client.post("/api/qr-codes", headers=headers, json=body)
        assert created.status_code in (201, 400, 404, 409, 422), created.json
        if created.status_code >= 400:
            assert created.json["error"]["message"]
        changed = client.patch(f"/api/qr-codes/{code_id}", headers=headers, json=change)
        assert changed.status_code in (200, 400, 404, 409, 422), changed.json

    check()


def test_malformed_ids_and_queries_are_404_or_422(client, app):
    with app.app_context():
        _, headers = make_api_user("fuzz@example.com")
    for path in ("/api/qr-codes/%00", "/api/qr-codes/" + "x" * 300, "/api/qr-codes/%00/image.svg",
                 "/api/qr-codes/%C3%BF/image.png"):
        assert client.get(path, headers=headers).status_code == 404, path
    for query in ("limit=-1", "limit=1e9", "cursor=%00", "cursor=" + "A" * 300, "unknown=1"):
        response = client.get(f"/api/qr-codes?{query}", headers=headers)
        assert response.status_code in (400, 422), query
