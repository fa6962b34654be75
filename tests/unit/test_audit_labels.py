"""Every audit action code has a Chinese label, and entries read as plain text."""

import ast
from pathlib import Path

import pytest

from xcert_app.models.accounts import Role
from xcert_app.services import audit

APP_DIR = Path(audit.__file__).resolve().parents[1]


def _function_of(tree: ast.Module, call: ast.Call) -> ast.AST:
    """Return the innermost function around ``call``, or the module."""
    around: ast.AST = tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and call in set(
            ast.walk(node)
        ):
            if around is tree or node in set(ast.walk(around)):
                around = node
    return around


def _values_of_name(name: str, scope: ast.AST) -> set[str]:
    """Collect the codes assigned to ``name`` in ``scope``, also by tuple unpacking."""
    codes: set[str] = set()
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                codes |= _codes(node.value, scope)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=True):
                    if isinstance(element, ast.Name) and element.id == name:
                        codes |= _codes(value, scope)
    if not codes:
        raise AssertionError(f"no string assigned to {name!r}")
    return codes


def _codes(expression: ast.expr, scope: ast.AST) -> set[str]:
    """Return every action code ``expression`` can evaluate to."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        return _codes(expression.body, scope) | _codes(expression.orelse, scope)
    if isinstance(expression, ast.Name):
        return _values_of_name(expression.id, scope)
    if isinstance(expression, ast.JoinedStr):
        results = {""}
        for part in expression.values:
            if isinstance(part, ast.FormattedValue):
                choices = _codes(part.value, scope)
            else:
                choices = _codes(part, scope)
            results = {start + choice for start in results for choice in choices}
        return results
    raise AssertionError(
        f"action {ast.unparse(expression)!r} (line {expression.lineno}) cannot be "
        "read without running the code: write the codes as string literals"
    )


def _recorded_actions(keyword: str = "action") -> dict[str, str]:
    """Map every code passed as ``keyword`` to ``audit.record`` to the file and line."""
    found: dict[str, str] = {}
    for path in sorted(APP_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) in ("audit.record", "record")
            ):
                continue
            action = next(
                (given.value for given in node.keywords if given.arg == keyword),
                None,
            )
            assert action is not None, f"{path}:{node.lineno} records no {keyword}"
            where = f"{path.relative_to(APP_DIR.parent)}:{node.lineno}"
            for code in _codes(action, _function_of(tree, node)):
                found[code] = where
    return found


def test_scan_finds_known_actions():
    actions = _recorded_actions()
    assert actions.keys() >= {
        "candidates.import",
        "declaration.update",
        "declaration.approve.city",
        "declaration.reject.province",
        "exam_site.approved",
        "schedule.failed",
    }


def test_every_recorded_action_has_label():
    missing = {
        code: where
        for code, where in _recorded_actions().items()
        if code not in audit.ACTION_LABELS
    }
    assert missing == {}, "add these codes to audit.ACTION_LABELS"


def test_no_label_for_unrecorded_action():
    stale = audit.ACTION_LABELS.keys() - _recorded_actions().keys()
    assert stale == set()


def test_every_recorded_entity_has_label():
    entities = _recorded_actions("entity")
    assert "exam_plan" in entities
    assert entities.keys() == audit.ENTITY_LABELS.keys()


def test_entity_label_names_kind_and_id():
    assert audit.entity_label("exam_plan", "3") == "考试计划 #3"
    assert audit.entity_label("thing", "3") == "thing #3"


def test_action_label_reads_chinese():
    assert audit.action_label("candidates.import") == "导入考生"


def test_unknown_action_shows_its_code():
    assert audit.action_label("thing.unknown") == "thing.unknown"


@pytest.mark.parametrize(
    ("recorded", "label"),
    [
        ("school_admin", "院校业务管理员"),
        ("org_admin", "培训评价组织"),
        ("province_reviewer", "省级教育行政部门"),
        (Role.PLATFORM_ADMIN.value, "平台运营"),
        ("system", "系统"),
        ("retired_role", "retired_role"),
    ],
)
def test_role_label(recorded, label):
    assert audit.role_label(recorded) == label


def test_values_are_key_value_lines():
    text = audit.format_values(
        {"status": "approved", "approved_count": 2000, "paid": True, "reason": None}
    )
    assert text.splitlines() == [
        "status: approved",
        "approved_count: 2000",
        "paid: 是",
        "reason: （空）",
    ]


def test_role_value_shows_label():
    text = audit.format_values({"username": "cnu_admin2", "role": "school_admin"})
    assert text.splitlines() == ["username: cnu_admin2", "role: 院校业务管理员"]


def test_empty_values_are_empty_text():
    assert audit.format_values({}) == ""
    assert audit.format_values(None) == ""
