"""Backup and restore round trip, on whichever database the tests run against."""

from sqlmodel import Session, select

from tests.factories import make_organisation
from xcert_app.models.orgs import Organisation
from xcert_app.services import backup


def test_backup_then_restore_brings_back_the_data(session, engine, tmp_path):
    make_organisation(session, name="备份前的学校")
    session.commit()
    target = backup.backup(engine, tmp_path / "xcert.backup")

    kept = session.exec(
        select(Organisation).where(Organisation.name == "备份前的学校")
    ).one()
    kept.name = "备份后改过的名字"
    session.add(kept)
    make_organisation(session, name="备份后新增的学校")
    session.commit()
    session.close()

    backup.restore(engine, target)

    with Session(engine) as fresh:
        names = set(fresh.exec(select(Organisation.name)).all())
    assert names == {"备份前的学校"}
