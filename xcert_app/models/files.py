"""Files kept by the platform outside any publicly served folder."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from xcert_app.models.base import created_at_field


class StoredFile(SQLModel, table=True):
    """An uploaded or generated file; the bytes live under the storage directory."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    kind: str = Field(
        max_length=32, description="photo / evidence / seal / signature / document"
    )
    relative_path: str = Field(max_length=256, unique=True)
    content_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    original_name: str = Field(default="", max_length=256)
    created_at: datetime = created_at_field()
