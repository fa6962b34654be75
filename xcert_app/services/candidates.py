"""Candidates of a school: import by spreadsheet, the grid, manual confirmation, single edits.

One record per person and school (unique ID number). An import first checks the
whole file, then writes every valid row in the caller's transaction: a known ID
number updates that candidate, an identical row is counted as unchanged.
"""

import gc
import hashlib
import logging
import operator
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection, and_, func, insert, or_, update
from sqlmodel import Session, select

from xcert_app.clock import clock
from xcert_app.models.candidates import (
    VERIFICATION_LABELS,
    Candidate,
    CandidateKind,
    VerificationStatus,
)
from xcert_app.services import audit
from xcert_app.services.actor import Actor, require_school
from xcert_app.services.errors import (
    AlreadyDone,
    Conflict,
    NotFound,
    ServiceError,
    ValidationError,
)
from xcert_app.services.masking import mask_id_number
from xcert_app.services.verification import (
    CandidateFacts,
    apply_verification,
    get_verifier,
)
from xcert_app.spreadsheets import candidates as sheets
from xcert_app.spreadsheets.reading import SheetRow

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
REPORT_ERROR_ROWS = 200
WRITE_CHUNK = 1000
# SQLite allows 999 bound parameters per statement in older builds.
LOOKUP_CHUNK = 900
DATA_FIELDS = [name for name, _ in sheets.COLUMNS]
# A change to these fields invalidates an earlier verification or confirmation.
IDENTITY_FIELDS = ("name", "id_type")
KIND_LABELS = {CandidateKind.SCHOOL: "院校考生", CandidateKind.SOCIAL: "社会考生"}
SORTABLE = {
    "name": Candidate.name,
    "id_number": Candidate.id_number,
    "major": Candidate.major,
    "programme_level": Candidate.programme_level,
    "enrolment_year": Candidate.enrolment_year,
    "verification_status": Candidate.verification_status,
    "updated_at": Candidate.updated_at,
}

ProgressCallback = Callable[[int, int], None]
CHECKED_FILES_KEPT = 2
_CHECKED_FILES: OrderedDict[tuple[str, str], tuple] = OrderedDict()
_CACHE_LOCK = threading.Lock()


@dataclass
class ImportReport:
    """The outcome of a check or an import: counts, and the rejected rows with reasons."""

    file_format: str = ""
    sheet_name: str = ""
    header_row: int = 0
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    blank_rows: int = 0
    written: bool = False
    error_rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Plan:
    new: int = 0
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    # Errors found against the database, by sheet row number; the checked rows
    # themselves are shared through the cache and never changed.
    rejected: dict[int, str] = field(default_factory=dict)

    def errors_of(self, row: sheets.CheckedRow) -> list[str]:
        extra = self.rejected.get(row.number)
        return [*row.errors, extra] if extra else row.errors


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is checked or imported.

    Checking a file allocates several objects per row, which start full
    collections over the whole heap, measured at about 0.1 s each with 10,000
    rows by ``tests/bench_candidates.py``. Cycles made meanwhile are collected
    once the collector resumes. Two imports at once may resume it early, which
    costs only speed.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_kind(kind: str) -> CandidateKind:
    try:
        return CandidateKind(kind)
    except ValueError as error:
        raise ServiceError(f"未知的考生类别 {kind}") from error


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ServiceError(
            f"文件有 {len(data) // (1024 * 1024)} MB，超过 20 MB 上限，请分成几个文件导入"
        )


def _existing(session: Session, school_id: int, numbers: list[str]) -> dict[str, dict]:
    columns = [getattr(Candidate, name) for name in DATA_FIELDS]
    found: dict[str, dict] = {}
    # On a school's first import no candidate exists yet, and one query shows it.
    anyone = select(Candidate.id).where(Candidate.school_id == school_id).limit(1)
    if not numbers or session.exec(anyone).first() is None:
        return found
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        statement = select(
            Candidate.id,
            Candidate.kind,
            Candidate.verification_status,
            Candidate.photo_file_id,
            Candidate.photo_problems,
            *columns,
        ).where(Candidate.school_id == school_id, Candidate.id_number.in_(chunk))
        for row in session.exec(statement):
            found[row.id_number] = dict(row._mapping)
    return found


