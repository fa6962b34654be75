"""Every page of every demo account renders without React warnings or console errors."""

import importlib
import pkgutil

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from xcert_app import pages, routes
from xcert_app.components.page import REGISTRY
from xcert_app.models.accounts import Role
from xcert_app.services.demo import DEMO_ACCOUNTS

for _module in pkgutil.iter_modules(pages.__path__):
    importlib.import_module(f"{pages.__name__}.{_module.name}")

ROLE_OF = {username: role.value for username, role, _key, _name in DEMO_ACCOUNTS}


def _pages_of(role: str) -> list[tuple[str, str]]:
    return [
        (entry.route, entry.title)
        for entry in REGISTRY
        if not entry.public and role in entry.roles
    ]


def _collect(page: Page) -> list[str]:
    """Record console errors, React's DOM nesting warnings and uncaught errors."""
    problems: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        nesting = "descendant" in message.text or "nested" in message.text
        if message.type == "error" or (message.type == "warning" and nesting):
            problems.append(f"{page.url}: {message.type}: {message.text[:400]}")

    page.on("console", keep)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return problems


def _visit(page: Page, app_url: str, route: str, title: str) -> None:
    page.goto(app_url + route)
    expect(page.get_by_role("heading", name=title).first).to_be_visible()
    # Rows arrive after the heading, from the page's load handler. The wait is
    # an estimate that weighs a late error against the length of the run.
    page.wait_for_timeout(400)


@pytest.mark.parametrize("username", sorted(ROLE_OF))
def test_account_pages_log_no_errors(login, page: Page, app_url, username):
    problems = _collect(page)
    login(username)
    for route, title in _pages_of(ROLE_OF[username]):
        _visit(page, app_url, route, title)
    forbidden = (
        routes.OPERATOR_ACCOUNTS
        if ROLE_OF[username] != Role.PLATFORM_ADMIN
        else routes.SCHOOL_BASE_INFO
    )
    page.goto(app_url + forbidden)
    expect(page.locator("#access-denied")).to_be_visible()
    page.wait_for_timeout(300)
    assert problems == [], "\n".join(problems)


def test_public_pages_log_no_errors(page: Page, app_url):
    problems = _collect(page)
    for entry in REGISTRY:
        if entry.public:
            page.goto(app_url + entry.route)
            page.wait_for_timeout(1500)
    assert problems == [], "\n".join(problems)
