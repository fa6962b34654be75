"""The Alembic migrations build exactly the schema the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, select
from sqlmodel import SQLModel

from alembic import command
from xcert_app.cli import _alembic_config
from xcert_app.db import make_engine
from xcert_app.models.candidates import Candidate
from xcert_app.models.orgs import Organisation


def test_upgrade_matches_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert "candidate" in inspect(engine).get_table_names()


def test_upgrade_fills_reversed_id_numbers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'filled.db'}")
    config = _alembic_config()
    # The candidate table as revision 0002 left it, with the models' defaults.
    before = MetaData()
    candidate = Table(
        "candidate",
        before,
        *[
            column._copy()
            for column in Candidate.__table__.columns
            if column.name != "id_number_reversed"
        ],
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        school_id = connection.execute(
            insert(Organisation).values(kind="school", name="迁移学院")
        ).inserted_primary_key[0]
        connection.execute(
            insert(candidate),
            [
                {
                    "school_id": school_id,
                    "name": "王一",
                    "id_number": "11010119900307125X",
                },
                {
                    "school_id": school_id,
                    "name": "王二",
                    "id_number": "110101199003071233",
                },
            ],
        )
        command.upgrade(config, "head")
    with engine.connect() as connection:
        stored = connection.execute(
            select(Candidate.id_number, Candidate.id_number_reversed)
        ).all()
    assert sorted(stored) == [
        ("110101199003071233", "332170300991101011"),
        ("11010119900307125X", "X52170300991101011"),
    ]
