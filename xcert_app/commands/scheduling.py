"""Operator commands for scheduling: ``schedule PLAN`` and ``documents tickets PLAN``."""

import argparse
import json
import sys

from sqlalchemy import select


def _find_plan(session, reference: str):
    from xcert_app.models.catalogue import ExamPlan

    query = select(ExamPlan).where(ExamPlan.code == reference)
    if reference.isdigit():
        query = select(ExamPlan).where(ExamPlan.id == int(reference))
    return session.scalars(query).first()


def _org_actor(session, plan):
    """Act as the plan's assessment organisation, recorded as the operator command."""
    from xcert_app.models.accounts import Role
    from xcert_app.services.actor import Actor

    return Actor(
        account_id=None,
        username="operator-command",
        display_name="运维命令",
        role=Role.ORG_ADMIN,
        organisation_id=plan.org_id,
    )


def schedule(args: argparse.Namespace) -> int:
    """Schedule a plan and print the run's report."""
    from xcert_app.db import session_scope
    from xcert_app.services import scheduling
    from xcert_app.services.errors import ServiceError

    try:
        with session_scope() as session:
            plan = _find_plan(session, args.plan)
            if plan is None:
                print(
                    f"找不到考试计划 {args.plan}（请填写计划编号 K… 或 id）",
                    file=sys.stderr,
                )
                return 1
            result = scheduling.schedule_plan(
                session,
                actor=_org_actor(session, plan),
                plan_id=plan.id,
                seed=args.seed,
            )
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    report = result.as_dict()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif result.ok:
        print(
            f"排考完成：种子 {result.seed}，安排 {result.placed_count} 人次，"
            f"保持 {result.kept_count}，调整 {result.moved_count}"
        )
    else:
        print(f"座位不足，未做任何修改（种子 {result.seed}）：")
        for row in result.missing:
            print(
                f"  {row['site']} / {row['subject']} / {row['session']}：缺 {row['missing']} 座"
            )
    return 0 if result.ok else 3


def documents_tickets(args: argparse.Namespace) -> int:
    """Write every admission ticket of a plan into one PDF."""
    from xcert_app.db import session_scope
    from xcert_app.services import exam_documents
    from xcert_app.services.errors import ServiceError

    try:
        with session_scope() as session:
            plan = _find_plan(session, args.plan)
            if plan is None:
                print(
                    f"找不到考试计划 {args.plan}（请填写计划编号 K… 或 id）",
                    file=sys.stderr,
                )
                return 1
            document = exam_documents.plan_tickets(session, plan_id=plan.id)
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    with open(args.out, "wb") as output:
        output.write(document.data)
    print(f"准考证已写入 {args.out}：{document.pages} 页")
    for problem in document.problems:
        print(problem, file=sys.stderr)
    return 0 if not document.problems else 4


def register(commands) -> None:
    schedule_parser = commands.add_parser(
        "schedule", help="schedule a plan: seats, sessions and ticket numbers"
    )
    schedule_parser.add_argument("plan", help="exam plan code (K + 12 digits) or id")
    schedule_parser.add_argument(
        "--seed",
        type=int,
        help="shuffle seed (default: a random one, stored with the run)",
    )
    schedule_parser.add_argument(
        "--json", action="store_true", help="print the report as JSON"
    )
    schedule_parser.set_defaults(handler=schedule)

    documents_parser = commands.add_parser("documents", help="exam-day documents")
    documents_commands = documents_parser.add_subparsers(
        dest="documents_command", required=True, metavar="ACTION"
    )
    tickets_parser = documents_commands.add_parser(
        "tickets", help="write all admission tickets of a plan into one PDF"
    )
    tickets_parser.add_argument("plan", help="exam plan code (K + 12 digits) or id")
    tickets_parser.add_argument("--out", required=True, help="PDF file to write")
    tickets_parser.set_defaults(handler=documents_tickets)