def _verify(values: dict, *, has_photo: bool, photo_problems, now) -> dict:
    facts = CandidateFacts(
        name=values["name"],
        id_type=values["id_type"],
        id_number=values["id_number"],
        has_photo=has_photo,
        photo_problems=tuple(photo_problems or ()),
    )
    result = get_verifier().verify(facts)
    return {
        "verification_status": result.status.value,
        "verification_reasons": list(result.reasons),
        "verified_at": now,
        "confirmed_by_id": None,
    }


def _new_record(values: dict, school_id: int, kind: CandidateKind, now) -> dict:
    record = {**values, "school_id": school_id, "kind": kind.value}
    record.update(_verify(values, has_photo=False, photo_problems=(), now=now))
    record.update(created_at=now, updated_at=now, photo_problems=[])
    return record


def _plan(
    session: Session,
    *,
    school_id: int,
    kind: CandidateKind,
    rows: list[sheets.CheckedRow],
    write: bool = False,
) -> _Plan:
    """Decide per valid row: insert, update or unchanged; reject rows of the other kind.

    Pass ``write`` only for a plan that will be written. Only then does it build
    the rows to insert and the verification outcome of each new or changed row,
    because a check needs only the counts.
    """
    numbers = [row.values["id_number"] for row in rows if not row.errors]
    existing = _existing(session, school_id, numbers)
    plan = _Plan()
    now = clock.now()
    for row in rows:
        if row.errors:
            continue
        known = existing.get(row.values["id_number"])
        if known is None:
            plan.new += 1
            if write:
                plan.inserts.append(_new_record(row.values, school_id, kind, now))
            continue
        values = dict(row.values)
        if known["kind"] != kind.value:
            other = KIND_LABELS[CandidateKind(known["kind"])]
            plan.rejected[row.number] = (
                f"第 {row.number} 行：证件号码 {values['id_number']} 已登记为本校"
                f"{other}，请在“{other}”中修改该考生，或删除本行"
            )
            continue
        if (
            not row.pinyin_given
            and known["name_pinyin"]
            and (known["name"] == values["name"])
        ):
            values["name_pinyin"] = known["name_pinyin"]
        changes = {
            name: value for name, value in values.items() if known[name] != value
        }
        if not changes:
            plan.unchanged += 1
            continue
        change = {"id": known["id"], **changes, "updated_at": now}
        if write and any(name in changes for name in IDENTITY_FIELDS):
            merged = {**known, **values}
            change.update(
                _verify(
                    merged,
                    has_photo=bool(known["photo_file_id"]),
                    photo_problems=known["photo_problems"],
                    now=now,
                )
            )
        plan.updates.append(change)
    return plan


def _insert_candidates(connection: Connection, records: list[dict]) -> None:
    """Insert new candidates, converting each distinct value for the database once.

    Every row of an import shares its timestamps and one of a few verification
    outcomes, so the JSON and timestamp conversions run once per value, not once
    per row. The converted rows go to the driver without SQLAlchemy's per-row
    processing, so this also fills ``id_number_reversed``, which the column
    default would otherwise fill.
    """
    fields = list(records[0])
    names = [*fields, "id_number_reversed"]
    values_of = operator.itemgetter(*fields)
    processors = {}
    for position, name in enumerate(names):
        processor = Candidate.__table__.columns[name].type.bind_processor(
            connection.dialect
        )
        if processor is not None:
            processors[position] = processor
    converted: dict[tuple, object] = {}
    rows = []
    for record in records:
        row = [*values_of(record), record["id_number"][::-1]]
        for position, processor in processors.items():
            value = row[position]
            key = (position, tuple(value) if isinstance(value, list) else value)
            if key not in converted:
                converted[key] = processor(value)
            row[position] = converted[key]
        rows.append(row)

    if connection.dialect.name == "sqlite":
        # sqlite3's executemany is the fastest path. psycopg2's executemany runs
        # one statement per row, so other databases keep SQLAlchemy's batched
        # insert.
        columns = ", ".join(names)
        placeholders = ", ".join("?" * len(names))
        connection.exec_driver_sql(
            f"INSERT INTO {Candidate.__tablename__} ({columns}) VALUES ({placeholders})",
            [tuple(row) for row in rows],
        )
        return
    untyped = sa.table(Candidate.__tablename__, *[sa.column(name) for name in names])
    connection.execute(
        insert(untyped), [dict(zip(names, row, strict=True)) for row in rows]
    )


