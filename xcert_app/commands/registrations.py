"""``registrations import``: register a school's candidates from a spreadsheet."""

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from xcert_app.spreadsheets.registrations import ImportKind


def register(commands) -> None:
    """Add the ``registrations`` command to the top-level subparsers."""
    parser = commands.add_parser("registrations", help="registrations: import")
    actions = parser.add_subparsers(
        dest="registrations_command", required=True, metavar="ACTION"
    )
    importer = actions.add_parser(
        "import",
        help="register candidates from an .xlsx file as one of the school's accounts",
    )
    importer.add_argument("file", type=Path, help="the filled-in .xlsx template")
    importer.add_argument(
        "--school", required=True, help="the school's 10-digit institution code"
    )
    importer.add_argument(
        "--plan", required=True, help="exam plan code (K + 12 digits)"
    )
    importer.add_argument(
        "--by",
        required=True,
        choices=[kind.value for kind in ImportKind],
        help="what each row names: a certificate level or a subject",
    )
    importer.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="write nothing when any row is rejected (default: valid rows are written)",
    )
    importer.add_argument(
        "--json", action="store_true", help="print the report as JSON"
    )
    importer.set_defaults(handler=import_registrations)


def import_registrations(args: argparse.Namespace) -> int:
    """Run one registration import; exit 1 when nothing could be written."""
    from sqlmodel import select

    from xcert_app.db import session_scope
    from xcert_app.models.accounts import Account
    from xcert_app.models.catalogue import ExamPlan
    from xcert_app.models.orgs import Organisation, OrgKind
    from xcert_app.services import accounts, registrations
    from xcert_app.services.actor import SCHOOL_ROLES
    from xcert_app.services.errors import ServiceError

    if not args.file.is_file():
        print(f"找不到文件 {args.file}", file=sys.stderr)
        return 2
    data = args.file.read_bytes()
    try:
        with session_scope() as session:
            school = session.exec(
                select(Organisation).where(
                    Organisation.institution_code == args.school,
                    Organisation.kind == OrgKind.SCHOOL,
                )
            ).first()
            if school is None:
                raise ServiceError(f"找不到院校代码为 {args.school} 的院校")
            # The import runs as one of the school's own accounts, so the audit log
            # names a real account and the service applies the school's scope.
            account = session.exec(
                select(Account)
                .where(
                    Account.organisation_id == school.id,
                    Account.role.in_([role.value for role in SCHOOL_ROLES]),
                    Account.is_active,
                )
                .order_by(Account.id)
            ).first()
            if account is None:
                raise ServiceError(
                    f"院校 {school.name} 没有可用的院校账号，无法代为报考"
                )
            plan = session.exec(
                select(ExamPlan).where(ExamPlan.code == args.plan)
            ).first()
            if plan is None:
                raise ServiceError(f"找不到考试计划 {args.plan}")
            report = registrations.import_registrations(
                session,
                actor=accounts.actor_for_account(session, account),
                plan_id=plan.id,
                data=data,
                file_name=args.file.name,
                kind=ImportKind(args.by),
                all_or_nothing=args.all_or_nothing,
            )
    except ServiceError as error:
        if args.json:
            print(json.dumps({"error": error.message}, ensure_ascii=False))
        else:
            print(error.message, file=sys.stderr)
        return 1

    if args.json:
        payload = {
            "applied": report.applied,
            "rows": report.rows,
            "accepted_rows": report.accepted_rows,
            "registrations_added": report.changed,
            "blank_rows": report.blank_rows,
            "refused": [asdict(refusal) for refusal in report.refused],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(report.summary)
        for refusal in report.refused:
            print(f"第 {refusal.row_number} 行 [{refusal.rule}] {refusal.message}")
    return 0 if report.applied or not report.refused else 1
