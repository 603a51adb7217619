"""Server-side request forgery: where webhooks may not go, when saved and when sent."""
import socket

import pytest
from sqlalchemy import select

from tests.factories import make_code, make_endpoint, make_user, workspace_of
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.services.webhooks.urls import UrlRefused, validate_url
from workers.webhooks import drain_deliveries


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://localhost/hook", "resolves to 127.0.0.1, which is a loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.1/hook", "private"),
    ("http://192.168.1.20/hook", "private"),
    ("http://172.16.5.4/hook", "private"),
    ("http://100.64.0.1/hook", "shared"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://192.88.99.1/hook", "reserved or special-purpose"),
    ("http://[64:ff9b::7f00:1]/hook", "reserved or special-purpose"),  # NAT64 of 127.0.0.1
    ("http://[::ffff:127.0.0.1]/hook", "IPv4-mapped"),
    ("http://[::ffff:8.8.8.8]/hook", "IPv4-mapped"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[fd00::1]/hook", "private"),
    ("http://0x7f000001/hook", "usual dotted form"),
    ("http://2130706433/hook", "usual dotted form"),
    ("http://0177.0.0.1/hook", "usual dotted form"),
    ("http://127.1/hook", "usual dotted form"),
])
def test_non_public_addresses_are_refused_when_saved(url, reason):
    with pytest.raises(UrlRefused) as refused:
        validate_url(url, allow_http=True, allow_private=False)
    assert reason in refused.value.message
    assert refused.value.fields == {"url": refused.value.message}


@pytest.mark.parametrize("url, reason", [
    ("", "Enter the URL"),
    ("hooks.example.com/in", "must start with https://"),
    ("ftp://203.0.113.9/in", "must start with https://"),
    ("http://93.184.216.34/in", "plain http:// is only allowed"),
    ("https://user:pw@93.184.216.34/in", "Leave user names and passwords"),
    ("https://93.184.216.34/in#top", "fragment"),
    ("https:///in", "no host"),
    ("https://93.184.216.34:99999/in", "not a valid URL"),
    ("https://93.184.216.34/" + "a" * 2100, "longer than 2048"),
    ("https://no-such-host.invalid/in", "could not be resolved"),
])
def test_malformed_urls_get_a_message_a_person_understands(url, reason):
    with pytest.raises(UrlRefused) as refused:
        validate_url(url, allow_http=False, allow_private=False)
    assert reason in refused.value.message


def test_a_public_address_is_accepted_without_contacting_it():
    assert validate_url("https://93.184.216.34/in?key=1") == "https://93.184.216.34/in?key=1"


def test_allow_private_opens_loopback_only():
    assert validate_url("http://127.0.0.1:5001/in", allow_http=True, allow_private=True)
    assert validate_url("http://localhost:5001/in", allow_http=True, allow_private=True)
    for url in ("http://10.0.0.1/in", "http://169.254.169.254/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(UrlRefused):
            validate_url(url, allow_http=True, allow_private=True)


# The app may use http:// (the receiver is local) but may not reach private addresses.
STRICT = pytest.mark.settings(WEBHOOK_SETTINGS, WEBHOOK_ALLOW_PRIVATE=False)


class FakeDns:
    """The outside world's DNS, which this machine has not got: answers per name, in order."""

    def __init__(self, monkeypatch, answers):
        self.answers = {name: list(ips) for name, ips in answers.items()}
        self.asked = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            self.asked.append(host)
            if host in self.answers:
                queue = self.answers[host]
                ip = queue.pop(0) if len(queue) > 1 else queue[0]
                return real(ip, port, *args, **kwargs)
            return real(host, port, *args, **kwargs)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url, reason", [
    ("https://127.0.0.1\x00.example.com/in", "control or invisible character (U+0000)"),
    ("https://hooks\x00.example.com/in", "(U+0000)"),
    ("https://hooks.example.com\x00/in", "(U+0000)"),
    ("https://hooks.example.com/in\x00", "(U+0000)"),
    ("https://hoo\x01ks.example.com/in", "(U+0001)"),
    ("https://hooks.exam\x7fple.com/in", "(U+007F)"),
    ("https://hooks.exam\x9bple.com/in", "(U+009B)"),
    ("https://hooks.exa\u200bmple.com/in", "(U+200B)"),  # IDNA would drop it: example.com
    ("https://hooks.exa\u202emple.com/in", "(U+202E)"),
    ("https://hooks\t.example.com/in", "spaces"),  # urlsplit would drop it: hooks.example.com
    ("https://hooks\n.example.com/in", "spaces"),
    ("https://hooks.exa mple.com/in", "spaces"),
    ("https://hooks.exa\u3000mple.com/in", "spaces"),
    ("https://hooks.exa\u0085mple.com/in", "spaces"),
    ("https://hooks%00.example.com/in", "no %-escapes"),
    ("https://hooks%2eexample.com/in", "no %-escapes"),
])
def test_hidden_characters_are_refused_before_any_lookup(monkeypatch, url, reason):
    dns = FakeDns(monkeypatch, {})
    with pytest.raises(UrlRefused) as refused:
        validate_url(url, allow_http=True, allow_private=True)
    assert reason in refused.value.message
    assert refused.value.fields == {"url": refused.value.message}
    assert dns.asked == []