def _report(table, rows, plan: _Plan, kind: CandidateKind) -> ImportReport:
    refused = [row for row in rows if plan.errors_of(row)]
    report = ImportReport(
        file_format=table.file_format,
        sheet_name=table.sheet_name,
        header_row=table.header_row,
        rows=len(rows),
        new=plan.new,
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        errors=len(refused),
        blank_rows=table.blank_rows,
    )
    for row in refused[:REPORT_ERROR_ROWS]:
        report.error_rows.append(
            {"row": row.number, "reasons": list(plan.errors_of(row))}
        )
    report.notes = sheets.unreadable_notes(rows, kind)
    report.notes += [note for row in rows for note in row.notes]
    if len(refused) > REPORT_ERROR_ROWS:
        report.notes.append(
            f"另有 {len(refused) - REPORT_ERROR_ROWS} 行有错误，请下载错误报告查看全部"
        )
    return report


def _read(data: bytes, kind: CandidateKind):
    """Read and check a file; the page's check and import steps share one result.

    The row checks depend only on the file's bytes, so the result is cached by
    content hash for the import that usually follows the check.
    """
    _check_size(data)
    key = (hashlib.sha256(data).hexdigest(), kind.value)
    with _CACHE_LOCK:
        cached = _CHECKED_FILES.get(key)
    if cached is None:
        cached = sheets.read_candidates(data, kind)
        with _CACHE_LOCK:
            _CHECKED_FILES[key] = cached
            while len(_CHECKED_FILES) > CHECKED_FILES_KEPT:
                _CHECKED_FILES.popitem(last=False)
    table, rows = cached
    if not rows:
        raise ServiceError(
            f"文件在表头（第 {table.header_row} 行）下面没有考生数据，请填写后再导入"
        )
    if len(rows) > MAX_ROWS:
        raise ServiceError(
            f"文件有 {len(rows)} 行考生，一次最多导入 {MAX_ROWS} 行，请分成几个文件"
        )
    return table, rows


def check_import(
    session: Session, *, actor: Actor, data: bytes, kind: str
) -> ImportReport:
    """Check a candidate file without writing: counts of new, updated, unchanged, errors."""
    school_id = require_school(actor)
    kind = _check_kind(kind)
    with _collector_paused():
        table, rows = _read(data, kind)
        plan = _plan(session, school_id=school_id, kind=kind, rows=rows)
    return _report(table, rows, plan, kind)


