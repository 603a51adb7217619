"""A 2,000-row CSV on the bulk page: its progress moves through values between 0 and 100
while the page polls, and its first refused rows are listed with their line and reason."""
import pytest
from playwright.sync_api import expect

from tests.support import jobs as test_jobs
from tests.support.browser import log_in
from tests.support.jobs import WORKER_ENV

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.settings(test_jobs.FAST)]

ROWS = 2000
BAD = {2: "ftp://files.example.com/a", 700: "javascript:alert(1)", 1500: "not a link"}

# Every value the card's <progress> had, whichever poll answer put it there, and the
# refused lines listed while the job was still running.
RECORD = """() => {
  window.seenProgress = [];
  window.linesWhileRunning = new Set();
  const note = () => document.querySelectorAll("#bulk-jobs .job").forEach((card) => {
    const bar = card.querySelector("progress[value]");
    if (bar) window.seenProgress.push(Number(bar.getAttribute("value")));
    if (card.dataset.status === "processing")
      card.querySelectorAll(".row-error-sample strong").forEach((line) =>
        window.linesWhileRunning.add(line.textContent));
  });
  new MutationObserver(note).observe(document.getElementById("bulk-jobs"),
                                     {childList: true, subtree: true, attributes: true});
}"""


def test_progress_moves_and_first_refused_rows_show(page, auth, app, worker_process, tmp_path):
    auth.signup()
    log_in(page)
    lines = ["target_url,kind,title"]
    for n in range(ROWS):
        lines.append(f"{BAD.get(n, f'https://shop.example.com/p/{n}')},dynamic,Product {n}")
    upload = tmp_path / "products.csv"
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto("/codes/bulk/")
    page.evaluate(RECORD)
    create = page.locator("#bulk-create")
    create.get_by_label("CSV file").set_input_files(upload)
    create.get_by_role("button", name="Upload and create").click()
    card = page.locator("#bulk-jobs .job").first
    expect(card.get_by_text("Waiting", exact=True)).to_be_visible()
    worker_process(**WORKER_ENV)
    expect(card.get_by_text("Done", exact=True)).to_be_visible(timeout=240000)

    seen = page.evaluate("window.seenProgress")
    print("progress seen:", sorted(set(seen)))
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen), seen  # never backwards
    assert "Line 4" in page.evaluate("[...window.linesWhileRunning]")

    expect(card.get_by_text("3 rows could not be used.")).to_be_visible()
    refused = card.locator(".row-error-sample li")
    expect(refused).to_have_text([
        "Line 4 target_url: ftp: addresses are refused: a code may only open http:// or "
        "https:// web pages.",
        "Line 702 target_url: javascript: addresses are refused: a code may only open "
        "http:// or https:// web pages.",
        "Line 1502 target_url: The domain name 'not a link' is not valid.",
    ])
    expect(card.get_by_text("Every refused row, with its values to fix, is in the CSV below.")).to_be_visible()
    expect(card.get_by_role("link", name="rows with errors")).to_be_visible()
