"""The audit log: every change of state in the workflow, append-only."""

from typing import Any

from sqlalchemy import event
from sqlmodel import Session, func, or_, select

from xcert_app.models.accounts import Role
from xcert_app.models.system import AuditEntry
from xcert_app.services.actor import Actor, require_role


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper, _connection, entry: AuditEntry) -> None:
    raise PermissionError(f"audit entry {entry.id} is append-only")


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add one audit entry in the caller's transaction."""
    entry = AuditEntry(
        account_id=actor.account_id if actor else None,
        account_name=actor.display_name or actor.username if actor else "system",
        role=str(actor.role) if actor else "system",
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
    )
    session.add(entry)
    return entry


def _jsonable(values: dict) -> dict:
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value)
        for key, value in values.items()
    }


def search(
    session: Session,
    *,
    actor: Actor,
    text: str = "",
    action: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Return one page of audit entries, newest first, and the total that match.

    Only the platform operator reads the whole log.
    """
    require_role(actor, Role.PLATFORM_ADMIN)
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                AuditEntry.account_name.like(pattern),
                AuditEntry.entity.like(pattern),
                AuditEntry.entity_id == text.strip(),
                AuditEntry.action.like(pattern),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total
