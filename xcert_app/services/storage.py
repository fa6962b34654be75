"""File storage outside any publicly served folder, with a row per file."""

import hashlib
import uuid
from pathlib import Path

from sqlalchemy import insert, select
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


def write_file(
    *,
    data: bytes,
    kind: str,
    content_type: str,
    organisation_id: int | None,
    original_name: str = "",
    suffix: str = "",
) -> dict:
    """Write ``data`` under a generated name and return the row to record for it.

    It touches no session, so worker threads and processes can write while the
    caller records earlier rows with ``record_many``. Call ``storage_folder`` for
    the kind once first, because the folder is not created here.
    """
    relative_path = f"{kind}/{uuid.uuid4().hex}{suffix}"
    (settings.storage_dir / relative_path).write_bytes(data)
    return {
        "organisation_id": organisation_id,
        "kind": kind,
        "relative_path": relative_path,
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "original_name": original_name[:256],
    }


def storage_folder(kind: str) -> Path:
    """Return the folder of one kind of file, created on first use."""
    folder = storage_root() / kind
    folder.mkdir(exist_ok=True)
    return folder


def record_many(session: Session, rows: list[dict]) -> list[int]:
    """Record files written by ``write_file``; return their ids in the order given."""
    if not rows:
        return []
    now = clock.now()
    # One executemany INSERT and one SELECT by the unique path, because an
    # INSERT ... RETURNING that must keep the order runs row by row on SQLite.
    table = StoredFile.__table__
    session.execute(insert(table), [{**row, "created_at": now} for row in rows])
    paths = [row["relative_path"] for row in rows]
    ids = dict(
        session.execute(
            select(table.c.relative_path, table.c.id).where(
                table.c.relative_path.in_(paths)
            )
        ).all()
    )
    return [ids[path] for path in paths]
