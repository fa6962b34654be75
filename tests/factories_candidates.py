"""Builders for candidate tests: a school with an admin, spreadsheets and photos."""

import io
from datetime import date
from itertools import count

from openpyxl import Workbook
from PIL import Image
from sqlmodel import Session

from tests.factories import make_actor, make_organisation
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate, CandidateKind, VerificationStatus
from xcert_app.services.actor import Actor
from xcert_app.services.identity import make_id_number
from xcert_app.spreadsheets.candidates import COLUMNS

HEADER = [title for _, title in COLUMNS]
RED = (200, 30, 40)
_sequence = count(1)


def school_admin(session: Session) -> Actor:
    """Return an admin actor of a new school."""
    return make_actor(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )


def id_number(sequence: int | None = None) -> str:
    number = sequence if sequence is not None else next(_sequence)
    return make_id_number("110101", date(2004, 1, 1 + number % 28), number % 1000)


def row(name: str, number: str, **fields) -> list:
    """Return a school-candidate row in template column order."""
    values = {
        "name_pinyin": "",
        "id_type": "居民身份证",
        "mobile": "13800138000",
        "major": "物流管理",
        "programme_level": "高职专科",
        "enrolment_year": "2023",
        **fields,
    }
    return [
        name,
        values["name_pinyin"],
        values["id_type"],
        number,
        values["mobile"],
        values["major"],
        values["programme_level"],
        values["enrolment_year"],
    ]


def xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "考生信息"
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def make_candidate(
    session: Session,
    actor: Actor,
    *,
    name: str = "王一",
    number: str | None = None,
    **fields,
) -> Candidate:
    values = {
        "kind": CandidateKind.SCHOOL,
        "mobile": "13800138000",
        "major": "物流管理",
        "programme_level": "高职专科",
        "enrolment_year": 2023,
        "verification_status": fields.pop("status", VerificationStatus.PENDING),
        **fields,
    }
    candidate = Candidate(
        school_id=actor.organisation_id,
        name=name,
        id_number=number or id_number(),
        **values,
    )
    session.add(candidate)
    session.flush()
    return candidate


def photo(
    size: tuple[int, int] = (295, 413),
    background: tuple[int, int, int] = RED,
    file_format: str = "JPEG",
    mode: str = "RGB",
) -> bytes:
    """Return a photo with a coloured background and a grey 'person' in the middle."""
    width, height = size
    image = Image.new("RGB", size, background)
    image.paste((90, 90, 90), (width // 4, height // 3, width * 3 // 4, height))
    if mode != "RGB":
        image = image.convert(mode)
    output = io.BytesIO()
    image.save(output, file_format)
    return output.getvalue()
