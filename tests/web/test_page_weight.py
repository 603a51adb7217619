"""The dashboard's scripts and styles stay within 60 KB as sent compressed (gzip, the
larger of the two encodings we keep); the API reference page is exempt (issue 19)."""
import re

from tests.support import site_pages

BUDGET = 60 * 1024
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+rel="stylesheet"[^>]+href)="([^"]+)"')


def test_the_dashboard_weighs_at_most_60_kb_compressed(app, client, auth):
    site = site_pages.seed(app)
    auth.login(site.email)
    page = client.get("/").get_data(as_text=True)
    assets = ASSET.findall(page)
    assert any("htmx" in a for a in assets) and any("pico" in a for a in assets)
    assert not any("swagger" in a for a in assets)
    sent = 0
    for url in assets:
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, url
        sent += len(answer.data)
        answer.close()
    assert sent <= BUDGET, f"{sent} bytes"
