"""The last thing `make run` prints: where Scanlink answers and, on a first run, the demo
admin's e-mail and password, framed, once the web process answers, so that the build's
and the servers' start-up lines do not scroll them away.

Runs beside web and worker (Procfile.dev) and then waits, quietly, for Ctrl-C: honcho
stops every process when one ends. The credentials come from `flask users ensure-demo`
through SCANLINK_DEMO_BANNER (the Makefile), never from a file.
"""
import os
import signal
import sys
import time
import urllib.request

WAIT_SECONDS = 60


def frame(lines):
    """The lines in a box of `=` and `|`, as wide as the longest."""
    width = max(len(line) for line in lines)
    rule = "+" + "=" * (width + 4) + "+"
    return "\n".join([rule, *(f"|  {line.ljust(width)}  |" for line in lines), rule])


def wait_for(url, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def lines_to_show(port, demo):
    lines = [f"Scanlink on http://127.0.0.1:{port}  (Ctrl-C stops everything)"]
    demo_lines = [line.strip() for line in (demo or "").splitlines() if line.strip()]
    if demo_lines:
        lines += ["", *demo_lines]
    return lines


def main():
    port = os.environ.get("WEB_PORT", "5000")
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    wait_for(f"http://127.0.0.1:{port}/healthz")
    print("\n" + frame(lines_to_show(port, os.environ.get("SCANLINK_DEMO_BANNER"))) + "\n",
          flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
