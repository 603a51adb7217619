"""The HTTP side of delivery: sign, POST through a hardened client, judge the answer.

No database here: `Sender.send_all` turns prepared deliveries into outcomes and the
caller records them. One Sender serves one drain job, so its connection pool (keyed
by the checked address) is reused for every event to the same receiver.
"""
import email.utils
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import pybreaker
import requests
from flask import current_app
from requests_hardened import Config as HardenedConfig
from requests_hardened import HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress
from standardwebhooks import Webhook
from urllib3.exceptions import HTTPError as Urllib3Error

from webapp.infra.resilience import breakers
from webapp.infra.resilience.guard import open_until
from webapp.models.base import utcnow
from webapp.services.webhooks.urls import UrlRefused, check_host, host_and_port

log = logging.getLogger(__name__)

USER_AGENT = "Scanlink-Webhooks/1.0"
EXCERPT_CHARS = 1000
ADDRESS_CHECK_TTL = 30.0
FLUSH_EVERY = 1.0



def http_timeouts(config=None):
    """(connect, read) seconds for an outgoing webhook request."""
    config = config or current_app.config
    return (config["WEBHOOK_CONNECT_TIMEOUT"], config["WEBHOOK_READ_TIMEOUT"])

@dataclass
class Delivery:
    claim: object
    url: str
    secrets: list
    enabled: bool = True


@dataclass
class Outcome:
    claim: object
    kind: str  # delivered | failed | gone | skipped (no HTTP attempt was made)
    attempted_at: datetime = None
    status_code: int = None
    duration_ms: int = None
    excerpt: str = None
    error: str = None
    retry_after: float = None
    retry_at: datetime = None

    @property
    def ok(self):
        return self.kind == "delivered"


class ReceiverUnhealthy(Exception):
    """Counts against the host's breaker: no connection, a timeout, a 5xx or a 429."""

    def __init__(self, outcome):
        super().__init__(outcome.error)
        self.outcome = outcome


def make_session(config):
    session = HTTPSession(HardenedConfig(
        ip_filter_enable=True,
        ip_filter_allow_loopback_ips=config["WEBHOOK_ALLOW_PRIVATE"],
        never_redirect=True,
        default_timeout=http_timeouts(config),
        user_agent_override=USER_AGENT,
    ))
    session.trust_env = False  # no proxies or .netrc from the environment: we connect ourselves
    return session


def retry_after_seconds(value, now=None):
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max((moment - (now or utcnow())).total_seconds(), 0.0)


