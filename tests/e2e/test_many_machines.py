"""A deploy of many machines: two web processes and two workers, each in an empty working
directory of its own and none sharing a disk path, sharing only PostgreSQL, Redis and the
bucket (moto's S3 server over HTTP, tests/support/s3.py).

Through the API and in Chromium: a photo uploaded on web A is optimised by a worker and
picked as a logo on web B, whose code downloads in every format; a bulk CSV with bad rows
runs and its error report downloads from web B; codes and an images ZIP export and
download from web A. Then one worker is killed (kill -9) while it uploads an images ZIP:
the other worker finishes the job, the ZIP is whole, and the bucket holds no partial
object (no part left, no unfinished multipart upload).
"""
import csv
import io
import zipfile
from contextlib import ExitStack
from datetime import date
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import LIST_STYLE, api_key, code_row, seed_codes
from tests.support import browser
from tests.support import jobs as test_jobs
from tests.support.jobs import job_row, wait_for_status
from tests.support.machines import bucket_keys, start_machines, unfinished_uploads
from tests.support.photos import photo_path
from tests.support.processes import wait_for
from tests.support.qrcodes import decode_png, decode_svg
from webapp.extensions import db
from webapp.models import ImageAsset, QrCode
from webapp.models.base import utcnow

CHUNK = 20
# SVGs with a photo in the middle (~90 KB each, deflated): ~18 MB of ZIP, a multipart
# upload of three parts, long enough to kill the worker while it is under way.
LOGO_CODES = 200
GOOD_ROWS = 30
SETTINGS = {**test_jobs.FAST, "BULK_CHUNK_ROWS": CHUNK, "EXPORT_CHUNK_ROWS": CHUNK}

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.settings("s3_settings", SETTINGS)]


@pytest.fixture
def on_postgresql(db_kind):
    """Skips before any app or server is made, on the SQLite pass."""
    if db_kind != "postgresql":
        pytest.skip("the machines must share nothing but PostgreSQL, Redis and the bucket; "
                    "a SQLite file is a shared disk path (runs on the PostgreSQL pass)")


@pytest.fixture
def deploy(on_postgresql, app, owner, s3_server, tmp_path):
    """(web A, web B, [worker 1, worker 2], the bucket, Ada's workspace)."""
    bucket = urlsplit(app.config["STORAGE_URL"]).netloc
    with ExitStack() as stack:
        web_a, web_b, workers = start_machines(stack, tmp_path, app, s3_server, api_key(app),
                                               **SETTINGS)
        yield web_a, web_b, workers, bucket, owner
        for machine in [web_a, web_b, *workers]:
            assert machine.files_on_disk() == [], f"{machine.name} wrote to its own disk"
        for web in (web_a, web_b):
            assert "Traceback" not in web.log(), web.log()


@pytest.fixture
def chromium_at(chromium):
    """A browser of its own per web machine, logged in as Ada."""
    contexts = []

    def open_at(web):
        context = chromium.new_context(base_url=web.url, accept_downloads=True)
        context.set_default_timeout(20000)
        contexts.append(context)
        page = context.new_page()
        browser.log_in(page)
        return page

    yield open_at
    for context in contexts:
        context.close()


def download(page, click, tmp_path, name):
    with page.expect_download() as info:
        click()
    path = tmp_path / name
    info.value.save_as(path)
    return path.read_bytes()


