"""Image optimisation: Scanlink's pipeline against sharp, on real photographs, in one run.

For each photograph and output format it prints the bytes of the source, of
Scanlink's output and of sharp's at the same quality and bounds, and the best
encode time of N runs of each (the least disturbed by other work on the machine) (decode, orient, colour, resize and encode; Scanlink's time
includes trying its alternative encodes). The photographs are read from
../shared/data/photos beside the checkout (or SCANLINK_PHOTOS); they are never
copied into the project. sharp comes from npm into bench/node_modules
(`npm ci --prefix bench`, done by `make bench`).

    python bench/images.py [--quality 85] [--max-side 2048] [--repeats 5] [--threads N]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
    args = parser.parse_args()
    files = photographs()
    if not files:
        print(f"SKIPPED: no photographs in {PHOTOS} (set SCANLINK_PHOTOS to a folder of "
              "PNG/JPEG photographs)")
        return 0
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
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
