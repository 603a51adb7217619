"""A TCP proxy on 127.0.0.1 that injects real network faults between the app and a server.

Modes, switched at any time with `proxy.mode = ...` (or the helpers):

* "pass":  bytes flow both ways;
* "cut":   every open connection is closed and new ones are closed as soon as they are
           accepted (the client sees the server go away, as in a restart or failover);
* "slow":  each chunk is delayed by `proxy.delay` seconds in both directions
           (a server that answers, slowly);
* "reset": open and new connections are aborted with a TCP RST (SO_LINGER 0).

The app under test is pointed at `proxy.port`; the clients are real and unmocked.
"""
import select
import socket
import struct
import threading
import time

MODES = ("pass", "cut", "slow", "reset")


def _abort(sock):
    try:  # SO_LINGER with a zero timeout makes close() send a RST instead of a FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    _close(sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, target_host, target_port, delay=1.0):
        self.target = (target_host, target_port)
        self.delay = delay
        self._mode = "pass"
        self._lock = threading.Lock()
        self._pairs = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"faultproxy-{self.port}")

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopped.set()
        _close(self._listener)
        self._drop_all(_close)
        self._thread.join(timeout=5)

    @property
    def mode(self):
        return self._mode

    @mode.setter
    def mode(self, mode):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self._mode = mode
        if mode == "cut":
            self._drop_all(_close)
        elif mode == "reset":
            self._drop_all(_abort)

    def cut(self):
        self.mode = "cut"

    def reset(self):
        self.mode = "reset"

    def slow(self, delay=None):
        if delay is not None:
            self.delay = delay
        self.mode = "slow"

    def restore(self):
        self.mode = "pass"

    def _drop_all(self, how):
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
        for client, upstream in pairs:
            how(client)
            _close(upstream)

    def _accept_loop(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._mode == "cut":
                _close(client)
                continue
            if self._mode == "reset":
                _abort(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.add((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client, upstream):
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 0.2)
                if self._stopped.is_set() or (client, upstream) not in self._pairs:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if self._mode == "slow":
                        time.sleep(self.delay)
                    peers[sock].sendall(data)
        except (OSError, ValueError):  # ValueError: a socket closed by a cut, under select
            return
        finally:
            with self._lock:
                self._pairs.discard((client, upstream))
            _close(client)
            _close(upstream)
