"""``verify NUMBER ID``: check a certificate as the public verification page does."""

import argparse
import json

from xcert_app.services.verification_public import NOT_FOUND_MESSAGE

LABELS = {
    "certificate_number": "证书编号",
    "holder_name_masked": "姓名",
    "id_number_masked": "证件号码",
    "certificate_name": "证书名称",
    "level": "证书等级",
    "organisation_name": "发证机构",
    "school_name": "考核站点",
    "issue_date": "发证日期",
}


def verify_certificate(args: argparse.Namespace) -> int:
    """Print the certificate's public details; exit 1 when there is no such certificate."""
    from xcert_app.db import session_scope
    from xcert_app.services import verification_public

    with session_scope() as session:
        found = verification_public.verify(
            session, number=args.number, id_number=args.id_number, client="cli"
        )
    details = found.as_dict() if found else None
    if args.json:
        result = (
            {"found": True, "certificate": details}
            if details
            else {
                "found": False,
                "message": NOT_FOUND_MESSAGE,
            }
        )
        print(json.dumps(result, ensure_ascii=False))
    elif details:
        for key, label in LABELS.items():
            print(f"{label}：{details[key]}")
    else:
        print(NOT_FOUND_MESSAGE)
    return 0 if details else 1


def register(commands) -> None:
    parser = commands.add_parser(
        "verify", help="check a certificate by its number and the holder's ID number"
    )
    parser.add_argument("number", help="22-digit certificate number")
    parser.add_argument("id_number", metavar="ID", help="the holder's ID number")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=verify_certificate)
