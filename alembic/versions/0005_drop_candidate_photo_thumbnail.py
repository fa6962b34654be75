"""drop the candidate photo thumbnail column

The grid draws thumbnails from the stored photo, so a photo import writes one
file per photo. Thumbnail files written before stay in storage as files of kind
``photo_thumb`` that nothing refers to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_candidate_photo_thumbnail_storedfile", type_="foreignkey"
        )
        batch_op.drop_column("photo_thumbnail_file_id")


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("photo_thumbnail_file_id", sa.Integer(), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_candidate_photo_thumbnail_storedfile",
            "storedfile",
            ["photo_thumbnail_file_id"],
            ["id"],
        )
