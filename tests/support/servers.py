"""Real servers for tests: the app on a free port, in a thread; asking a server for a scan."""
import http.client
import itertools
import os
import random
import socket
import threading

from werkzeug.serving import make_server


def _port_range():
    """TEST_PORT_RANGE ("20000-25999"): this run's own ports. scripts/run_tests.py gives each
    of the passes that run at once its own range, so a port one pass probed and let go is
    never taken by the other before the test that asked for it binds it."""
    value = os.environ.get("TEST_PORT_RANGE")
    if not value:
        return None
    low, high = (int(part) for part in value.split("-"))
    start = random.randrange(low, high + 1)  # another checkout's run may use the same range
    return itertools.chain(range(start, high + 1), itertools.cycle(range(low, high + 1)))


_PORTS = _port_range()


def free_port():
    """A port nothing listens on now; the kernel's choice unless TEST_PORT_RANGE is set.
    In a range, ports are handed out in turn, so the next call does not return this one."""
    if _PORTS is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for _ in range(1000):
        port = next(_PORTS)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in TEST_PORT_RANGE={os.environ['TEST_PORT_RANGE']}")


class LiveServer:
    def __init__(self, app, port=None):
        """`port`: one reserved earlier, when the app's settings must name it (a redirect URI)."""
        self.port = port or free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


def target_of(port, slug, method="GET"):
    """(status, Location) of a scan of `slug` on a server at 127.0.0.1:`port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, f"/s/{slug}", headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        conn.close()
