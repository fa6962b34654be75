"""The operator command line."""

import subprocess
import sys

from sqlmodel import func, select

from xcert_app.cli import main
from xcert_app.models.accounts import Account
from xcert_app.services import demo


def test_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "xcert_app", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("db", "demo", "accounts", "reference"):
        assert command in result.stdout


def test_demo_load_refuses_non_empty_database(session, capsys):
    demo.load_demo(session)
    session.commit()
    before = session.exec(select(func.count()).select_from(Account)).one()
    assert main(["demo", "load"]) == 1
    assert "空数据库" in capsys.readouterr().err
    assert session.exec(select(func.count()).select_from(Account)).one() == before


def test_demo_load_if_empty_skips_quietly(session, capsys):
    demo.load_demo(session)
    session.commit()
    assert main(["demo", "load", "--if-empty"]) == 0
    assert "跳过" in capsys.readouterr().out


def test_accounts_create_prints_generated_password(session, capsys):
    demo.load_demo(session)
    session.commit()
    code = main(
        [
            "accounts",
            "create",
            "cnu_new",
            "--role",
            "school_admin",
            "--organisation",
            "4111010028",
        ]
    )
    assert code == 0
    assert "初始密码" in capsys.readouterr().out
    account = session.exec(select(Account).where(Account.username == "cnu_new")).one()
    assert account.must_change_password


def test_accounts_create_rejects_unknown_role(session, capsys):
    assert main(["accounts", "create", "x", "--role", "boss"]) == 2
    assert "未知角色" in capsys.readouterr().err
