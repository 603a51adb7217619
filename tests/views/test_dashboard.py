"""/: a welcome page for visitors, the dashboard for people logged in."""


def test_welcome_page_for_visitors(client):
    page = client.get("/").get_data(as_text=True)
    assert "Sign up" in page and "htmx.min.js" in page


def test_dashboard_shows_a_first_step(client, auth):
    auth.signup()
    page = client.get("/").get_data(as_text=True)
    assert "Get started" in page
    assert 'hx-headers=\'{"X-CSRFToken"' in page
