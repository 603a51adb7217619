"""The code editor through gunicorn: preview picture, verdict, save, open; per style family.

    .venv/bin/python bench/editor.py [--styles 60] [--seed 20]

What runs:
- A PostgreSQL database made for this run and dropped after it, on the server of
  BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1/postgres),
  migrated by the release step; its own redis-server; files in a temporary STORAGE_DIR
  holding the shared photos as logos (tests/support/photos.py finds them).
- gunicorn exactly as the Procfile's web line starts it (2 workers, 16 threads).
- Styles from the property test's random style generator (tests/qr/test_property_scans.py),
  drawn from a fixed seed, each with its own payload. For each, as a browser would, one
  after the other: GET /codes/new (its draft slug), POST /codes/preview (the first
  picture), POST /codes/preview/verdict (the gate, or its cache), POST /codes/ (save
  right after the preview: the verdict is a cache look-up), GET /codes/<id> (open).
- The baseline, in this process, on the same payloads: segno.make(payload).svg_inline().
Families: logo, frame, gradient, dots, rounded (any curved modules or finders), plain;
a style counts in the first that fits.
Targets (issue 20): first picture p95 <= 10x segno's; verdict p95 <= 300 ms with a logo;
save after a preview p95 <= 100 ms; opening a code p95 <= 100 ms.
"""
import argparse
import http.client
import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import segno  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import Gunicorn, free_port, procfile_web_command  # noqa: E402
from bench.streaming import PASSWORD, log_in  # noqa: E402
from scripts.embedded_redis import find_redis_server  # noqa: E402
from tests.qr.test_property_scans import styles  # noqa: E402
from webapp.config import database_url  # noqa: E402

PHOTOS = ("coffee.png", "astronaut.png", "chelsea.png", "rocket.jpg", "hubble_deep_field.jpg")
FAMILIES = ("plain", "dots", "rounded", "gradient", "frame", "logo")


def family(style):
    if style.get("logo"):
        return "logo"
    if style.get("frame"):
        return "frame"
    if style.get("gradient"):
        return "gradient"
    if style["module_shape"] == "dots":
        return "dots"
    if style["module_shape"] != "square" or style["finder_shape"] != "square":
        return "rounded"
    return "plain"


def draw_styles(count, seed_value):
    drawn = []

    @seed(seed_value)
    @settings(max_examples=count, database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(style=styles("LOGO"), photo=st.sampled_from(PHOTOS), path=st.integers(0, 10**9))
    def draw(style, photo, path):
        drawn.append((style, photo, path))
    draw()
    return drawn


def form_fields(style, logos, photo):
    form = {k: str(style[k]) for k in ("dark", "light", "module_shape", "finder_shape",
                                        "error_correction", "quiet_zone")}
    if style["transparent"]:
        form["transparent"] = "on"
    if "finder_color" in style:
        form.update(own_finder_colours="on", finder_color=style["finder_color"],
                    finder_dot_color=style["finder_dot_color"])
    if "alignment_color" in style:
        form.update(own_alignment_colour="on", alignment_color=style["alignment_color"])
    if style.get("gradient"):
        g = style["gradient"]
        form.update(gradient=g["type"], gradient_start=g["start"], gradient_end=g["end"],
                    gradient_rotation=str(g["rotation"]))
    if style.get("logo"):
        form.update(logo=logos[photo], logo_size=str(max(10, min(25, round(style["logo_size"] * 100)))))
    if style.get("frame"):
        f = style["frame"]
        form.update(frame="on", frame_text=f["text"], frame_color=f["color"], frame_text_color=f["text_color"])
    return form


class Client:
    def __init__(self, port, cookie, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie, self.token = cookie, token

    def request(self, method, path, form=None, htmx=False):
        headers = {"Cookie": self.cookie}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(dict(form, csrf_token=self.token))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read().decode()
        elapsed = time.perf_counter() - start
        if response.status not in (200, 302, 422):
            raise SystemExit(f"{method} {path}: HTTP {response.status}: {data[:300]}")
        return elapsed, response, data


def make_user_and_logos(env, email):
    from PIL import Image

    from tests.support.qrcodes import logo_bytes
    from webapp.app import create_app
    from webapp.extensions import db
    from webapp.infra.storage import get_storage
    from webapp.models import ImageAsset
    from webapp.services.accounts import users
    from webapp.services.workspaces import memberships

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(env["DATABASE_URL"]),
                      "REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"],
                      "STORAGE_DIR": env["STORAGE_DIR"]})
    logos = {}
    with app.app_context():
        user = users.create_user(email, PASSWORD, min_length=10)
        db.session.commit()
        workspace = memberships.default_workspace_id(user.id)
        for photo in PHOTOS:
            data = logo_bytes(photo)
            width, height = Image.open(io.BytesIO(data)).size
            key = f"images/bench/{photo}.webp"
            get_storage().put(key, data)
            asset = ImageAsset(workspace_id=workspace, content_hash=photo.ljust(64, "0")[:64],
                               status="ready", max_width=256, max_height=256, quality=85,
                               format="webp", original_key=key, variant_key=key, width=width,
                               height=height, bytes=len(data))
            db.session.add(asset)
            db.session.commit()
            logos[photo] = asset.id
        db.session.remove()
        db.engine.dispose()
    return logos


