"""`make run` is a sandbox: under SCANLINK_ENV=development a receiver on this machine, over
http, is accepted; elsewhere it is refused with the setting that would allow it named."""
import ipaddress

import pytest

from webapp.config import Config
from webapp.services.webhooks.urls import UrlRefused, address_problem, validate_url

SETTINGS = ("WEBHOOK_ALLOW_HTTP", "WEBHOOK_ALLOW_PRIVATE")


@pytest.fixture
def environment(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    return monkeypatch


@pytest.mark.parametrize("env, allowed", [("development", True), ("production", False)])
def test_local_receivers_are_allowed_under_development_only(environment, env, allowed):
    environment.setenv("SCANLINK_ENV", env)
    config = Config()
    assert (config.WEBHOOK_ALLOW_HTTP, config.WEBHOOK_ALLOW_PRIVATE) == (allowed, allowed)


def test_a_setting_said_off_stays_off_under_development(environment):
    environment.setenv("SCANLINK_ENV", "development")
    environment.setenv("WEBHOOK_ALLOW_PRIVATE", "off")
    config = Config()
    assert config.WEBHOOK_ALLOW_HTTP and not config.WEBHOOK_ALLOW_PRIVATE


def test_each_refusal_a_setting_lifts_names_it():
    with pytest.raises(UrlRefused, match="WEBHOOK_ALLOW_PRIVATE"):
        validate_url("https://127.0.0.1:8443/hook")
    with pytest.raises(UrlRefused, match="WEBHOOK_ALLOW_HTTP"):
        validate_url("http://127.0.0.1:8080/hook", allow_private=True)
    assert validate_url("http://127.0.0.1:8080/hook", allow_http=True, allow_private=True)
    # What no setting lifts says nothing of one.
    assert "WEBHOOK_" not in address_problem(ipaddress.ip_address("10.0.0.1"), allow_private=True)