def test_a_clean_host_is_looked_up_where_the_spy_sees_it(monkeypatch):
    dns = FakeDns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    assert validate_url("https://hooks.example.com/in")
    assert dns.asked == ["hooks.example.com"]


def event_for_stored_url(app, url):
    """An endpoint whose URL is stored as is (as if saved before the rules), with one event."""
    with app.app_context():
        owner = make_user()
        endpoint = WebhookEndpoint(workspace_id=workspace_of(owner), url=url, secret="whsec_" + "A" * 44,
                                   events=["qr.created"], enabled=True, failure_streak=0)
        db.session.add(endpoint)
        db.session.flush()
        make_code(owner, commit=False)
        db.session.commit()


def attempts(app):
    with app.app_context():
        return [(a.outcome, a.status_code, a.error) for a in db.session.scalars(select(WebhookAttempt))]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0x7f000001"])
@STRICT
def test_the_address_is_checked_again_when_sending(app, receiver, host):
    event_for_stored_url(app, receiver.url(host=host))
    drain_deliveries()
    assert receiver.count() == 0
    [(outcome, status, error)] = attempts(app)
    assert outcome == "failed" and status is None and "Refused before sending" in error


@STRICT
def test_a_name_that_turns_to_127_0_0_1_after_saving_is_refused_at_send(app, receiver,
                                                                        monkeypatch):
    FakeDns(monkeypatch, {"hooks.example.com": ["93.184.216.34", "127.0.0.1"]})
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, f"http://hooks.example.com:{receiver.port}/in", events=["qr.created"])
        make_code(owner, commit=False)
        db.session.commit()
    drain_deliveries()
    assert receiver.count() == 0
    assert "resolves to 127.0.0.1" in attempts(app)[0][2]


@STRICT
def test_a_rebinding_between_our_check_and_the_connect_is_caught_by_the_pinned_lookup(
        app, receiver, monkeypatch):
    # public for the save and for our check before the batch, loopback for the connection
    FakeDns(monkeypatch, {"hooks.example.com": ["93.184.216.34", "93.184.216.34", "127.0.0.1"]})
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, f"http://hooks.example.com:{receiver.port}/in", events=["qr.created"])
        make_code(owner, commit=False)
        db.session.commit()
    drain_deliveries()
    assert receiver.count() == 0
    assert "Refused at send time" in attempts(app)[0][2]


@pytest.mark.settings(WEBHOOK_SETTINGS)  # loopback allowed: the receiver is on 127.0.0.1
def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(app, receiver, monkeypatch):
    dns = FakeDns(monkeypatch, {"receiver.test": ["127.0.0.1"]})
    with app.app_context():
        owner = make_user()
        make_endpoint(owner, f"http://receiver.test:{receiver.port}/in", events=["qr.created"])
        for slug in ("a", "b", "c"):
            make_code(owner, slug, commit=False)
        db.session.commit()
        dns.asked.clear()
    drain_deliveries()
    assert receiver.count() == 3
    assert {r.headers["host"] for r in receiver.requests} == {f"receiver.test:{receiver.port}"}
    # one check before the batch, then one pinned lookup per request; the sockets
    # themselves were opened to the literal address
    assert dns.asked.count("receiver.test") == 1 + 3
    assert set(dns.asked) <= {"receiver.test", "127.0.0.1"}
    with app.app_context():
        assert {r.status for r in db.session.scalars(select(WebhookOutbox))} == {"delivered"}
