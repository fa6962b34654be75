"""Browser fixtures: the real app started by Reflex's AppHarness in this process,
on the test database with the demo year, driven by Playwright on Debian's Chromium."""

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from xcert_app.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("XCERT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-results" / "screenshots"

expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def app_harness(engine):
    """Start the app once for the whole run, on the test database."""
    from reflex.testing import AppHarness

    os.environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    tools = str(PROJECT_ROOT / ".tools" / "node_modules" / ".bin")
    if tools not in os.environ["PATH"]:
        os.environ["PATH"] = tools + os.pathsep + os.environ["PATH"]
    with AppHarness.create(root=PROJECT_ROOT, app_name="xcert_app") as harness:
        yield harness


@pytest.fixture
def demo_db(session):
    """The demo year in an otherwise empty database, committed so the app sees it."""
    from xcert_app.services import demo

    demo.load_demo(session)
    session.commit()
    yield session


@pytest.fixture
def app_url(app_harness, demo_db) -> str:
    return app_harness.frontend_url.rstrip("/")


@pytest.fixture
def login(page: Page, app_url: str):
    """Log in through the login form as ``username`` and wait for the home page."""

    def log_in(username: str, password: str = "Xcert2026") -> Page:
        page.goto(f"{app_url}/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-submit")
        expect(page.locator("#home-greeting")).to_be_visible()
        return page

    return log_in


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot under test-results/screenshots for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name)}.png"),
        full_page=True,
    )


@pytest.fixture
def new_context_page(browser, app_url) -> Iterator:
    """Open a second, separate browser context (another user on another device)."""
    contexts = []

    def open_page(**options) -> Page:
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
