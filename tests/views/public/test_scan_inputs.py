"""Whatever a scanner, a crawler or a fuzzer sends: a 4xx or a redirect, never a 500."""
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_code, make_user

ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=300)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(slug=ANY_TEXT)
def test_any_slug_gets_a_redirect_or_a_small_page(app, client, slug):
    for path in (f"/s/{quote(slug, safe='')}", f"/api/qr-codes/{quote(slug, safe='')}/scan"):
        # 308: Werkzeug's redirect to the path with doubled slashes merged (a decoded "%2F").
        assert client.get(path).status_code in (302, 308, 404, 410)


@SETTINGS
@given(start=ANY_TEXT, end=ANY_TEXT)
def test_any_range_gets_numbers_or_a_clear_422(app, client, auth, start, end):
    if not getattr(app, "_fuzz_code", None):
        auth.signup(email="fuzz@example.com")
        with app.app_context():
            app._fuzz_code = make_code(make_user("fuzz@example.com")).id
    code_id = app._fuzz_code
    query = f"from={quote(start, safe='')}&to={quote(end, safe='')}"
    for path in (f"/api/qr-codes/{code_id}/scans?{query}", f"/codes/{code_id}/analytics?{query}",
                 f"/codes/{code_id}/analytics/scans.csv?{query}"):
        response = client.get(path)
        assert response.status_code in (200, 422), (path, response.status_code)
