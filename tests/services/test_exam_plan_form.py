from xcert_app.clock import beijing
from xcert_app.pages.exam_plans import _parse_sessions


def test_session_lines_parse_as_beijing_time():
    sessions, problem = _parse_sessions(
        "2026-12-21 08:30~10:00\n\n2026-12-22 14:00～23:55"
    )
    assert problem == ""
    assert sessions == [
        (beijing(2026, 12, 21, 8, 30), beijing(2026, 12, 21, 10, 0)),
        (beijing(2026, 12, 22, 14, 0), beijing(2026, 12, 22, 23, 55)),
    ]


def test_session_line_with_bad_format_is_reported():
    sessions, problem = _parse_sessions("12月21日 上午")
    assert sessions == []
    assert "格式不对" in problem
