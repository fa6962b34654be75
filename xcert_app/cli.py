"""Operator command line: ``python -m xcert_app COMMAND``."""

import argparse
import importlib
import json
import logging
import pkgutil
import sys
from pathlib import Path

from xcert_app import commands as area_commands
from xcert_app.settings import PROJECT_ROOT

logger = logging.getLogger("xcert_app.cli")


def _alembic_config():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return config


def db_upgrade(_args: argparse.Namespace) -> int:
    """Apply every migration to the configured database."""
    from alembic import command

    command.upgrade(_alembic_config(), "head")
    print("数据库已升级到最新版本")
    return 0


def db_backup(args: argparse.Namespace) -> int:
    """Write a backup of the configured database to FILE."""
    from xcert_app.db import get_engine
    from xcert_app.services import backup

    backup.backup(get_engine(), Path(args.file))
    print(f"数据库已备份到 {args.file}")
    return 0


def db_restore(args: argparse.Namespace) -> int:
    """Replace the configured database's content with the backup in FILE."""
    from xcert_app.db import get_engine
    from xcert_app.services import backup
    from xcert_app.services.errors import ServiceError

    try:
        backup.restore(get_engine(), Path(args.file))
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"数据库已从 {args.file} 恢复")
    return 0


def demo_load(args: argparse.Namespace) -> int:
    """Load reference data and the demo year into an empty database."""
    from xcert_app.db import session_scope
    from xcert_app.services import demo
    from xcert_app.services.errors import ServiceError

    if args.if_empty:
        with session_scope() as session:
            if not demo.is_empty(session):
                print("数据库中已有数据，跳过演示数据")
                return 0
    try:
        with session_scope() as session:
            counts = demo.load_demo(session)
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    print("演示数据已装入：" + json.dumps(counts, ensure_ascii=False))
    return 0


def reference_load(_args: argparse.Namespace) -> int:
    """Load divisions, institutions and majors into empty tables."""
    from xcert_app.db import session_scope
    from xcert_app.services import reference

    with session_scope() as session:
        counts = reference.load_reference_data(session)
    print("参考数据：" + json.dumps(counts, ensure_ascii=False))
    return 0


def accounts_create(args: argparse.Namespace) -> int:
    """Create an account; prints the generated password once."""
    from sqlmodel import select

    from xcert_app.db import session_scope
    from xcert_app.models.accounts import Role
    from xcert_app.models.orgs import Organisation
    from xcert_app.services import accounts
    from xcert_app.services.errors import ServiceError

    try:
        role = Role(args.role)
    except ValueError:
        print(
            f"未知角色 {args.role}，可选：{', '.join(r.value for r in Role)}",
            file=sys.stderr,
        )
        return 2
    try:
        with session_scope() as session:
            organisation_id = None
            if args.organisation:
                organisation = session.exec(
                    select(Organisation).where(
                        (Organisation.name == args.organisation)
                        | (Organisation.institution_code == args.organisation)
                    )
                ).first()
                if organisation is None:
                    print(f"找不到机构 {args.organisation}", file=sys.stderr)
                    return 1
                organisation_id = organisation.id
            password = args.password or accounts.generate_password()
            if args.password:
                accounts.check_password_rules(password)
            accounts.create_account(
                session,
                username=args.username,
                password=password,
                role=role,
                organisation_id=organisation_id,
                display_name=args.name or args.username,
                must_change_password=not args.password,
            )
    except ServiceError as error:
        print(error.message, file=sys.stderr)
        return 1
    print(f"账号 {args.username} 已创建，初始密码：{password}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m xcert_app", description="xcert operator commands"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db_parser = commands.add_parser("db", help="database: upgrade, backup, restore")
    db_commands = db_parser.add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db_commands.add_parser("upgrade", help="apply all migrations").set_defaults(
        handler=db_upgrade
    )

    demo_parser = commands.add_parser("demo", help="demo data: load")
    demo_commands = demo_parser.add_subparsers(
        dest="demo_command", required=True, metavar="ACTION"
    )
    demo_load_parser = demo_commands.add_parser(
        "load", help="load reference data and the demo year into an empty database"
    )
    demo_load_parser.add_argument(
        "--if-empty",
        action="store_true",
        help="exit quietly with 0 when the database has data",
    )
    demo_load_parser.set_defaults(handler=demo_load)

    reference_parser = commands.add_parser("reference", help="reference data: load")
    reference_commands = reference_parser.add_subparsers(
        dest="reference_command", required=True, metavar="ACTION"
    )
    reference_commands.add_parser(
        "load", help="load divisions, institutions and majors into empty tables"
    ).set_defaults(handler=reference_load)

    accounts_parser = commands.add_parser("accounts", help="accounts: create")
    accounts_commands = accounts_parser.add_subparsers(
        dest="accounts_command", required=True, metavar="ACTION"
    )
    create = accounts_commands.add_parser(
        "create", help="create an account and print its initial password"
    )
    create.add_argument("username", help="login name")
    create.add_argument(
        "--role",
        required=True,
        help="one of: " + ", ".join(role for role in _role_values()),
    )
    create.add_argument("--organisation", help="organisation name or institution code")
    create.add_argument("--name", help="display name")
    create.add_argument(
        "--password",
        help="initial password (default: generated, to be changed at first login)",
    )
    create.set_defaults(handler=accounts_create)

    for module in pkgutil.iter_modules(area_commands.__path__):
        importlib.import_module(f"{area_commands.__name__}.{module.name}").register(
            commands
        )
    return parser


def _role_values() -> list[str]:
    from xcert_app.models.accounts import Role

    return [role.value for role in Role]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return args.handler(args)
