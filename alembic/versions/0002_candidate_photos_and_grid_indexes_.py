"""candidate photos and grid indexes, result failure reason

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 17:01:51.230910
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import xcert_app.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_thumbnail_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('photo_problems', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_index('ix_candidate_grid_id_number', ['school_id', 'kind', 'id_number'], unique=False)
        batch_op.create_index('ix_candidate_grid_level', ['school_id', 'kind', 'programme_level'], unique=False)
        batch_op.create_index('ix_candidate_grid_major', ['school_id', 'kind', 'major'], unique=False)
        batch_op.create_index('ix_candidate_grid_name', ['school_id', 'kind', 'name'], unique=False)
        batch_op.create_index('ix_candidate_grid_status', ['school_id', 'kind', 'verification_status'], unique=False)
        batch_op.create_index('ix_candidate_grid_year', ['school_id', 'kind', 'enrolment_year'], unique=False)
        batch_op.create_foreign_key('fk_candidate_photo_thumbnail_storedfile', 'storedfile', ['photo_thumbnail_file_id'], ['id'])

    with op.batch_alter_table('certificateresult', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_reason', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('certificateresult', schema=None) as batch_op:
        batch_op.drop_column('failure_reason')

    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_candidate_photo_thumbnail_storedfile', type_='foreignkey')
        batch_op.drop_index('ix_candidate_grid_year')
        batch_op.drop_index('ix_candidate_grid_status')
        batch_op.drop_index('ix_candidate_grid_name')
        batch_op.drop_index('ix_candidate_grid_major')
        batch_op.drop_index('ix_candidate_grid_level')
        batch_op.drop_index('ix_candidate_grid_id_number')
        batch_op.drop_column('photo_problems')
        batch_op.drop_column('photo_thumbnail_file_id')