class Sender:
    def __init__(self, app=None):
        self.app = app or current_app._get_current_object()
        config = self.app.config
        self.config = config
        self.session = make_session(config)
        self.timeouts = http_timeouts(config)
        self.max_bytes = config["WEBHOOK_MAX_RESPONSE_BYTES"]
        self.allow_private = config["WEBHOOK_ALLOW_PRIVATE"]
        self._signers = {}
        self._hosts = {}
        self._checked = {}  # host key -> (valid until, refusal message or None)
        self.open_hosts = {}  # host key -> epoch seconds its breaker stays open
        self.gone = set()  # endpoints that answered 410 in this job: disabled from now on

    def close(self):
        self.session.close()

    def send_all(self, deliveries):
        """Yields (outcomes, deliveries still waiting) about once a second."""
        chunk, last = [], time.monotonic()
        for index, delivery in enumerate(deliveries):
            chunk.append(self.send(delivery))
            if time.monotonic() - last >= FLUSH_EVERY:
                yield chunk, deliveries[index + 1:]
                chunk, last = [], time.monotonic()
        if chunk:
            yield chunk, []

    def _host(self, url):
        found = self._hosts.get(url)
        if found is None:
            host, port = host_and_port(url)
            found = self._hosts[url] = (host, port, f"{host}:{port}")
        return found

    def send(self, delivery):
        try:
            return self._send(delivery)
        except Exception as exc:  # one odd row must not stall the batch (and resend the rest)
            log.exception("webhook %s: could not be sent", delivery.claim.id)
            return Outcome(delivery.claim, "failed", attempted_at=utcnow(), duration_ms=0,
                           error=f"Not sent: {type(exc).__name__}: {exc}"[:500])

    def _send(self, delivery):
        host, port, key = self._host(delivery.url)
        if not delivery.enabled or delivery.claim.endpoint_id in self.gone:
            return Outcome(delivery.claim, "skipped", retry_at=utcnow(),
                           error="Not sent: the endpoint is disabled.")
        if key in self.open_hosts:
            return self._skipped_open(delivery, key, self.open_hosts[key])
        refusal = self._address_refusal(host, port, key)
        if refusal:
            return Outcome(delivery.claim, "failed", attempted_at=utcnow(), duration_ms=0,
                           error=refusal)
        breaker = breakers.get_breaker(
            f"webhook:{key}", fail_max=self.config["WEBHOOK_BREAKER_FAIL_MAX"],
            reset_timeout=self.config["WEBHOOK_BREAKER_RESET_SECONDS"], app=self.app)
        try:
            outcome = breaker.call(self._post, delivery)
            if outcome.kind == "gone":
                self.gone.add(delivery.claim.endpoint_id)
            return outcome
        except ReceiverUnhealthy as exc:
            return exc.outcome
        except pybreaker.CircuitBreakerError:
            until = open_until(breaker) or (time.time() + breaker.reset_timeout)
            self.open_hosts[key] = until
            return self._skipped_open(delivery, key, until)

    def _skipped_open(self, delivery, key, until):
        at = datetime.fromtimestamp(until, timezone.utc)
        return Outcome(delivery.claim, "skipped", retry_at=at,
                       error=f"Not sent: too many failures at {key}, so its circuit is open "
                             f"until {at:%H:%M:%S} UTC.")

    def _address_refusal(self, host, port, key):
        cached = self._checked.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            check_host(host, port, self.allow_private)
            refusal = None
        except UrlRefused as exc:
            refusal = "Refused before sending. " + exc.message
        self._checked[key] = (time.monotonic() + ADDRESS_CHECK_TTL, refusal)
        return refusal

    def _signer(self, secret):
        signer = self._signers.get(secret)
        if signer is None:
            signer = self._signers[secret] = Webhook(secret)
        return signer

    def headers(self, delivery, moment):
        claim = delivery.claim
        signatures = " ".join(self._signer(secret).sign(claim.event_id, moment, claim.payload)
                              for secret in delivery.secrets)
        return {"content-type": "application/json", "webhook-id": claim.event_id,
                "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signatures}

    def _post(self, delivery):
        claim = delivery.claim
        moment = utcnow()
        started = time.monotonic()
        outcome = Outcome(claim, "failed", attempted_at=moment)
        try:
            response = self.session.post(delivery.url, data=claim.payload.encode(),
                                         headers=self.headers(delivery, moment), stream=True,
                                         timeout=self.timeouts, allow_redirects=False)
            body = self._read_capped(response)
        except InvalidIPAddress as exc:
            outcome.duration_ms = _ms(started)
            outcome.error = f"Refused at send time: the host resolved to {exc}, a non-public address."
            return outcome  # our refusal, not the receiver's fault: the breaker is not told
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            outcome.duration_ms = _ms(started)
            outcome.error = describe_error(exc, self.timeouts)
            raise ReceiverUnhealthy(outcome) from exc
        outcome.duration_ms = _ms(started)
        outcome.status_code = status = response.status_code
        outcome.excerpt = body[:EXCERPT_CHARS].decode("utf-8", "replace") if body else None
        if 200 <= status < 300:
            outcome.kind = "delivered"
            return outcome
        outcome.error = describe_status(response)
        if status == 410:
            outcome.kind = "gone"
        if status in (429, 503):
            outcome.retry_after = retry_after_seconds(response.headers.get("Retry-After"), moment)
        if status >= 500 or status == 429:
            raise ReceiverUnhealthy(outcome)
        return outcome

    def _read_capped(self, response):
        """At most max_bytes of the answer; a fully read answer keeps its connection."""
        raw = response.raw
        try:
            body = raw.read(self.max_bytes + 1, decode_content=True) or b""
        except BaseException:
            raw.close()
            raise
        if len(body) > self.max_bytes:
            raw.close()  # the rest is not wanted: drop the connection rather than read it
            body = body[:self.max_bytes]
        raw.release_conn()
        return body


def _ms(started):
    return int((time.monotonic() - started) * 1000)


def describe_status(response):
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("Location", "")[:200]
        return f"HTTP {status}: redirects are not followed (Location: {location})."
    if status == 410:
        return "HTTP 410 Gone: the receiver asked us to stop; the endpoint is disabled."
    return f"HTTP {status} {response.reason or ''}".strip()


def describe_error(exc, timeouts):
    connect, read = timeouts
    if isinstance(exc, requests.ConnectTimeout):
        return f"Could not connect within {connect:g} s."
    if isinstance(exc, (requests.ReadTimeout,)) or "Read timed out" in str(exc):
        return f"No answer within {read:g} s (read timeout)."
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {exc}"[:500]
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "Connection refused" in text or "Errno 111" in text:
            return "Connection refused."
        if "Failed to resolve" in text or "Name or service not known" in text:
            return "The host name could not be resolved."
        return f"Connection failed: {text}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
