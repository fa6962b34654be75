"""Named counters for order, ticket and certificate numbers; a value is never handed out twice."""

from sqlalchemy import update
from sqlmodel import Session

from xcert_app.models.system import NumberSequence


def next_values(session: Session, name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive values of counter ``name`` and return them.

    The update takes a row lock on PostgreSQL and the write lock on SQLite, so
    two transactions never receive the same values.
    """
    if session.get(NumberSequence, name) is None:
        session.add(NumberSequence(name=name, value=0))
        session.flush()
    session.exec(
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(value=NumberSequence.value + count)
    )
    sequence = session.get(NumberSequence, name)
    session.refresh(sequence)
    return range(sequence.value - count + 1, sequence.value + 1)