def centre_colours(png):
    """How many colours the middle tenth of the code has: a photo has many, modules two."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = image.size
    box = image.crop((w * 9 // 20, h * 9 // 20, w * 11 // 20, h * 11 // 20))
    return len(box.getcolors(box.width * box.height))


def scan_urls(app, workspace_id):
    """{image file stem's slug: scan URL} of every code of the workspace."""
    with app.app_context():
        codes = db.session.scalars(select(QrCode).where(QrCode.workspace_id == workspace_id)).all()
        db.session.remove()
    return {code.slug: f"{app.config['PUBLIC_BASE_URL']}/s/{code.slug}" for code in codes}


def check_zip(data, urls, fmt, decode):
    """Every code in the ZIP once, each entry decoding to its own code's scan URL."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    slugs = {name.removesuffix(f".{fmt}").rsplit("-", 1)[-1]: body for name, body in entries.items()}
    assert len(entries) == len(urls) and set(slugs) == set(urls)
    for slug, body in slugs.items():
        assert decode(body) == [urls[slug]], slug


def upload_photo_on_a(page, web_b, app):
    page.goto("/images/")
    page.get_by_label("Image file").set_input_files(photo_path("coffee.png"))
    page.get_by_role("button", name="Upload").click()
    card = page.locator(".image-card", has_text="coffee.png")
    expect(card.get_by_role("status")).to_have_text("Ready", timeout=30000)  # a worker optimised it
    image = card.get_by_role("img", name="coffee.png")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    with app.app_context():
        logo_id = db.session.scalars(select(ImageAsset.id)).one()
        db.session.remove()
    # Web B serves it too, from the bucket.
    found = web_b.get(f"/api/images/{logo_id}").json()
    assert found["status"] == "ready"
    served = web_b.get(urlsplit(found["url"]).path)
    assert served.status_code == 200 and "immutable" in served.headers["Cache-Control"]
    assert Image.open(io.BytesIO(served.content)).size == (found["width"], found["height"])
    return logo_id


def logo_code_on_b(page, app, logo_id, tmp_path):
    page.goto("/codes/new")
    page.get_by_label("Title").fill("Coffee poster")
    page.get_by_label("Target web address").fill("example.com/coffee")
    page.get_by_text("Logo and frame").click()
    page.get_by_label("Logo in the centre").select_option(logo_id)
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Your code is saved, and it scans.")).to_be_visible()
    with app.app_context():
        code = db.session.scalars(select(QrCode).where(QrCode.title == "Coffee poster")).one()
        db.session.remove()
    assert code.style["logo"] == logo_id
    scan_url = f"{app.config['PUBLIC_BASE_URL']}/s/{code.slug}"

    links = page.get_by_role("region", name="Downloads")
    svg = download(page, links.get_by_role("button", name="SVG").click, tmp_path, "code.svg")
    pdf = download(page, links.get_by_role("button", name="PDF").click, tmp_path, "code.pdf")
    eps = download(page, links.get_by_role("button", name="EPS").click, tmp_path, "code.eps")
    png = download(page, links.get_by_role("button", name="PNG").click, tmp_path, "code.png")
    assert decode_svg(svg) == [scan_url] and b"<image" in svg  # the logo is drawn in
    assert decode_png(png) == [scan_url] and centre_colours(png) > 50
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:] and b"/Image" in pdf
    assert eps.startswith(b"%!PS-Adobe-3.0 EPSF") and b"%%EOF" in eps[-64:] and b"image" in eps
    return code.id


def bulk_with_bad_rows_on_b(page, tmp_path):
    lines = ["target_url,kind,title"]
    lines += [f"https://shop.example.com/p/{n},dynamic,Product {n}" for n in range(GOOD_ROWS)]
    lines += ["ftp://files.example.com/x,dynamic,Old link", "not a url,dynamic,Broken"]
    upload = tmp_path / "products.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto("/codes/bulk/")
    create = page.locator("#bulk-create")
    create.get_by_label("CSV file").set_input_files(upload)
    create.get_by_role("button", name="Upload and create").click()
    card = page.locator("#bulk-jobs .job").first
    expect(card.get_by_text("Done", exact=True)).to_be_visible(timeout=60000)
    expect(card.get_by_text("2 rows could not be used.")).to_be_visible()
    report = download(page, card.get_by_role("link", name="rows with errors").click, tmp_path,
                      "errors.csv")
    rows = list(csv.DictReader(io.StringIO(report.decode("utf-8-sig"))))
    assert [(r["line"], r["title"]) for r in rows] == [(str(GOOD_ROWS + 2), "Old link"),
                                                        (str(GOOD_ROWS + 3), "Broken")]
    assert all(r["error"].startswith("target_url") for r in rows)


def exports_on_a(page, app, workspace_id, tmp_path):
    page.goto("/jobs/")
    page.get_by_role("button", name="Export my codes (CSV)").click()
    card = page.locator(".job", has_text="Export of your codes (CSV)").first
    expect(card.get_by_text("Done", exact=True)).to_be_visible(timeout=30000)
    codes_csv = download(page, card.get_by_role("link", name="Download").click, tmp_path, "codes.csv")
    rows = list(csv.DictReader(io.StringIO(codes_csv.decode("utf-8-sig"))))
    urls = scan_urls(app, workspace_id)
    assert sorted(row["slug"] for row in rows) == sorted(urls) and len(urls) == GOOD_ROWS + 1

    page.get_by_label("Image format").select_option("png")
    page.get_by_role("button", name="Export my codes as images (ZIP)").click()
    card = page.locator(".job", has_text="as images").first
    expect(card.get_by_text("Done", exact=True)).to_be_visible(timeout=30000)
    images = download(page, card.get_by_role("link", name="-png.zip").click, tmp_path, "codes.zip")
    check_zip(images, urls, "png", decode_png)


def seed_logo_codes(app, workspace_id, logo_id, count):
    style = {**LIST_STYLE, "error_correction": "H", "logo": logo_id, "logo_size": 0.2}
    start = utcnow()
    with app.app_context():
        seed_codes(workspace_id, count, rows=[code_row(workspace_id, i, start, style=style)
                                              for i in range(count)])
        db.session.remove()


def test_web_and_worker_machines_share_only_the_database_redis_and_the_bucket(
        deploy, chromium_at, app, s3_server, tmp_path):
    web_a, web_b, workers, bucket, workspace_id = deploy
    page_a, page_b = chromium_at(web_a), chromium_at(web_b)

    logo_id = upload_photo_on_a(page_a, web_b, app)
    logo_code_on_b(page_b, app, logo_id, tmp_path)
    bulk_with_bad_rows_on_b(page_b, tmp_path)
    exports_on_a(page_a, app, workspace_id, tmp_path)

    # kill -9 of the worker that uploads an images ZIP: the other one finishes the job.
    seed_logo_codes(app, workspace_id, logo_id, LOGO_CODES)
    urls = scan_urls(app, workspace_id)
    started = web_a.post("/api/exports", json={"what": "images", "format": "svg"})
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    claimed = wait_for(lambda: job_row(app, job_id).claimed_by, timeout=30,
                       message="a worker to take the export")
    victim = next(worker for worker in workers if worker.runs(claimed))
    survivor = next(worker for worker in workers if worker is not victim)
    victim.link.slow(0.01)  # its link to the bucket is slow: the upload takes seconds
    upload = wait_for(lambda: unfinished_uploads(s3_server, bucket), timeout=90, interval=0.02,
                      message=f"the ZIP's multipart upload to begin\n{victim.log()}")
    assert [key.rsplit("/", 1)[-1] for key, _ in upload] == [
        f"scanlink-images-{date.today().isoformat()}-svg.zip"]
    victim.process.kill()
    stuck = job_row(app, job_id)
    assert stuck.status == "processing" and stuck.attempts == 1
    assert stuck.progress_done == stuck.progress_total == len(urls)
    assert unfinished_uploads(s3_server, bucket) == upload  # what the killed worker left

    row = wait_for_status(app, job_id, timeout=90, worker=survivor.process)
    assert row.status == "completed" and row.attempts == 2, survivor.log()
    job = web_a.get(f"/api/jobs/{job_id}").json()
    [entry] = job["result"]["files"]
    # The file URL is the jobs page's (a browser session's, not an API key's): on web A.
    zipped = page_a.request.get(urlsplit(entry["url"]).path)
    assert zipped.ok and zipped.headers["content-type"] == "application/zip"
    assert len(zipped.body()) == entry["bytes"]
    check_zip(zipped.body(), urls, "svg", decode_svg)

    job_files = f"files/jobs/{job_id}/"
    wait_for(lambda: bucket_keys(s3_server, bucket, job_files) == [job_files + entry["filename"]],
             timeout=10, message=f"the job's parts to be deleted: "
                                 f"{bucket_keys(s3_server, bucket, job_files)}")
    assert unfinished_uploads(s3_server, bucket) == []