def _write(session: Session, plan: _Plan, progress: ProgressCallback | None) -> None:
    total = len(plan.inserts) + len(plan.updates)
    done = 0
    connection = session.connection()
    for start in range(0, len(plan.inserts), WRITE_CHUNK):
        chunk = plan.inserts[start : start + WRITE_CHUNK]
        _insert_candidates(connection, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    for start in range(0, len(plan.updates), WRITE_CHUNK):
        chunk = plan.updates[start : start + WRITE_CHUNK]
        session.execute(update(Candidate), chunk)
        done += len(chunk)
        if progress:
            progress(done, total)


def import_candidates(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    kind: str,
    file_name: str = "",
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Check the file again and write every valid row in the caller's transaction."""
    started = time.perf_counter()
    school_id = require_school(actor)
    kind = _check_kind(kind)
    with _collector_paused():
        table, rows = _read(data, kind)
        plan = _plan(session, school_id=school_id, kind=kind, rows=rows, write=True)
        _write(session, plan, progress)

    report = _report(table, rows, plan, kind)
    report.written = True
    audit.record(
        session,
        actor=actor,
        action="candidates.import",
        entity="candidate",
        entity_id=f"school:{school_id}",
        after={
            "kind": kind.value,
            "file": file_name,
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": report.errors,
        },
    )
    logger.info(
        "candidate import school=%s kind=%s rows=%d new=%d updated=%d unchanged=%d "
        "errors=%d in %.2fs",
        school_id,
        kind.value,
        report.rows,
        report.new,
        report.updated,
        report.unchanged,
        report.errors,
        time.perf_counter() - started,
    )
    return report


def error_report(session: Session, *, actor: Actor, data: bytes, kind: str) -> bytes:
    """Return the file's refused rows as sent, plus a 错误原因 column."""
    school_id = require_school(actor)
    kind = _check_kind(kind)
    table, rows = _read(data, kind)
    plan = _plan(session, school_id=school_id, kind=kind, rows=rows)
    return sheets.build_error_report(table, rows, plan.errors_of)


def template(kind: str) -> bytes:
    """Return the import template for school candidates or social trainees."""
    return sheets.build_template(_check_kind(kind))


@dataclass
class GridQuery:
    """Filters, sorting and the page of the candidate grid."""

    kind: str = CandidateKind.SCHOOL.value
    status: str = ""
    major: str = ""
    programme_level: str = ""
    enrolment_year: int | None = None
    missing_photo: bool = False
    search: str = ""
    sort: str = "id_number"
    descending: bool = False
    page: int = 1
    page_size: int = 20


def _filtered(statement, school_id: int, query: GridQuery, dialect: str):
    statement = statement.where(
        Candidate.school_id == school_id, Candidate.kind == query.kind
    )
    if query.status:
        statement = statement.where(Candidate.verification_status == query.status)
    if query.major:
        statement = statement.where(Candidate.major == query.major)
    if query.programme_level:
        statement = statement.where(Candidate.programme_level == query.programme_level)
    if query.enrolment_year:
        statement = statement.where(Candidate.enrolment_year == query.enrolment_year)
    if query.missing_photo:
        statement = statement.where(Candidate.photo_file_id.is_(None))
    search = sheets.clean_text(query.search).replace(" ", "").upper()
    if search:
        statement = statement.where(_search_condition(search, dialect))
    return statement


def _prefix(column, text: str, dialect: str):
    condition = column.startswith(text, autoescape=True)
    if dialect == "sqlite":
        # SQLite's LIKE cannot use an index; the byte-order range can, and on
        # SQLite every string that starts with ``text`` sorts inside it.
        condition = and_(column >= text, column < text + "\U0010ffff", condition)
    return condition


def _search_condition(search: str, dialect: str):
    """Match an ID number by its start or its last digits, or a name by its start."""
    if any(ch.isdigit() for ch in search):
        if len(search) >= 7:
            return _prefix(Candidate.id_number, search, dialect)
        return or_(
            _prefix(Candidate.id_number_reversed, search[::-1], dialect),
            _prefix(Candidate.id_number, search, dialect),
        )
    if search.isascii():
        # The search has no spaces and is upper case, so the pinyin is compared
        # the same way: "lisi", "li si" and "LI" all find "LI SI".
        pinyin = func.upper(func.replace(Candidate.name_pinyin, " ", ""))
        return or_(
            pinyin.startswith(search, autoescape=True),
            Candidate.name.contains(search, autoescape=True),
        )
    return _prefix(Candidate.name, search, dialect)


def grid_row(row) -> dict:
    """Return one grid row for the page: masked ID number, labels, no full numbers."""
    status = VerificationStatus(row.verification_status)
    return {
        "id": row.id,
        "name": row.name,
        "name_pinyin": row.name_pinyin,
        "id_type": row.id_type,
        "id_number": mask_id_number(row.id_number),
        "mobile": row.mobile,
        "major": row.major,
        "programme_level": row.programme_level,
        "enrolment_year": row.enrolment_year,
        "status": status.value,
        "status_label": VERIFICATION_LABELS[status],
        "reasons": "；".join(row.verification_reasons or []),
        "photo_file_id": row.photo_file_id,
    }


def list_candidates(
    session: Session, *, actor: Actor, query: GridQuery, count: bool = True
) -> tuple[list[dict], int | None]:
    """Return one page of the school's candidates and the number matching the filters.

    Paging and sorting do not change the number, so callers pass ``count=False``
    for them and get None in its place.
    """
    school_id = require_school(actor)
    _check_kind(query.kind)
    dialect = session.get_bind().dialect.name
    total = None
    if count:
        total = session.exec(
            _filtered(
                select(func.count()).select_from(Candidate), school_id, query, dialect
            )
        ).one()
        # With no match, the page query could walk the whole sort index looking
        # for one.
        if total == 0:
            return [], 0
    # NOTE: on SQLite, a filter that matches only a few of many candidates can
    # still be slow (about 1 s over 200,000). SQLite's statistics hold only the
    # average rows per value, so it walks the sort index, not the filter index.
    column = SORTABLE.get(query.sort, Candidate.id_number)
    order = (
        [column.desc(), Candidate.id.desc()]
        if query.descending
        else [
            column,
            Candidate.id,
        ]
    )
    page_size = max(1, min(query.page_size, 200))
    page = max(1, query.page)
    statement = _filtered(
        select(
            Candidate.id,
            Candidate.name,
            Candidate.name_pinyin,
            Candidate.id_type,
            Candidate.id_number,
            Candidate.mobile,
            Candidate.major,
            Candidate.programme_level,
            Candidate.enrolment_year,
            Candidate.verification_status,
            Candidate.verification_reasons,
            Candidate.photo_file_id,
        ),
        school_id,
        query,
        dialect,
    )
    statement = statement.order_by(*order).offset((page - 1) * page_size)
    rows = session.exec(statement.limit(page_size)).all()
    return [grid_row(row) for row in rows], total


def filter_options(session: Session, *, actor: Actor, kind: str) -> dict[str, list]:
    """Return the majors and enrolment years in use, for the grid's filter lists."""
    school_id = require_school(actor)
    base = (Candidate.school_id == school_id, Candidate.kind == _check_kind(kind))
    majors = session.exec(
        select(Candidate.major).where(*base).distinct().order_by(Candidate.major)
    ).all()
    years = session.exec(
        select(Candidate.enrolment_year)
        .where(*base)
        .distinct()
        .order_by(Candidate.enrolment_year)
    ).all()
    return {
        "majors": [major for major in majors if major],
        "years": [year for year in years if year],
    }


def export_candidates(session: Session, *, actor: Actor, query: GridQuery) -> bytes:
    """Return every candidate matching the grid's filters as a re-importable .xlsx."""
    started = time.perf_counter()
    school_id = require_school(actor)
    dialect = session.get_bind().dialect.name
    statement = _filtered(select(Candidate), school_id, query, dialect).order_by(
        Candidate.id_number
    )
    rows = []
    for candidate in session.exec(statement):
        values = {name: getattr(candidate, name) for name in DATA_FIELDS}
        status = VerificationStatus(candidate.verification_status)
        values["status_label"] = VERIFICATION_LABELS[status]
        values["reasons"] = "；".join(candidate.verification_reasons or [])
        rows.append(values)
    data = sheets.build_export(query.kind, rows)
    logger.info(
        "candidate export school=%s kind=%s rows=%d in %.2fs",
        school_id,
        query.kind,
        len(rows),
        time.perf_counter() - started,
    )
    return data


def get_candidate(session: Session, *, actor: Actor, candidate_id: int) -> Candidate:
    """Return one of the caller's school's candidates; others are ``NotFound``."""
    school_id = require_school(actor)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.school_id != school_id:
        raise NotFound("考生不存在或不属于本校")
    return candidate


def confirm_candidate(session: Session, *, actor: Actor, candidate_id: int) -> None:
    """Record a person's confirmation of a candidate waiting for it (确认无误)."""
    candidate = get_candidate(session, actor=actor, candidate_id=candidate_id)
    if candidate.verification_status == VerificationStatus.CONFIRMED:
        raise AlreadyDone(f"考生 {candidate.name} 已人工确认通过，无需重复确认")
    if candidate.verification_status != VerificationStatus.NEEDS_CONFIRMATION:
        raise Conflict(
            f"考生 {candidate.name} 当前状态为"
            f"“{VERIFICATION_LABELS[VerificationStatus(candidate.verification_status)]}”，"
            "不需要人工确认，请刷新列表"
        )
    now = clock.now()
    # Only the first of two people confirming at once wins.
    result = session.execute(
        update(Candidate)
        .where(
            Candidate.id == candidate_id,
            Candidate.verification_status == VerificationStatus.NEEDS_CONFIRMATION,
        )
        .values(
            verification_status=VerificationStatus.CONFIRMED.value,
            confirmed_by_id=actor.account_id,
            verified_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict()
    session.expire(candidate)
    audit.record(
        session,
        actor=actor,
        action="candidate.confirm",
        entity="candidate",
        entity_id=candidate_id,
        before={"status": VerificationStatus.NEEDS_CONFIRMATION.value},
        after={"status": VerificationStatus.CONFIRMED.value},
    )


def _checked_form(values: dict, kind: CandidateKind) -> sheets.CheckedRow:
    fields = list(DATA_FIELDS)
    raw = [values.get(name) for name in fields]
    row = SheetRow(number=0, raw=raw)
    checked = sheets.check_row(row, {name: i for i, name in enumerate(fields)}, kind)
    if checked.field_errors:
        raise ValidationError(checked.field_errors)
    return checked


def save_candidate(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    values: dict,
    candidate_id: int | None = None,
) -> Candidate:
    """Add one candidate or edit one; the same checks as a spreadsheet row."""
    school_id = require_school(actor)
    kind = _check_kind(kind)
    checked = _checked_form(values, kind)
    clean = checked.values
    other = session.exec(
        select(Candidate).where(
            Candidate.school_id == school_id,
            Candidate.id_number == clean["id_number"],
        )
    ).first()
    if other is not None and other.id != candidate_id:
        raise ValidationError(
            {
                "id_number": f"证件号码 {clean['id_number']} 已有考生 {other.name}，请核对"
            }
        )
    if candidate_id is None:
        candidate = Candidate(school_id=school_id, kind=kind.value, **clean)
        session.add(candidate)
        before = {}
    else:
        candidate = get_candidate(session, actor=actor, candidate_id=candidate_id)
        before = {name: getattr(candidate, name) for name in DATA_FIELDS}
        if not checked.pinyin_given and candidate.name == clean["name"]:
            clean["name_pinyin"] = candidate.name_pinyin
        for name, value in clean.items():
            setattr(candidate, name, value)
        candidate.updated_at = clock.now()
    identity_changed = any(before.get(name) != clean[name] for name in IDENTITY_FIELDS)
    if identity_changed or before.get("id_number") != clean["id_number"]:
        apply_verification(candidate)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="candidate.add" if candidate_id is None else "candidate.edit",
        entity="candidate",
        entity_id=candidate.id,
        before={k: v for k, v in before.items() if k != "id_number"},
        after={k: v for k, v in clean.items() if k != "id_number"},
    )
    return candidate


def correct_candidate(
    session: Session, *, actor: Actor, candidate_id: int, values: dict
) -> Candidate:
    """Correct a candidate waiting for confirmation and confirm it in one step (修改)."""
    candidate = get_candidate(session, actor=actor, candidate_id=candidate_id)
    if candidate.verification_status != VerificationStatus.NEEDS_CONFIRMATION:
        raise Conflict(f"考生 {candidate.name} 不在待人工确认状态，请刷新列表")
    merged = {name: getattr(candidate, name) for name in DATA_FIELDS}
    merged.update({k: v for k, v in values.items() if k in DATA_FIELDS})
    candidate = save_candidate(
        session,
        actor=actor,
        kind=candidate.kind,
        values=merged,
        candidate_id=candidate_id,
    )
    if candidate.verification_status == VerificationStatus.NEEDS_CONFIRMATION:
        confirm_candidate(session, actor=actor, candidate_id=candidate_id)
        session.refresh(candidate)
    return candidate
