"""The bulk page in Chromium: upload a CSV, watch the job finish, download and scan the ZIP."""
import csv
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.support import jobs as test_jobs
from tests.support.browser import log_in
from tests.support.jobs import WORKER_ENV
from tests.support.qrcodes import decode_png

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.settings(test_jobs.FAST, BULK_CHUNK_ROWS=10)]

ROWS = 60


def test_upload_progress_download_and_decode(page, auth, app, worker_process, tmp_path):
    auth.signup()
    log_in(page)

    lines = ["target_url,kind,title"]
    lines += [f"https://shop.example.com/p/{n},dynamic,Product {n}" for n in range(ROWS - 1)]
    lines.append("ftp://files.example.com/x,dynamic,Old link")
    upload = tmp_path / "products.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto("/codes/")
    page.get_by_role("button", name="From a spreadsheet").click()
    expect(page.get_by_role("heading", name="Codes from a spreadsheet")).to_be_visible()
    create = page.locator("#bulk-create")
    create.get_by_label("CSV file").set_input_files(upload)
    create.get_by_label("Images in the ZIP").select_option("png")
    create.get_by_role("button", name="Upload and create").click()

    card = page.locator("#bulk-jobs .job").first
    expect(card.get_by_text("Codes from a CSV")).to_be_visible()
    expect(card.get_by_text("Waiting", exact=True)).to_be_visible()
    worker_process(**WORKER_ENV, BULK_CHUNK_ROWS=10)
    expect(card.locator("progress")).to_have_attribute("value", "100", timeout=60000)
    expect(card.get_by_text("Done", exact=True)).to_be_visible()
    expect(card.get_by_text("1 row could not be used.")).to_be_visible()

    with page.expect_download() as download_info:
        card.get_by_role("link", name="-png.zip").click()
    path = tmp_path / "codes.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        assert len(names) == ROWS - 1 and all(name.endswith(".png") for name in names)
        first = next(name for name in names if name.startswith("product-7-"))
        slug = first.removeprefix("product-7-").removesuffix(".png")
        assert decode_png(archive.read(first)) == [f"http://127.0.0.1:5000/s/{slug}"]

    with page.expect_download() as errors_info:
        card.get_by_role("link", name="rows with errors").click()
    rows = list(csv.DictReader(io.StringIO(
        errors_info.value.path().read_text(encoding="utf-8-sig"))))
    assert [(r["line"], r["title"]) for r in rows] == [(str(ROWS + 1), "Old link")]
    assert rows[0]["error"].startswith("target_url: ftp: addresses are refused")
