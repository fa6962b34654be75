"""Operator commands: ``candidates import`` and ``photos import`` for one school.

The commands act as an account of that school (its head by default, or the one
named by ``--as``) so the same checks and the same audit entries apply as on the
page.
"""

import argparse
import json
import sys
from pathlib import Path

from sqlmodel import Session, select


def _school_actor(session: Session, code: str, username: str | None):
    from xcert_app.models.accounts import Account, Role
    from xcert_app.models.orgs import Organisation, OrgKind
    from xcert_app.services import accounts
    from xcert_app.services.errors import ServiceError

    school = session.exec(
        select(Organisation).where(
            Organisation.kind == OrgKind.SCHOOL,
            (Organisation.institution_code == code) | (Organisation.name == code),
        )
    ).first()
    if school is None:
        raise ServiceError(f"找不到院校 {code}，请填写 10 位院校代码或院校全称")
    statement = select(Account).where(
        Account.organisation_id == school.id,
        Account.is_active,
        Account.role.in_([Role.SCHOOL_HEAD.value, Role.SCHOOL_ADMIN.value]),
    )
    if username:
        statement = statement.where(Account.username == username)
    found = session.exec(statement).all()
    found.sort(key=lambda account: account.role != Role.SCHOOL_HEAD.value)
    if not found:
        raise ServiceError(f"院校 {school.name} 没有可用的院校账号，请先创建账号")
    return accounts.actor_for_account(session, found[0])


def _print(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for key, value in report.items():
        if isinstance(value, list):
            print(f"{key}:")
            for item in value:
                print(f"  {item}")
        else:
            print(f"{key}: {value}")


def candidates_import(args: argparse.Namespace) -> int:
    """Check or import a candidate spreadsheet for a school."""
    from xcert_app.db import session_scope
    from xcert_app.services import candidates
    from xcert_app.services.errors import ServiceError

    data = Path(args.file).read_bytes()
    try:
        with session_scope() as session:
            actor = _school_actor(session, args.school, args.account)
            if args.check:
                report = candidates.check_import(
                    session, actor=actor, data=data, kind=args.kind
                )
            else:
                report = candidates.import_candidates(
                    session,
                    actor=actor,
                    data=data,
                    kind=args.kind,
                    file_name=Path(args.file).name,
                )
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    _print(report.to_dict(), args.json)
    return 0


def photos_import(args: argparse.Namespace) -> int:
    """Import a .zip of candidate photos for a school."""
    from xcert_app.db import session_scope
    from xcert_app.services import photos
    from xcert_app.services.errors import ServiceError

    data = Path(args.file).read_bytes()
    try:
        with session_scope() as session:
            actor = _school_actor(session, args.school, args.account)
            report = photos.import_archive(session, actor=actor, data=data)
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    _print(report.to_dict(), args.json)
    return 0


def _school_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--school", required=True, help="10-digit institution code or full name"
    )
    parser.add_argument(
        "--as",
        dest="account",
        help="username of the school account to act as (default: the school head)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def register(commands) -> None:
    candidates_parser = commands.add_parser("candidates", help="candidates: import")
    actions = candidates_parser.add_subparsers(
        dest="candidates_command", required=True, metavar="ACTION"
    )
    importer = actions.add_parser(
        "import", help="import a candidate spreadsheet (.xlsx, .xls or .csv)"
    )
    importer.add_argument("file", help="path of the spreadsheet")
    importer.add_argument(
        "--kind",
        choices=["school", "social"],
        default="school",
        help="school candidates (default) or social trainees",
    )
    importer.add_argument(
        "--check", action="store_true", help="only check the file; write nothing"
    )
    _school_arguments(importer)
    importer.set_defaults(handler=candidates_import)

    photos_parser = commands.add_parser("photos", help="candidate photos: import")
    photo_actions = photos_parser.add_subparsers(
        dest="photos_command", required=True, metavar="ACTION"
    )
    photo_importer = photo_actions.add_parser(
        "import", help="import a .zip of <ID number>.jpg|png photos"
    )
    photo_importer.add_argument("file", help="path of the .zip archive")
    _school_arguments(photo_importer)
    photo_importer.set_defaults(handler=photos_import)
