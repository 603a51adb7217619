"""Signing up and logging in through the real pages, in Chromium (the `page` fixture)."""
from playwright.sync_api import expect

from tests.support.auth import PASSWORD, signup_path
from workers.context import get_app


def log_in(page, email="ada@example.com", password=PASSWORD):
    """Logs in through the form and waits for the dashboard."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_up(page, email="grace@example.com", password="a long enough password"):
    """Signs up at the link /signup mails (made here, for the test's app) and waits for
    the dashboard."""
    page.goto(signup_path(get_app(), email))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


# Added to a context before any script of its pages runs; reports through the function
# `__reportViolation`, which the test exposes.
VIOLATION_RECORDER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportViolation({page: location.pathname, origin: location.origin,
                            directive: event.violatedDirective, blocked: event.blockedURI,
                            sample: event.sample, source: event.sourceFile,
                            line: event.lineNumber});
}, true);
"""


def record_violations(context):
    """The list that each `securitypolicyviolation` of the context's pages is added to."""
    violations = []
    context.expose_function("__reportViolation", lambda report: violations.append(report))
    context.add_init_script(VIOLATION_RECORDER)
    return violations
