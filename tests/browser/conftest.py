"""Playwright fixtures for the browser tests: Debian's Chromium against pytest-django's live server.

The browser is the system's /usr/bin/chromium, never one downloaded by `playwright install`
(`make browser-deps` installs it and a CJK font). One browser per session; every test gets a
fresh context, so cookies and storage never leak from one test to the next.

Every test in this folder is marked `browser`, so `pytest -m "not browser"` skips them all. On a
failure the page is saved to test-results/<test name>.png (gitignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from members.models import User

from ..conftest import World, build_world
from ..factories import TEST_PASSWORD

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# (building the world, checking what a form created) are synchronous and safe there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE.parent.parent / "test-results"

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


# --- browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (never `playwright install`)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _open_page(request, browser: Browser, live_server, options: dict) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if getattr(request.node, "browser_test_failed", False):
            RESULTS_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            try:
                page.screenshot(path=RESULTS_DIR / f"{name}.png", full_page=True)
            except Exception as error:  # a failed screenshot must not hide the real failure
                print(f"could not save a screenshot of {name}: {error}")
        context.close()


@pytest.fixture
def page(request, browser, live_server) -> Iterator[Page]:
    """A desktop-sized page (1280x800) in a fresh context; `page.goto("/path/")` is relative to
    the live server."""
    yield from _open_page(request, browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(request, browser, live_server) -> Iterator[Page]:
    """A phone-sized page (390x844, touch) in a fresh context."""
    yield from _open_page(request, browser, live_server, PHONE)


# --- data and personas ----------------------------------------------------------------------


@pytest.fixture
def world(transactional_db, live_server) -> World:
    """The shared personas, committed so that the live server's thread sees them."""
    return build_world()


@pytest.fixture
def login() -> Callable[..., None]:
    """Log in through the real login form: `login(page, world.street_staff)`.

    Waits until the login page has been left and the navbar shows the user.
    """

    def log_in(page: Page, user: User, next_url: str = "") -> None:
        page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(TEST_PASSWORD)
        page.locator("form").get_by_role("button", name="登录").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_test_id("current-user")).to_contain_text(str(user))

    return log_in


@pytest.fixture
def save_screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot to test-results/<name>.png, for a human to look at."""

    def save(page: Page, name: str) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save
