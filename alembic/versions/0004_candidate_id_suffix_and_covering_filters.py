"""candidate ID-number suffix column, covering grid filter indexes, fewer indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTER_COLUMNS = ["verification_status", "programme_level", "major", "enrolment_year"]
FILTER_INDEXES = {
    "ix_candidate_grid_status": "verification_status",
    "ix_candidate_grid_major": "major",
    "ix_candidate_grid_level": "programme_level",
    "ix_candidate_grid_year": "enrolment_year",
}
# Single-column indexes that no query needs, because the grid indexes start with
# school_id and kind, and each index slows imports.
DROPPED_INDEXES = {
    "ix_candidate_school_id": "school_id",
    "ix_candidate_kind": "kind",
    "ix_candidate_name": "name",
    "ix_candidate_major": "major",
    "ix_candidate_programme_level": "programme_level",
    "ix_candidate_enrolment_year": "enrolment_year",
    "ix_candidate_verification_status": "verification_status",
}
FILL_CHUNK = 5000


def _fill_reversed_id_numbers() -> None:
    # SQLite has no reverse(), so both dialects reverse in Python.
    connection = op.get_bind()
    candidate = sa.table(
        "candidate",
        sa.column("id", sa.Integer),
        sa.column("id_number", sa.String),
        sa.column("id_number_reversed", sa.String),
    )
    rows = connection.execute(sa.select(candidate.c.id, candidate.c.id_number)).all()
    statement = (
        candidate.update()
        .where(candidate.c.id == sa.bindparam("row_id"))
        .values(id_number_reversed=sa.bindparam("reversed"))
    )
    for start in range(0, len(rows), FILL_CHUNK):
        chunk = rows[start : start + FILL_CHUNK]
        connection.execute(
            statement,
            [{"row_id": row.id, "reversed": row.id_number[::-1]} for row in chunk],
        )


def upgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "id_number_reversed",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=True,
            )
        )

    _fill_reversed_id_numbers()

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.alter_column(
            "id_number_reversed",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
            nullable=False,
        )
        batch_op.create_index(
            "ix_candidate_grid_id_suffix",
            ["school_id", "kind", "id_number_reversed"],
            unique=False,
            postgresql_ops={"id_number_reversed": "varchar_pattern_ops"},
        )
        for name, first in FILTER_INDEXES.items():
            rest = [column for column in FILTER_COLUMNS if column != first]
            batch_op.drop_index(name)
            batch_op.create_index(
                name, ["school_id", "kind", first, "id", *rest], unique=False
            )
        for name in DROPPED_INDEXES:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        for name, column in DROPPED_INDEXES.items():
            batch_op.create_index(name, [column], unique=False)
        for name, first in FILTER_INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, ["school_id", "kind", first], unique=False)
        batch_op.drop_index("ix_candidate_grid_id_suffix")
        batch_op.drop_column("id_number_reversed")
