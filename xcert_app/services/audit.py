"""The audit log: every change of state in the workflow, append-only."""

from typing import Any

from sqlmodel import Session

from xcert_app.models.system import AuditEntry
from xcert_app.services.actor import Actor


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
