"""Login URLs that bring the user back, and the check of where a login may lead."""

from urllib.parse import parse_qs, urlsplit

import pytest

from xcert_app import routes


def test_login_url_keeps_plain_path():
    assert routes.login_with_next("/candidates") == "/login?next=/candidates"


def test_login_url_keeps_whole_query():
    url = routes.login_with_next("/registrations?plan=3&status=registered")

    query = parse_qs(urlsplit(url).query)
    assert query["next"] == ["/registrations?plan=3&status=registered"]
    assert "status" not in query


def test_login_url_says_expired():
    url = routes.login_with_next("/", expired=True)

    assert url == "/login?next=/&expired=1"


def test_login_url_without_next_for_login_itself():
    assert routes.login_with_next(routes.LOGIN) == routes.LOGIN


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("/candidates?missing=photo", True),
        ("/", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("https://evil.example", False),
        ("candidates", False),
    ],
)
def test_local_path_check(target, local):
    assert routes.is_local_path(target) is local
