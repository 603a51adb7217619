"""/metrics: off by default, behind a bearer token, and summed over gunicorn's workers."""
import re

import pytest
import requests

from tests.factories import make_code
from tests.support.processes import gunicorn
from tests.support.servers import target_of
from webapp.infra.resilience import breakers

TOKEN = "metrics-test-token"


def sample(text, name, **labels):
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_metrics_are_off_without_a_token(app, client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.settings(METRICS_TOKEN=TOKEN)
def test_metrics_need_the_bearer_token(app, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with app.app_context():
        make_code(slug="counted")
        breakers.get_breaker("webhook:example.com:443", fail_max=5, reset_timeout=60)
    before = sample(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text,
                    "scanlink_scans_total", outcome="recorded") or 0
    for _ in range(3):
        assert client.get("/s/counted").status_code == 302
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert sample(text, "scanlink_scans_total", outcome="recorded") == before + 3
    assert sample(text, "scanlink_redirect_seconds_count") >= 3
    assert sample(text, "scanlink_breaker_state", breaker="webhook:example.com:443",
                  state="closed") == 1
    assert "scanlink_jobs" in text and "scanlink_webhook_outbox" in text


@pytest.mark.slow
def test_gunicorn_workers_add_up_in_multiprocess_mode(app, tmp_path):
    """The Procfile's way: gunicorn.conf.py, PROMETHEUS_MULTIPROC_DIR, two workers."""
    with app.app_context():
        make_code(slug="door")
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    with gunicorn(app, tmp_path / "gunicorn.log", "--threads", "4",
                  PROMETHEUS_MULTIPROC_DIR=metrics_dir, METRICS_TOKEN=TOKEN) as port:
        for _ in range(20):
            assert target_of(port, "door")[0] == 302
        text = requests.get(f"http://127.0.0.1:{port}/metrics",
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
        assert sample(text, "scanlink_scans_total", outcome="recorded") == 20
        assert len(list(metrics_dir.glob("*.db"))) >= 2  # both workers wrote their share
