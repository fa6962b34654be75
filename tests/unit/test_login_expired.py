"""How a page event reports an ended login: a redirect, never a toast."""

from types import SimpleNamespace

from xcert_app.services.errors import LoginExpired, NotFound
from xcert_app.state import service_error_event


def _page_state(role: str, path: str, query: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        role=role, router=SimpleNamespace(url=SimpleNamespace(path=path, query=query))
    )


def _redirect_path(event) -> str:
    arguments = {name._js_expr: value._var_value for name, value in event.args}
    return arguments["path"]


def test_staff_event_redirects_to_login_with_page():
    state = _page_state("school_admin", "/candidates", "missing=photo")
    event = service_error_event(state, LoginExpired())
    assert (
        _redirect_path(event) == "/login?next=/candidates%3Fmissing%3Dphoto&expired=1"
    )


def test_student_event_redirects_to_student_login():
    state = _page_state("candidate", "/student")
    event = service_error_event(state, LoginExpired())
    assert _redirect_path(event) == "/student/login?expired=1"


def test_other_error_stays_a_toast():
    state = _page_state("school_admin", "/candidates")
    event = service_error_event(state, NotFound("考生不存在"))
    script = {name._js_expr: str(value) for name, value in event.args}["function"]
    assert "__toast" in script
    assert '"error"' in script
