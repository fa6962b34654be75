"""Operator command ``declarations quota``: a school's pilot status and yearly quota."""

import argparse
import json
import sys


def declarations_quota(args: argparse.Namespace) -> int:
    """Print whether a school is a pilot school in a year and its approved counts."""
    from sqlmodel import select

    from xcert_app.clock import clock
    from xcert_app.db import session_scope
    from xcert_app.models.catalogue import Certificate
    from xcert_app.models.declarations import (
        Declaration,
        DeclarationPlan,
        DeclarationStatus,
    )
    from xcert_app.models.orgs import Organisation, OrgKind
    from xcert_app.services import declarations

    year = args.year or clock.today().year
    with session_scope() as session:
        school = session.exec(
            select(Organisation).where(
                Organisation.kind == OrgKind.SCHOOL,
                (Organisation.institution_code == args.school)
                | (Organisation.name == args.school),
            )
        ).first()
        if school is None:
            print(f"找不到院校 {args.school}（请用院校代码或全称）", file=sys.stderr)
            return 1
        certificates = session.exec(
            select(Certificate.id, Certificate.name)
            .join(Declaration, Declaration.certificate_id == Certificate.id)
            .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
            .where(
                Declaration.school_id == school.id,
                Declaration.status == DeclarationStatus.APPROVED,
                DeclarationPlan.year == year,
            )
            .group_by(Certificate.id, Certificate.name)
            .order_by(Certificate.name)
        ).all()
        report = {
            "school": school.name,
            "institution_code": school.institution_code,
            "year": year,
            "pilot_school": declarations.is_pilot_school(
                session, school_id=school.id, year=year
            ),
            "quota": {
                name: declarations.approved_quota(
                    session,
                    school_id=school.id,
                    certificate_id=certificate_id,
                    year=year,
                )
                for certificate_id, name in certificates
            },
        }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    status = "是" if report["pilot_school"] else "否"
    print(f"{report['school']} {year} 年度试点院校：{status}")
    for name, count in report["quota"].items():
        print(f"  {name}：{count} 人")
    return 0


def register(commands) -> None:
    """Add ``declarations quota`` to the operator command line."""
    parser = commands.add_parser("declarations", help="pilot declarations: quota")
    actions = parser.add_subparsers(
        dest="declarations_command", required=True, metavar="ACTION"
    )
    quota = actions.add_parser(
        "quota", help="show a school's pilot status and approved counts for a year"
    )
    quota.add_argument("school", help="institution code or full school name")
    quota.add_argument("--year", type=int, help="declaration year (default: this year)")
    quota.add_argument("--json", action="store_true", help="print JSON")
    quota.set_defaults(handler=declarations_quota)
