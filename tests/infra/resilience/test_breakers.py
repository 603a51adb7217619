"""A service's breaker against real network faults, its state shared by two processes."""
import json
import socket
import subprocess
import sys
import time

import pybreaker
import pytest

from tests.support.processes import ROOT, process_env
from webapp.infra.resilience import breaker_storage, breakers, retries
from webapp.infra.resilience.guard import guard

FAIL_MAX, RESET = 3, 2

# The second process: its own interpreter, app and Redis connection. It starts first and
# answers one line per request, so its import time does not eat into the reset period.
OTHER_PROCESS = """
import json, pybreaker, sys
from webapp.app import create_app
from webapp.infra.resilience import breakers
from webapp.infra.resilience.guard import guard
app = create_app({"SCANLINK_ENV": "testing"})
print("ready", flush=True)
for _ in sys.stdin:
    with app.app_context():
        breaker = breakers.get_breaker("probe", fail_max=%d, reset_timeout=%d)
        calls = []
        try:
            guard(breaker, calls.append, 1)
            outcome = "called"
        except pybreaker.CircuitBreakerError:
            outcome = "short-circuited"
        print(json.dumps({"state": breaker.current_state, "outcome": outcome,
                          "calls": len(calls)}), flush=True)
""" % (FAIL_MAX, RESET)


class OtherProcess:
    def __init__(self, app):
        self.proc = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS], cwd=ROOT,
                                     env=process_env(app), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def ask(self):
        time.sleep(breaker_storage.BREAKER_READ_SECONDS)  # its cached read of the state expires
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def ping(port, calls):
    """One real round trip to Redis through the proxy."""
    calls.append(port)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        answer = sock.recv(64)
    if answer != b"+PONG\r\n":
        raise ConnectionError(f"unexpected answer {answer!r}")


@pytest.fixture
def other(app):
    other = OtherProcess(app)
    yield other
    other.stop()


def test_breaker_opens_short_circuits_half_opens_and_closes_in_every_process(
        app, redis_proxy, other):
    calls = []
    with app.app_context():
        breaker = breakers.get_breaker("probe", fail_max=FAIL_MAX, reset_timeout=RESET)
        guard(breaker, ping, redis_proxy.port, calls)
        assert breaker.current_state == "closed"

        redis_proxy.reset()  # connections are accepted, then aborted with a RST
        for attempt in range(FAIL_MAX):
            with pytest.raises(OSError):
                guard(breaker, ping, redis_proxy.port, calls)
            expected = "open" if attempt == FAIL_MAX - 1 else "closed"
            assert breaker.current_state == expected
        assert len(calls) == 1 + FAIL_MAX

        # Open: refused at once, the service is not called.
        with pytest.raises(pybreaker.CircuitBreakerError):
            guard(breaker, ping, redis_proxy.port, calls)
        assert len(calls) == 1 + FAIL_MAX
        assert other.ask() == {"state": "open", "outcome": "short-circuited", "calls": 0}

        redis_proxy.restore()
        time.sleep(RESET + 0.3)
        guard(breaker, ping, redis_proxy.port, calls)  # the trial call (half-open)
        assert len(calls) == 2 + FAIL_MAX
        assert breaker.current_state == "closed"
        assert other.ask() == {"state": "closed", "outcome": "called", "calls": 1}

        [snapshot] = [row for row in breakers.breaker_snapshots() if row["name"] == "probe"]
        assert (snapshot["opened"], snapshot["half_opened"], snapshot["closed"]) == (1, 1, 1)


def test_a_failed_trial_opens_the_breaker_again(app, redis_proxy):
    calls = []
    with app.app_context():
        breaker = breakers.get_breaker("probe", fail_max=1, reset_timeout=2)
        redis_proxy.reset()
        with pytest.raises(OSError):
            guard(breaker, ping, redis_proxy.port, calls)
        assert breaker.current_state == "open"
        time.sleep(2 + 0.3)
        with pytest.raises(OSError):  # the trial, still failing
            guard(breaker, ping, redis_proxy.port, calls)
        assert breaker.current_state == "open"
        with pytest.raises(pybreaker.CircuitBreakerError):
            guard(breaker, ping, redis_proxy.port, calls)
        assert len(calls) == 2


def test_retry_policy_retries_transient_errors_only():
    config = {"RETRY_ATTEMPTS": 3, "RETRY_WAIT_INITIAL": 0.001, "RETRY_WAIT_MAX": 0.01}
    import requests

    attempts = []

    def flaky():
        attempts.append(1)
        raise requests.ConnectionError("refused")

    with pytest.raises(requests.ConnectionError):
        retries.retrying(config)(flaky)
    assert len(attempts) == 3

    for error in (pybreaker.CircuitBreakerError("open"), client_error(404), ValueError("bug")):
        attempts.clear()

        def failing(error=error):
            attempts.append(1)
            raise error

        with pytest.raises(type(error)):
            retries.retrying(config)(failing)
        assert len(attempts) == 1, error


def client_error(status):
    import requests

    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status}", response=response)
