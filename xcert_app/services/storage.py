"""File storage outside any publicly served folder, with a row per file."""

import hashlib
import uuid
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from xcert_app.clock import clock
from xcert_app.models.files import StoredFile
from xcert_app.settings import settings


def storage_root() -> Path:
    """Return the storage directory, created on first use."""
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    return settings.storage_dir


def save_bytes(
    session: Session,
    *,
    data: bytes,
    kind: str,
    content_type: str,
    organisation_id: int | None,
    original_name: str = "",
    suffix: str = "",
) -> StoredFile:
    """Write ``data`` under a generated name and record it; the name never comes from the user."""
    relative_path = f"{kind}/{uuid.uuid4().hex}{suffix}"
    path = storage_root() / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stored = StoredFile(
        organisation_id=organisation_id,
        kind=kind,
        relative_path=relative_path,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=original_name[:256],
    )
    session.add(stored)
    session.flush()
    return stored


def read_bytes(stored: StoredFile) -> bytes:
    """Return the content of a stored file."""
    return (storage_root() / stored.relative_path).read_bytes()


def save_many(
    session: Session, *, files: list[dict], kind: str, content_type: str
) -> list[int]:
    """Write several files of one kind, record them in one statement, return their ids.

    Each item of ``files`` has ``data`` and optionally ``organisation_id``,
    ``original_name`` and ``suffix``; names are generated as in ``save_bytes``.
    """
    folder = storage_root() / kind
    folder.mkdir(parents=True, exist_ok=True)
    now = clock.now()
    rows = []
    for item in files:
        data = item["data"]
        relative_path = f"{kind}/{uuid.uuid4().hex}{item.get('suffix', '')}"
        (storage_root() / relative_path).write_bytes(data)
        rows.append(
            {
                "organisation_id": item.get("organisation_id"),
                "kind": kind,
                "relative_path": relative_path,
                "content_type": content_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "original_name": item.get("original_name", "")[:256],
                "created_at": now,
            }
        )
    if not rows:
        return []
    statement = insert(StoredFile).returning(
        StoredFile.id, sort_by_parameter_order=True
    )
    return list(session.execute(statement, rows).scalars())
