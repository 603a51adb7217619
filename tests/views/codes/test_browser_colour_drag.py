"""Done when (issue 20): dragging the colour picker, the preview keeps up with the hand."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up

pytestmark = pytest.mark.browser

COLOURS = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in
           ((10 * i, 40 + 3 * i, 200 - 6 * i) for i in range(20))]  # all dark enough to scan

WATCH = """last => { window.shownAt = new Promise(resolve => {
  const shows = () => {
    const img = document.querySelector('#preview-image');
    return img && atob(img.src.split(',')[1]).includes('fill="' + last + '"');
  };
  const observer = new MutationObserver(() => {
    if (shows()) { observer.disconnect(); resolve(performance.now()); }
  });
  observer.observe(document.querySelector('.preview-panel'), {subtree: true, childList: true,
                                                              attributes: true});
}); }"""

DRAG = """async colours => {
  const input = document.querySelector('input[name="dark"]');
  let last = 0;
  for (const colour of colours) {
    input.value = colour;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    last = performance.now();
    await new Promise(r => setTimeout(r, 100));
  }
  input.dispatchEvent(new Event('change', {bubbles: true}));  // the picker closes on the last one
  return last;
}"""


@pytest.mark.timeout(60)
def test_the_preview_shows_the_last_colour_within_300_ms_of_the_last_input(page):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_up(page)
    page.goto("/codes/new")
    page.get_by_label("Target web address").fill("https://example.com/drag")
    expect(page.locator("#verdict")).to_contain_text("Scans")
    page.evaluate(WATCH, COLOURS[-1])  # window.shownAt resolves when the last colour shows
    last_input = page.evaluate(DRAG, COLOURS)
    shown_at = page.evaluate("window.shownAt")
    assert shown_at - last_input <= 300, f"the last colour showed {shown_at - last_input:.0f} ms late"
    expect(page.locator("#verdict")).to_contain_text("Scans")
    assert 'fill="#' + COLOURS[-1][1:] in page.evaluate(
        "atob(document.querySelector('#preview-image').src.split(',')[1])")
    assert not errors, errors
