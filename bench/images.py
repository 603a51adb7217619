"""Image optimisation: Scanlink's pipeline against sharp, on real photographs, in one run.

For each photograph and output format it prints the bytes of the source, of
Scanlink's output and of sharp's at the same quality and bounds, and the best
encode time of N runs of each (the least disturbed by other work on the machine) (decode, orient, colour, resize and encode; Scanlink's time
includes trying its alternative encodes). The photographs are read from
../shared/data/photos beside the checkout (or SCANLINK_PHOTOS); they are never
copied into the project. sharp comes from npm into bench/node_modules
(`npm ci --prefix bench`, done by `make bench`).

Then the storage part (`--part storage`), through the real job code: the
optimiser's images/s with storage on S3 (moto's server on 127.0.0.1, over HTTP)
against local disk, in alternating rounds of uploads through the API optimised by
`python -m workers --burst`; target S3 >= 80% of local. And the worker's peak
memory (the RQ work horse's VmHWM) building an images ZIP export on S3, once small
and once large (`--zip-mb`, 1024 for the issue's 1 GB; the default runs in a couple
of minutes): flat means the large one's peak is within 25% of the small one's.
PostgreSQL and Redis as bench/bulk_create.py finds them.

    python bench/images.py [--part all|sharp|storage] [--quality 85] [--max-side 2048]
        [--repeats 5] [--threads N] [--images 30] [--rounds 2] [--upload-side 3000] [--zip-mb 64]
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulk_create import proc_status  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from webapp.services.images.optimise import Options, optimise  # noqa: E402

PHOTOS = Path(os.environ.get("SCANLINK_PHOTOS") or ROOT.parent / "shared/data/photos")
FORMATS = ("webp", "avif", "jpeg", "png")
MAX_PIXELS = 50_000_000
TARGET_SMALLER = 0.70  # WebP at q85 vs the source photographs
TARGET_VS_SHARP = 0.10  # WebP bytes within 10% of sharp's


def photographs():
    if not PHOTOS.is_dir():
        return []
    return sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg"})


def run_pillow(files, args):
    results = {}
    for path in files:
        data = path.read_bytes()
        for fmt in FORMATS:
            options = Options(args.max_side, args.max_side, args.quality, fmt)
            times, out = [], None
            for _ in range(args.repeats):
                start = time.perf_counter()
                out = optimise(data, options, max_pixels=MAX_PIXELS)
                times.append((time.perf_counter() - start) * 1000)
            results[path.name, fmt] = dict(bytes=len(out.data), ms=min(times),
                                           size=f"{out.width}x{out.height}")
    return results


def run_sharp(files, args):
    script = ROOT / "bench" / "sharp_images.cjs"
    if not (ROOT / "bench" / "node_modules" / "sharp").is_dir():
        return None, "sharp is not installed: run `npm ci --prefix bench` (make bench does)"
    job = dict(files=[str(p) for p in files], formats=FORMATS, quality=args.quality,
               maxWidth=args.max_side, maxHeight=args.max_side, repeats=args.repeats,
               maxPixels=MAX_PIXELS, threads=args.threads)
    proc = subprocess.run(["node", str(script)], input=json.dumps(job), capture_output=True,
                          text=True, cwd=ROOT / "bench", timeout=600)
    if proc.returncode != 0:
        return None, f"the sharp script failed: {proc.stderr.strip()}"
    results, threads = {}, None
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        threads = row["threads"]
        results[Path(row["file"]).name, row["format"]] = dict(
            bytes=row["bytes"], ms=row["ms"], size=f"{row['width']}x{row['height']}")
    return results, f"sharp with {threads} libvips thread(s)"


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, default=85)
    parser.add_argument("--max-side", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0,
                        help="libvips threads for sharp (0 = sharp's default, one per core)")
    parser.add_argument("--part", choices=("all", "sharp", "storage"), default="all")
    parser.add_argument("--images", type=int, default=30, help="uploads per optimiser round")
    parser.add_argument("--rounds", type=int, default=2, help="optimiser rounds per backend")
    parser.add_argument("--upload-side", type=int, default=3000,
                        help="scale the uploads to this long side, as a phone photo (0: as they are)")
    parser.add_argument("--zip-mb", type=float, default=64,
                        help="size of the large images ZIP export (1024: the issue's 1 GB)")
    parser.add_argument("--zip-small-codes", type=int, default=300,
                        help="codes of the small export, the baseline of the memory figure")
    parser.add_argument("--zip-format", default="svg", choices=("svg", "png", "pdf", "eps"))
    args = parser.parse_args()
    files = photographs()
    if not files:
        print(f"SKIPPED: no photographs in {PHOTOS} (set SCANLINK_PHOTOS to a folder of "
              "PNG/JPEG photographs)")
        return 0
    if args.part in ("all", "sharp"):
        compare_with_sharp(files, args)
    if args.part in ("all", "storage"):
        return 0 if run_storage(files, args) else 1
    return 0


def compare_with_sharp(files, args):
    pillow = run_pillow(files, args)
    sharp, note = run_sharp(files, args)
    print(f"quality {args.quality}, within {args.max_side}x{args.max_side}, best of "
          f"{args.repeats} runs; Pillow single-threaded except AVIF; {note}")
    header = (f"{'photo':24} {'fmt':5} {'size':>9} {'source B':>9} {'ours B':>8} {'ours/src':>8} "
              f"{'sharp B':>8} {'ours/sharp':>10} {'ours ms':>8} {'sharp ms':>8} {'time ratio':>10}")
    print(header)
    print("-" * len(header))
    for path in files:
        source = path.stat().st_size
        for fmt in FORMATS:
            ours = pillow[path.name, fmt]
            theirs = sharp.get((path.name, fmt)) if sharp else None
            line = (f"{path.name:24} {fmt:5} {ours['size']:>9} {source:9d} {ours['bytes']:8d} "
                    f"{ratio(ours['bytes'], source):8.2f}")
            if theirs:
                line += (f" {theirs['bytes']:8d} {ratio(ours['bytes'], theirs['bytes']):10.3f} "
                         f"{ours['ms']:8.1f} {theirs['ms']:8.1f} {ratio(ours['ms'], theirs['ms']):10.2f}")
            else:
                line += f" {'-':>8} {'-':>10} {ours['ms']:8.1f} {'-':>8} {'-':>10}"
            print(line)
    print()
    summarise(files, pillow, sharp)


def summarise(files, pillow, sharp):
    total_source = sum(p.stat().st_size for p in files)
    print(f"{'format':6} {'ours/source':>11} {'smaller by':>10} {'ours/sharp bytes':>16} "
          f"{'ours ms':>8} {'sharp ms':>8} {'time ratio ours/sharp':>21}")
    for fmt in FORMATS:
        ours_bytes = sum(pillow[p.name, fmt]["bytes"] for p in files)
        ours_ms = sum(pillow[p.name, fmt]["ms"] for p in files)
        line = (f"{fmt:6} {ratio(ours_bytes, total_source):11.3f} "
                f"{1 - ratio(ours_bytes, total_source):10.1%}")
        if sharp:
            sharp_bytes = sum(sharp[p.name, fmt]["bytes"] for p in files)
            sharp_ms = sum(sharp[p.name, fmt]["ms"] for p in files)
            line += (f" {ratio(ours_bytes, sharp_bytes):16.3f} {ours_ms:8.1f} {sharp_ms:8.1f} "
                     f"{ratio(ours_ms, sharp_ms):21.2f}")
        print(line)
    webp = sum(pillow[p.name, "webp"]["bytes"] for p in files)
    smaller = 1 - webp / total_source
    print(f"\ntarget: WebP at least {TARGET_SMALLER:.0%} smaller than the sources: "
          f"{smaller:.1%} -> {'MET' if smaller >= TARGET_SMALLER else 'NOT MET'}")
    if sharp:
        vs = webp / sum(sharp[p.name, "webp"]["bytes"] for p in files)
        met = abs(vs - 1) <= TARGET_VS_SHARP
        print(f"target: WebP bytes within {TARGET_VS_SHARP:.0%} of sharp's: ours/sharp = {vs:.3f} "
              f"-> {'MET' if met else 'NOT MET'}")


# --- Storage: the optimise job and an images ZIP export on S3 against local disk --------------

TARGET_S3_VS_LOCAL = 0.80  # images/s on S3 at least 80% of local disk's
TARGET_FLAT = 1.25  # the large export's peak RSS at most 25% above the small one's


def storage_env(base, backend, storage_dir, moto, bucket):
    env = dict(base, STORAGE_DIR=storage_dir)
    env.pop("STORAGE_URL", None)
    if backend == "s3":
        env.update(moto.settings(bucket, prefix="bench"))
    return env


def make_app(env):
    """An app built from `env` as a process started with that environment builds it."""
    from webapp.app import create_app

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def bench_user(app, email):
    """(headers of an API key, workspace id) of a new user."""
    from webapp.extensions import db
    from webapp.services.accounts import api_keys, users
    from webapp.services.workspaces import memberships

    with app.app_context():
        user = users.create_user(email, "correct horse battery", min_length=10)
        _, key = api_keys.create_api_key(user, "bench")
        db.session.commit()
        workspace_id = memberships.default_workspace_id(user.id)
        db.session.remove()
    return {"Authorization": f"Bearer {key}"}, workspace_id


def distinct_uploads(files, count, salt, side=0):
    """`count` JPEGs from the photographs, each a little different (pixel columns cropped) so
    that no two, in this set or another `salt`'s, share their content-addressed keys; with
    `side`, scaled to that long side first (a phone photo's size)."""
    from PIL import Image

    uploads = []
    for n in range(count):
        with Image.open(files[n % len(files)]) as img:
            img = img.convert("RGB")
            if side:
                scale = side / max(img.size)
                img = img.resize((round(img.width * scale), round(img.height * scale)),
                                 Image.Resampling.LANCZOS)
            img = img.crop((0, salt, img.width - n // len(files), img.height))
            buffer = io.BytesIO()
            img.save(buffer, "JPEG", quality=92)
        uploads.append(buffer.getvalue())
    return uploads


def run_worker(app, env, job_ids):
    """Runs `python -m workers --burst` (the Procfile's worker) until the queues are empty:
    (the job rows' span, first start to last finish, in seconds; the peak RSS in bytes of the
    RQ work horses that ran them, read from /proc while they run)."""
    from webapp.extensions import db
    from webapp.models import BackgroundJob

    worker = subprocess.Popen([sys.executable, "-m", "workers", "--burst"], cwd=ROOT,
                              env=dict(env, PYTHONUNBUFFERED="1"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while worker.poll() is None:
        with app.app_context():
            rows = db.session.scalars(select(BackgroundJob).where(
                BackgroundJob.id.in_(job_ids), BackgroundJob.status == "processing")).all()
            horses = [int(row.claimed_by.rsplit(":", 1)[1]) for row in rows if row.claimed_by]
            db.session.remove()
        for pid in horses:
            peak = max(peak, proc_status(pid) or 0)
        time.sleep(0.05)
    output = worker.stdout.read().decode(errors="replace")
    with app.app_context():
        rows = db.session.scalars(select(BackgroundJob).where(BackgroundJob.id.in_(job_ids))).all()
        failed = [row for row in rows if row.status != "completed"]
        if failed:
            sys.exit(f"{failed[0].type} {failed[0].status}: {failed[0].error}\n{output[-3000:]}")
        span = (max(r.finished_at for r in rows) - min(r.started_at for r in rows)).total_seconds()
        results = [dict(row.result or {}) for row in rows]
        own = sum((r.finished_at - r.started_at).total_seconds() for r in rows) / len(rows)
        db.session.remove()
    run_worker.mean_job_seconds = own
    return span, peak, results


def optimise_round(app, env, uploads, email):
    """Uploads through the API, then the worker optimises them: images per second."""
    headers, _ = bench_user(app, email)
    client = app.test_client()
    job_ids = []
    for n, data in enumerate(uploads):
        response = client.post("/api/images/upload", headers=headers,
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(data), f"photo-{n}.jpg", "image/jpeg")})
        assert response.status_code == 202, response.get_json()
        job_ids.append(job_of_image(app, response.get_json()["id"]))
    span, _, _ = run_worker(app, env, job_ids)
    return len(uploads) / span


def job_of_image(app, image_id):
    from webapp.extensions import db
    from webapp.models import BackgroundJob

    with app.app_context():
        rows = db.session.scalars(select(BackgroundJob).where(
            BackgroundJob.type == "images.optimise")).all()
        found = [row.id for row in rows if (row.payload or {}).get("image_id") == image_id]
        db.session.remove()
    assert found, f"no optimise job for {image_id}"
    return found[0]


def insert_logo_codes(app, workspace_id, logo_id, start, count):
    """`count` dynamic codes with the logo, inserted directly (creating them is not measured)."""
    from webapp.extensions import db
    from webapp.models import QrCode
    from webapp.models.base import new_id

    now = datetime.now(timezone.utc)
    with app.app_context(), db.engine.connect() as conn:
        for first in range(start, start + count, 1000):
            conn.execute(insert(QrCode.__table__), [
                dict(id=new_id(), workspace_id=workspace_id, slug=f"z{workspace_id}x{n:07d}",
                     title=f"Label {n:07d}", kind="dynamic", content_type="url",
                     target_url=f"https://shop.example.com/p/{n}", style={"logo": logo_id},
                     active=True, scan_count=0, created_at=now, updated_at=now)
                for n in range(first, min(first + 1000, start + count))])
            conn.commit()


def export_round(app, env, headers, fmt):
    """One images ZIP export run by the worker: (seconds, horse peak RSS, ZIP bytes)."""
    client = app.test_client()
    response = client.post("/api/exports", json={"what": "images", "format": fmt},
                           headers=headers)
    assert response.status_code == 202, response.get_json()
    span, peak, [result] = run_worker(app, env, [response.get_json()["job_id"]])
    return span, peak, result["files"]["zip"]["bytes"]



def run_storage(files, args):
    """The optimiser's images/s on S3 (moto's server) against local disk, alternating rounds;
    then the worker's peak memory building an images ZIP export on S3, small and large."""
    from bulk_create import create_database, start_redis
    from flask_migrate import upgrade

    from tests.support.s3 import MotoServer
    from webapp.infra.redis_client import get_redis

    stack = []
    try:
        redis_url = start_redis(stack)
        database = create_database(stack)
        workdir = tempfile.mkdtemp(prefix="bench-images-")
        stack.append(lambda: shutil.rmtree(workdir, True))
        moto = MotoServer(Path(workdir) / "moto.log").start()
        stack.append(moto.stop)
        bucket = moto.new_bucket()
        base = dict(os.environ, SCANLINK_ENV="production", SECRET_KEY="bench",
                    DATABASE_URL=database, REDIS_URL=redis_url)
        envs = {backend: storage_env(base, backend, str(Path(workdir) / backend), moto, bucket)
                for backend in ("local", "s3")}
        apps = {backend: make_app(env) for backend, env in envs.items()}
        with apps["local"].app_context():
            upgrade()
        get_redis(apps["local"]).flushdb()

        size = f"scaled to {args.upload_side} px" if args.upload_side else "as they are"
        print(f"\noptimiser throughput: {args.images} uploads a round (JPEG q92 of the "
              f"photographs, {size}), {args.rounds} round(s) per backend, alternating; images/s from "
              f"the first job's start to the last one's end in `python -m workers --burst`; "
              f"S3 is moto's server on 127.0.0.1")
        rates = {"local": [], "s3": []}
        for round_ in range(args.rounds):
            for backend in ("local", "s3"):
                uploads = distinct_uploads(files, args.images, 2 * round_ + (backend == "s3"),
                                           args.upload_side)
                rate = optimise_round(apps[backend], envs[backend], uploads,
                                      f"{backend}{round_}@example.com")
                rates[backend].append(rate)
                print(f"  round {round_ + 1} {backend:5}: {rate:6.2f} images/s  (a job's own "
                      f"time, claim to finish: {run_worker.mean_job_seconds * 1000:5.0f} ms)")
        best = {backend: max(values) for backend, values in rates.items()}
        ratio_ = best["s3"] / best["local"]
        print(f"best local {best['local']:.2f} images/s, best S3 {best['s3']:.2f} images/s: "
              f"S3/local = {ratio_:.2f}  (target >= {TARGET_S3_VS_LOCAL:.2f}: "
              f"{'MET' if ratio_ >= TARGET_S3_VS_LOCAL else 'NOT MET'})")

        app, env = apps["s3"], envs["s3"]
        headers, workspace_id = bench_user(app, "zip@example.com")
        [logo] = distinct_uploads(files[:1], 1, 99, args.upload_side)
        logo_id = app.test_client().post(
            "/api/images/upload", headers=headers, content_type="multipart/form-data",
            data={"file": (io.BytesIO(logo), "logo.jpg", "image/jpeg")}).get_json()["id"]
        run_worker(app, env, [job_of_image(app, logo_id)])
        small = args.zip_small_codes
        insert_logo_codes(app, workspace_id, logo_id, 0, small)
        seconds, peak_small, size_small = export_round(app, env, headers, args.zip_format)
        per_code = size_small / small
        large = max(small * 2, int(args.zip_mb * 1024 * 1024 / per_code))
        print(f"\nimages ZIP export on S3 ({args.zip_format} with a logo, "
              f"{per_code / 1024:.1f} KiB per code, chunks of "
              f"{app.config['BULK_CHUNK_ROWS']}): peak RSS of the RQ work horse (VmHWM)")
        print(f"  {small:7,d} codes {size_small / 2**20:8.1f} MiB ZIP in {seconds:6.1f} s: "
              f"peak {peak_small / 2**20:6.1f} MiB")
        insert_logo_codes(app, workspace_id, logo_id, small, large - small)
        seconds, peak_large, size_large = export_round(app, env, headers, args.zip_format)
        print(f"  {large:7,d} codes {size_large / 2**20:8.1f} MiB ZIP in {seconds:6.1f} s: "
              f"peak {peak_large / 2**20:6.1f} MiB")
        growth = peak_large / peak_small
        print(f"peak large/small = {growth:.2f} for a ZIP {size_large / size_small:.1f}x the size "
              f"(flat: within {TARGET_FLAT:.2f}: {'MET' if growth <= TARGET_FLAT else 'NOT MET'})")
        left = moto.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        print(f"unfinished multipart uploads left in the bucket: {len(left)}")
        for app_ in apps.values():
            with app_.app_context():
                from webapp.extensions import db

                for engine in db.engines.values():
                    engine.dispose()
        return ratio_ >= TARGET_S3_VS_LOCAL and growth <= TARGET_FLAT
    finally:
        for undo in reversed(stack):
            try:
                undo()
            except Exception as exc:  # clean-up must not hide the figures
                print(f"clean-up: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
