"""``python -m xcert_app scores import FILE --plan CODE``: import a score file from the shell."""

import argparse
import json
import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("scores", help="subject scores: import, freeze")
    actions = parser.add_subparsers(
        dest="scores_command", required=True, metavar="ACTION"
    )
    importer = actions.add_parser(
        "import", help="import a score file into an exam plan (score-entry window only)"
    )
    importer.add_argument("file", help="score file: .xlsx, .xls or .csv")
    importer.add_argument(
        "--plan", required=True, help="exam plan code, e.g. K202005226994"
    )
    importer.add_argument(
        "--user",
        help="organisation account recorded as the importer "
        "(default: the plan organisation's first active account)",
    )
    importer.add_argument(
        "--reason", default="", help="correction reason for rows that replace a score"
    )
    importer.add_argument(
        "--json", action="store_true", help="print the report as JSON"
    )
    importer.set_defaults(handler=scores_import)
    freezer = actions.add_parser(
        "freeze",
        help="mark the results of every plan whose publication ended as frozen",
    )
    freezer.add_argument("--json", action="store_true", help="print the count as JSON")
    freezer.set_defaults(handler=scores_freeze)
    announcer = actions.add_parser(
        "announce",
        help="notify the organisation and schools of every plan whose publication "
        "started; safe to repeat, e.g. from cron",
    )
    announcer.add_argument(
        "--json", action="store_true", help="print the count as JSON"
    )
    announcer.set_defaults(handler=scores_announce)


def scores_import(args: argparse.Namespace) -> int:
    """Import one score file; exit 0 when every row was taken, 1 otherwise."""
    from sqlmodel import select

    from xcert_app.db import session_scope
    from xcert_app.models.accounts import Account, Role
    from xcert_app.models.catalogue import ExamPlan
    from xcert_app.services import accounts, scores
    from xcert_app.services.errors import ServiceError
    from xcert_app.spreadsheets.scores import read_score_file

    path = Path(args.file)
    if not path.is_file():
        return _fail(args, f"找不到文件 {path}")
    try:
        with session_scope() as session:
            plan = session.exec(
                select(ExamPlan).where(ExamPlan.code == args.plan)
            ).first()
            if plan is None:
                return _fail(args, f"考试计划 {args.plan} 不存在")
            query = select(Account).where(
                Account.role == Role.ORG_ADMIN,
                Account.organisation_id == plan.org_id,
                Account.is_active == True,  # noqa: E712
            )
            if args.user:
                query = query.where(Account.username == args.user)
            account = session.exec(query.order_by(Account.id)).first()
            if account is None:
                return _fail(
                    args, f"找不到考试计划 {args.plan} 所属培训评价组织的可用账号"
                )
            rows = read_score_file(path.read_bytes(), file_name=path.name)
            report = scores.import_scores(
                session,
                actor=accounts.actor_for_account(session, account),
                plan_id=plan.id,
                rows=rows,
                reason=args.reason,
            )
    except ServiceError as error:
        return _fail(args, error.message)
    summary = report.as_dict()
    if args.json:
        print(
            json.dumps({"ok": True, "plan": args.plan, **summary}, ensure_ascii=False)
        )
    else:
        print(
            f"共 {report.total} 行：新录入 {report.created}，替换 {report.replaced}，"
            f"未变 {report.unchanged}，拒绝 {len(report.refused)}"
        )
        for problem in report.refused:
            print(f"第 {problem['row']} 行：{problem['message']}")
    return 0 if not report.refused else 1


def scores_freeze(args: argparse.Namespace) -> int:
    """Freeze the results of every plan whose publication window has ended."""
    from xcert_app.db import session_scope
    from xcert_app.services import results

    with session_scope() as session:
        frozen = results.freeze_due_plans(session, actor=None)
    if args.json:
        print(json.dumps({"ok": True, "frozen": frozen}, ensure_ascii=False))
    else:
        print(f"已锁定 {frozen} 条考证结果")
    return 0


def scores_announce(args: argparse.Namespace) -> int:
    """Create the publication notices that are due and not yet created."""
    from xcert_app.db import session_scope
    from xcert_app.services import notifications

    with session_scope() as session:
        created = notifications.announce_publications(session)
    if args.json:
        print(json.dumps({"ok": True, "notifications": created}, ensure_ascii=False))
    else:
        print(f"已发送 {created} 条成绩发布通知")
    return 0


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
    return 1
