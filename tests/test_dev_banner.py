"""`make run` prints where Scanlink answers and the demo admin's password last, framed,
once web answers (scripts/dev_banner.py), and ends quietly with status 0 on Ctrl-C."""
import http.server
import os
import signal
import subprocess
import sys
import threading
import time

from scripts.dev_banner import frame, lines_to_show
from tests.support.servers import free_port

DEMO = "\n  A demo admin was created (shown only this once):\n    e-mail:   admin@example.com\n" \
       "    password: s3cret-pass\n"


def test_the_frame_holds_every_line():
    box = frame(lines_to_show(5000, DEMO)).splitlines()
    assert box[0] == box[-1] and set(box[0]) == {"+", "="}
    assert len({len(line) for line in box}) == 1
    assert any("password: s3cret-pass" in line for line in box)
    assert "http://127.0.0.1:5000" in box[1]


class Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_banner_waits_for_web_then_ends_quietly_on_ctrl_c():
    port = free_port()
    env = dict(os.environ, WEB_PORT=str(port), SCANLINK_DEMO_BANNER=DEMO)
    banner = subprocess.Popen([sys.executable, "-m", "scripts.dev_banner"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert banner.poll() is None  # still waiting for web
        server = http.server.HTTPServer(("127.0.0.1", port), Healthy)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        lines = [banner.stdout.readline() for _ in range(8)]
        assert any("password: s3cret-pass" in line for line in lines)
        banner.send_signal(signal.SIGINT)
        assert banner.wait(timeout=10) == 0
        assert banner.stderr.read() == ""
        server.shutdown()
    finally:
        if banner.poll() is None:
            banner.kill()
