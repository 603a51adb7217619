"""Form fields and query strings that nothing could store: a NUL is a 422 naming the field
before any view or database sees it; bytes that are not UTF-8 stay %-escaped text."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiKey


def api_key_names(app):
    with app.app_context():
        names = list(db.session.scalars(select(ApiKey.name)))
        db.session.remove()
    return names


def test_a_nul_in_a_form_field_is_refused_with_the_fields_name(app, client, auth, owner):
    # On PostgreSQL this was a 500: the driver refuses NUL in text.
    token = auth.token("/account/")
    before = api_key_names(app)
    response = client.post("/account/api-keys", data=f"name=ci%00bot&csrf_token={token}",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "“name” holds a NUL character" in response.get_data(as_text=True)
    assert api_key_names(app) == before


def test_a_nul_in_a_fields_name_or_a_multipart_field_is_refused_too(client, auth, owner):
    token = auth.token("/account/")
    named = client.post("/account/api-keys", data=f"na%00me=x&name=ok&csrf_token={token}",
                        content_type="application/x-www-form-urlencoded")
    assert named.status_code == 422 and "“na\\u0000me”" in named.get_data(as_text=True)
    multipart = client.post("/account/api-keys", data={"name": "a\x00b", "csrf_token": token},
                            content_type="multipart/form-data")
    assert multipart.status_code == 422


def test_logging_in_with_a_nul_is_refused_before_the_user_is_looked_up(client, auth, owner):
    auth.logout()
    token = auth.token("/login")
    response = client.post("/login", data=f"email=ada%00@example.com&password=x&csrf_token={token}",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "“email” holds a NUL character" in response.get_data(as_text=True)


def test_invalid_utf8_in_a_form_or_a_query_stays_escaped_text(app, client, auth, owner):
    token = auth.token("/account/")
    before = api_key_names(app)
    for raw in ("%ED%A0%80", "%FF"):  # an encoded surrogate; a byte that begins nothing
        response = client.post("/account/api-keys", data=f"name=key{raw}&csrf_token={token}",
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 400
        listed = client.get(f"/codes/?q=a{raw}")
        assert listed.status_code == 200
        listed.close()
    # werkzeug keeps bytes that are not UTF-8 as their %-escapes: text, never a surrogate.
    assert sorted(set(api_key_names(app)) - set(before)) == ["key%ED%A0%80", "key%FF"]


def test_a_nul_in_a_static_path_is_a_404(client):
    for path in ("/static/%00", "/static/app.css%00", "/static/a%00b/c.js"):
        assert client.get(path).status_code == 404
