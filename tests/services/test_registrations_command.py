import json

from sqlmodel import select

from tests.factories_registration import add_candidates, by_certificate, make_year
from xcert_app import cli
from xcert_app.models.registrations import Registration


def test_command_imports_and_prints_json(session, tmp_path, capsys):
    year = make_year(session)
    candidates = add_candidates(session, year, 2)
    session.commit()
    path = tmp_path / "报考.xlsx"
    path.write_bytes(by_certificate(year, candidates))

    code = cli.main(
        [
            "registrations",
            "import",
            str(path),
            "--school",
            year.school.institution_code,
            "--plan",
            year.plan.code,
            "--by",
            "certificate",
            "--json",
        ]
    )

    output = json.loads(capsys.readouterr().out)
    assert code == 0
    assert output["applied"] is True
    assert output["registrations_added"] == 6
    assert output["refused"] == []
    assert len(session.exec(select(Registration)).all()) == 6


def test_command_reports_unknown_school(session, tmp_path, capsys):
    path = tmp_path / "报考.xlsx"
    path.write_bytes(b"PK\x03\x04")
    code = cli.main(
        [
            "registrations",
            "import",
            str(path),
            "--school",
            "9999999999",
            "--plan",
            "K000000000000",
            "--by",
            "subject",
            "--json",
        ]
    )
    assert code == 1
    assert "找不到院校代码为 9999999999" in json.loads(capsys.readouterr().out)["error"]
