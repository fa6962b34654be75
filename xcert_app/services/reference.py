"""Reference data: loading divisions, institutions and majors, and searching them."""

import csv
import re
import unicodedata
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, func, or_, select

from xcert_app.models.reference import Division, Institution, Major

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def normalise_name(name: str) -> str:
    """NFKC, and drop every white space: the official list breaks some names across lines."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def province_code_of_institution(code: str) -> str:
    """Return the 6-digit province code from digits 3–4 of an institution code."""
    return f"{code[2:4]}0000"


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _is_empty(session: Session, table) -> bool:
    return session.exec(select(func.count()).select_from(table)).one() == 0


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert divisions, institutions and majors into empty tables; return counts added."""
    counts = {"divisions": 0, "institutions": 0, "majors": 0}
    if _is_empty(session, Division):
        rows = [
            {
                "code": row["code"],
                "name": row["name"],
                "level": int(row["level"]),
                "parent_code": row["parent_code"] or None,
            }
            for row in _read_csv("divisions.csv")
        ]
        session.execute(insert(Division), rows)
        counts["divisions"] = len(rows)
    if _is_empty(session, Institution):
        rows = [
            {
                "code": row["code"].strip(),
                "name": normalise_name(row["name"]),
                "department": normalise_name(row["department"]),
                "city": normalise_name(row["city"]),
                "level": row["level"].strip(),
                "remarks": row["remarks"].strip(),
                "province_code": province_code_of_institution(row["code"].strip()),
                "added_by_operator": False,
            }
            for row in _read_csv("moe-institutions.csv")
        ]
        session.execute(insert(Institution), rows)
        counts["institutions"] = len(rows)
    if _is_empty(session, Major):
        rows = [
            {
                "code": row["code"],
                "name": row["name"],
                "programme_level": row["programme_level"],
            }
            for row in _read_csv("majors.csv")
        ]
        session.execute(insert(Major), rows)
        counts["majors"] = len(rows)
    return counts


def provinces(session: Session) -> list[Division]:
    """Return the provinces in code order."""
    return list(
        session.exec(
            select(Division).where(Division.level == 1).order_by(Division.code)
        ).all()
    )


def children(session: Session, parent_code: str) -> list[Division]:
    """Return the cities of a province or the districts of a city."""
    return list(
        session.exec(
            select(Division)
            .where(Division.parent_code == parent_code)
            .order_by(Division.code)
        ).all()
    )


def division_name(session: Session, code: str) -> str:
    """Return a division's name, or an empty string."""
    division = session.get(Division, code) if code else None
    return division.name if division else ""


def search_institutions(
    session: Session, *, province_code: str, text: str, limit: int = 20
) -> list[Institution]:
    """Find institutions of a province by part of the normalised name or code."""
    query = select(Institution).where(Institution.province_code == province_code)
    text = normalise_name(text)
    if text:
        query = query.where(
            or_(Institution.name.contains(text), Institution.code.startswith(text))
        )
    return list(session.exec(query.order_by(Institution.code).limit(limit)).all())


def search_majors(session: Session, *, text: str, limit: int = 20) -> list[Major]:
    """Find majors by part of the name or code."""
    query = select(Major)
    text = text.strip()
    if text:
        query = query.where(or_(Major.name.contains(text), Major.code.startswith(text)))
    return list(session.exec(query.order_by(Major.code).limit(limit)).all())