def p(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def segno_times(payloads, repeats=5):
    """Per payload, the fastest of `repeats` segno.make(payload).svg_inline() (as the editor's
    requests are each timed once, the baseline takes its best: the ratio is not flattered)."""
    times = []
    for payload in payloads:
        best = min(_timed(lambda: segno.make(payload).svg_inline()) for _ in range(repeats))
        times.append(best)
    return times


def _timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(args, env, workdir):
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    logos = make_user_and_logos(env, "bench-editor@example.com")
    drawn = draw_styles(args.styles, args.seed)
    port = free_port()
    print(f"gunicorn: {procfile_web_command()}")
    print(f"{len(drawn)} random styles (seed {args.seed}); the machine is shared with other "
          "engineers' work: figures swing with their load\n", flush=True)
    figures = {name: {"picture": [], "verdict": [], "save": [], "open": [], "segno": []}
               for name in FAMILIES}
    refused = {name: 0 for name in FAMILIES}
    with open(workdir / "gunicorn.log", "ab") as log, Gunicorn("wsgi:app", env, ROOT, log, port):
        cookie, token = log_in(port, "bench-editor@example.com")
        client = Client(port, cookie, token)
        for _ in range(4):  # warm both workers: imports, templates, OpenCV, pools
            client.request("GET", "/codes/new")
        for style, photo, path in drawn:
            name = family(style)
            url = f"https://example.com/menu/{path}"
            _, _, page = client.request("GET", "/codes/new")
            draft = re.search(r'name="draft_slug" value="([a-z0-9]+)"', page)[1]
            form = dict(form_fields(style, logos, photo), title=f"bench {path}", kind="dynamic",
                        target_url=url, draft_slug=draft)
            took, _, html = client.request("POST", "/codes/preview", form, htmx=True)
            if "<img" not in html:
                continue  # a style the form refuses before drawing (counted nowhere)
            figures[name]["picture"].append(took)
            if "✗" in html:
                refused[name] += 1
                continue
            took, _, html = client.request("POST", "/codes/preview/verdict", form, htmx=True)
            figures[name]["verdict"].append(took)
            if "✓" not in html:
                refused[name] += 1
                continue
            took, response, _ = client.request("POST", "/codes/", form)
            if response.status != 302:
                raise SystemExit(f"save after a ✓ preview answered {response.status}")
            figures[name]["save"].append(took)
            took, _, _ = client.request("GET", response.getheader("Location"))
            figures[name]["open"].append(took)
            figures[name]["segno"].extend(segno_times([f"http://127.0.0.1:{port}/s/{draft}"]))
    return report(figures, refused)


def report(figures, refused):
    ms = 1000
    print(f"{'family':9} {'n':>3} {'refused':>7} | {'segno p50/p95':>14} | {'picture p50/p95':>16} "
          f"{'x segno':>7} | {'verdict p50/p95':>16} | {'save p50/p95':>13} | {'open p50/p95':>13}")
    every = {k: [] for k in ("picture", "verdict", "save", "open", "segno")}
    for name in FAMILIES:
        f = figures[name]
        for k in every:
            every[k].extend(f[k])
        if not f["picture"]:
            continue
        ratio = p(f["picture"], .95) / p(f["segno"] or every["segno"] or [float("nan")], .95)
        print(f"{name:9} {len(f['picture']):>3} {refused[name]:>7} | "
              f"{p(f['segno'], .5) * ms:6.2f}/{p(f['segno'], .95) * ms:6.2f} | "
              f"{p(f['picture'], .5) * ms:7.1f}/{p(f['picture'], .95) * ms:7.1f} {ratio:7.1f} | "
              f"{p(f['verdict'], .5) * ms:7.1f}/{p(f['verdict'], .95) * ms:7.1f} | "
              f"{p(f['save'], .5) * ms:6.1f}/{p(f['save'], .95) * ms:6.1f} | "
              f"{p(f['open'], .5) * ms:6.1f}/{p(f['open'], .95) * ms:6.1f}")
    picture_ratio = p(every["picture"], .95) / p(every["segno"], .95)
    logo_verdict = p(figures["logo"]["verdict"], .95)
    checks = [
        (f"first picture p95 {p(every['picture'], .95) * ms:.1f} ms = {picture_ratio:.1f}x segno's "
         f"{p(every['segno'], .95) * ms:.2f} ms (target <= 10x)", picture_ratio <= 10),
        (f"verdict p95 with a logo {logo_verdict * ms:.0f} ms (target <= 300 ms)", logo_verdict <= 0.3),
        (f"save after a preview p95 {p(every['save'], .95) * ms:.1f} ms (target <= 100 ms)",
         p(every["save"], .95) <= 0.1),
        (f"open a code p95 {p(every['open'], .95) * ms:.1f} ms (target <= 100 ms)",
         p(every["open"], .95) <= 0.1),
    ]
    print()
    for line, ok in checks:
        print(("PASS " if ok else "MISS ") + line)
    return all(ok for _, ok in checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--styles", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20, help="hypothesis's seed: the same styles every run")
    args = parser.parse_args()
    server = (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
              or "postgresql://postgres@127.0.0.1/postgres")
    admin_url = make_url(database_url(server))
    name = f"scanlink_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    workdir = Path(tempfile.mkdtemp(prefix="scanlink-bench-"))
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    redis_port = free_port()
    redis_proc = subprocess.Popen(
        [find_redis_server(), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        db_url = admin_url.set(database=name).render_as_string(hide_password=False)
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
                   SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=db_url,
                   REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", SCANLINK_ENV="production",
                   STORAGE_DIR=str(workdir / "storage"), RATELIMIT_AUTH="100 per minute")
        ok = run(args, env, workdir)
    finally:
        redis_proc.terminate()
        redis_proc.wait()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
