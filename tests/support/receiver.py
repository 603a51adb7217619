"""A real webhook receiver on 127.0.0.1, in threads, that tests can make misbehave.

`Receiver().start()` listens on a free port and records every request. Its answer
comes from `behaviour(request) -> (status, headers, body)`; helpers build the usual
ones (fail N times, hang, sleep, redirect). `down()` closes the port and every open
connection (a connection refused, not a timeout); `up()` listens on it again.
"""
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.servers import free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)

    @property
    def event_id(self):
        return self.headers.get("webhook-id")

    def json(self):
        return json.loads(self.body)


def ok(request):
    return 200, {}, b"thanks"


def always(status, headers=None, body=b""):
    return lambda request: (status, headers or {}, body)


def failing_first(n, status=500):
    """Answers `status` to the first n requests, then 200."""
    count = {"n": 0}
    lock = threading.Lock()

    def behaviour(request):
        with lock:
            count["n"] += 1
            failing = count["n"] <= n
        return (status, {}, b"not yet") if failing else (200, {}, b"ok")
    return behaviour


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client that gave up (a timeout test) is not news


class Receiver:
    def __init__(self, behaviour=ok, port=None):
        self.behaviour = behaviour
        self.port = port or free_port()
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends every hang
        self.connections = set()
        self.server = None

    def url(self, path="/hook", host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def setup(self):
                super().setup()
                # no 40 ms Nagle/delayed-ACK stall between headers and body
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.requests.append(request)
                status, headers, payload = receiver.behaviour(request)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self.server = QuietServer(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    up = start

    def down(self):
        """Stop listening and cut open connections: new sends get 'connection refused'."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server = None

    def stop(self):
        self.release.set()
        self.down()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # What tests ask
    def event_ids(self):
        with self.lock:
            return [r.event_id for r in self.requests]

    def count(self):
        with self.lock:
            return len(self.requests)

    def wait_for(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                return self.requests[:n]
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {self.count()} requests, expected {n}")

    # Behaviours that need the receiver
    def hanging(self, seconds=30):
        """Never answers (until released or `seconds` pass)."""
        def behaviour(request):
            self.release.wait(seconds)
            return 200, {}, b"late"
        return behaviour

    def sleeping(self, seconds, then=ok):
        def behaviour(request):
            time.sleep(seconds)
            return then(request)
        return behaviour
