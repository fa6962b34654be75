"""Generated files (batch PDFs) kept in storage and fetched over plain HTTP.

A file sent with ``rx.download(data=...)`` travels base64-encoded in one websocket
message and is held in the backend's memory meanwhile, which does not suit a plan's
PDF of thousands of pages. Pages keep such a file here instead, and the browser
fetches it from ``GET /api/downloads/{id}`` (see ``xcert_app/api.py``). The request
carries either a login session of the organisation the file was made for, or a
signed link that the page hands only to the user who made the file. The link
works on its own because the backend may sit on another host than the pages
(a different port of 127.0.0.1, say), where the login cookie is not sent.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlmodel import Session

from xcert_app.clock import clock
from xcert_app.models.files import StoredFile
from xcert_app.services import storage
from xcert_app.services.actor import Actor
from xcert_app.services.errors import AccessDenied, NotFound
from xcert_app.services.secret import keyed_hash, same_hash

DOWNLOAD_KIND = "download"
URL_PREFIX = "/api/downloads/"
LINK_LIFETIME = timedelta(minutes=10)
EXPIRED_MESSAGE = "文件不存在或已失效，请重新生成"


def keep(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    content_type: str = "application/pdf",
) -> StoredFile:
    """Store a file generated for the caller's organisation and return its row."""
    if actor is None or actor.organisation_id is None:
        raise AccessDenied("只有机构账号可以下载生成的文件")
    return storage.save_bytes(
        session,
        data=data,
        kind=DOWNLOAD_KIND,
        content_type=content_type,
        organisation_id=actor.organisation_id,
        original_name=filename,
        suffix=Path(filename).suffix[:8],
    )


def locate(session: Session, *, actor: Actor, file_id: int) -> tuple[StoredFile, Path]:
    """Return a kept file of the caller's organisation and its path on disk."""
    stored = session.get(StoredFile, file_id)
    if (
        actor is None
        or stored is None
        or stored.kind != DOWNLOAD_KIND
        or stored.organisation_id is None
        or stored.organisation_id != actor.organisation_id
    ):
        raise NotFound(EXPIRED_MESSAGE)
    return stored, storage.storage_root() / stored.relative_path


def signed_path(file_id: int) -> str:
    """Return the path and query of a link to a kept file, valid for 10 minutes."""
    expires = str(int((clock.now() + LINK_LIFETIME).timestamp()))
    signature = keyed_hash("download", str(file_id), expires)
    return f"{URL_PREFIX}{file_id}?" + urlencode(
        {"expires": expires, "signature": signature}
    )


def locate_signed(
    session: Session, *, file_id: int, expires: str, signature: str
) -> tuple[StoredFile, Path]:
    """Return a kept file and its path for a link made by ``signed_path``."""
    expected = keyed_hash("download", str(file_id), expires)
    if not expires.isdigit() or not same_hash(expected, signature):
        raise NotFound(EXPIRED_MESSAGE)
    if int(expires) < clock.now().timestamp():
        raise NotFound(EXPIRED_MESSAGE)
    stored = session.get(StoredFile, file_id)
    if stored is None or stored.kind != DOWNLOAD_KIND:
        raise NotFound(EXPIRED_MESSAGE)
    return stored, storage.storage_root() / stored.relative_path
