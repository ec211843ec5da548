"""Browser tests: Debian's chromium, headless, driven by Playwright against pytest-django's
live_server (which serves /static/ through the staticfiles handler).

Never a downloaded browser: without /usr/bin/chromium the tests are skipped, except in CI
(CI=true), where a missing browser is a failure.

Every page a test opens is watched: a console error, an uncaught exception, a failed request
or an asset or XHR answered with 4xx/5xx (a missing file under /static/, a request blocked by
the Content-Security-Policy) is a problem. `axe_scan(page)` runs axe-core on the page and fails
on any "serious" or "critical" WCAG 2.x A/AA violation.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import axe_playwright_python
import pytest

# Playwright's sync API keeps an event loop running in this thread, so Django would refuse ORM
# calls from the test body (arrange and assert) as if they came from async code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_SOURCE = Path(axe_playwright_python.__file__).with_name("axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(
  (results) => results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  })))"""
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 15_000

BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- The browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium): browser tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run them.", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class BrowserProblems:
    """What went wrong in the browser while a test ran, besides what the test asserts."""

    problems: list[str] = field(default_factory=list)
    reported: int = 0

    def watch(self, context):
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught: {error.error}"))
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)

    def _console(self, message):
        if message.type != "error":
            return
        # Chromium logs "Failed to load resource: ... status of 400" for a page itself too; the
        # status of a page the test opens is the test's business (a form with errors is 400).
        # Sub-resources are checked by _response, so this message adds nothing for them either.
        if message.text.startswith("Failed to load resource: the server responded"):
            return
        location = message.location or {}
        self.problems.append(f"console error: {message.text} ({location.get('url', '')})")

    def _request_failed(self, request):
        # Leaving a page aborts what it still had open, which is not a failure: a live stream
        # (the IRD record's server-sent events) stays open until the page goes, and the
        # browser's own fetch of the favicon may still be under way when a test moves on.
        aborted = "ERR_ABORTED" in (request.failure or "")
        if aborted and (request.resource_type == "eventsource" or "favicon" in request.url):
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response):
        # A page answered 4xx is the test's to judge (a form with errors is a 400); a server
        # error never is, nor any error for an asset, script or fragment.
        document = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not document):
            self.problems.append(
                f"{response.status} for {response.request.resource_type} "
                f"{response.request.method} {response.url}"
            )

    def assert_none(self):
        new = self.problems[self.reported :]
        self.reported = len(self.problems)
        assert not new, "Problems in the browser:\n" + "\n".join(new)


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def new_page(browser, live_server, browser_problems):
    """`new_page(**context_options)`: a page in a fresh context (its own cookies) pointed at
    the live server, watched for console errors and failed requests."""
    contexts = []

    def open_page(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "Europe/London")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        browser_problems.watch(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    browser_problems.assert_none()


@pytest.fixture
def page(new_page):
    return new_page()


# --- Accessibility ------------------------------------------------------------------------


def axe_scan(page) -> list[dict]:
    """Run axe-core (as packaged by axe-playwright-python) on the page as it is now. Fails on
    any serious or critical violation; returns all violations (lesser ones are printed).

    The script is evaluated rather than added as a <script> tag: the site's CSP allows only
    scripts from 'self', and a test must not loosen the policy it is checking under."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;true")
    violations = page.evaluate(AXE_RUN, AXE_TAGS)
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
    if violations:
        print(f"axe on {page.url}:\n" + "\n".join(lines))
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"{len(blocking)} serious or critical accessibility violation(s) on {page.url} "
        f"({page.title()}):\n" + "\n".join(lines)
    )
    return violations


# --- Signing in: password, then the authenticator's code ------------------------------------


def with_authenticator(user) -> None:
    """The user has enrolled their app (the test suite's known key): sign-in asks for a code."""
    from referrals import second_factor  # noqa: PLC0415 - Django must be ready
    from tests.conftest import TEST_TOTP_KEY  # noqa: PLC0415

    second_factor.enrol_with_key(user, TEST_TOTP_KEY)


def enter_code(page, user) -> None:
    """The second step, as a person with the app would: type the current code, computed from
    the user's key. Signing the same person in twice within one 30-second step, a test marks
    the step unused first (replay refusal has its own tests)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415

    from referrals import second_factor  # noqa: PLC0415

    TOTPDevice.objects.filter(user=user).update(last_t=-1, throttling_failure_count=0)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.get_by_label("Code").fill(second_factor.current_code(device))
    page.get_by_role("button", name="Continue").click()
