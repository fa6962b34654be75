"""Subject import for assessment organisations: the Excel template and a row-by-row report.

A row adds a subject, or changes the subject with the same code when it belongs
to the caller's organisation. Valid rows are saved in the caller's transaction;
each invalid row is rolled back to its own savepoint and listed in the report.
"""

import io
import logging
import time
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font
from python_calamine import CalamineWorkbook
from sqlmodel import Session, select

from xcert_app.models.catalogue import Audience, Certificate, CertificateLevel, Subject
from xcert_app.services import catalogue
from xcert_app.services.actor import Actor, require_org
from xcert_app.services.errors import AccessDenied, ValidationError

logger = logging.getLogger(__name__)

HEADERS = [
    "科目编号",
    "科目名称",
    "考试方式",
    "证书编号",
    "证书等级",
    "参考对象",
    "科目状态",
]
EXAMPLE_ROW = ["043194", "基础考核", "机考", "156000310", "中级", "所有考生", "启用"]
MAX_ROWS = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
STATUS_VALUES = {"启用": True, "已启用": True, "停用": False, "已停用": False}


def subject_template() -> bytes:
    """Return the subject import template (.xlsx); the code column is text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "考试科目"
    sheet.append(HEADERS)
    sheet.append(EXAMPLE_ROW)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in ("A", "D"):
        for cell in sheet[column]:
            cell.number_format = "@"
    for column, width in zip("ABCDEFG", (12, 24, 10, 14, 10, 12, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class RowReport:
    """The outcome of one data row: its number in the sheet, code and errors."""

    row_number: int
    code: str
    action: str
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of a subject import."""

    rows: list[RowReport]

    @property
    def added(self) -> int:
        return sum(1 for row in self.rows if row.action == "新增")

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.action == "更新")

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def _cell_text(value) -> str:
    """Return a cell as text.

    A whole number typed into a cell without the text format is read as a float, so
    it is written without the decimal part.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """Return the data rows of the first sheet as text, header row checked and dropped."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": f"文件“{filename}”超过 5 MB，请拆分后导入"})
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:
        logger.warning("subject import %s unreadable: %s", filename, error)
        raise ValidationError(
            {"file": f"无法读取“{filename}”：请上传 .xlsx 或 .xls 格式的导入模板"}
        ) from error
    if (
        not sheet
        or [_cell_text(value) for value in sheet[0][: len(HEADERS)]] != HEADERS
    ):
        raise ValidationError(
            {"file": f"“{filename}”的表头与模板不一致，请下载模板后按列填写"}
        )
    rows = [[_cell_text(value) for value in row[: len(HEADERS)]] for row in sheet[1:]]
    rows = [row + [""] * (len(HEADERS) - len(row)) for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise ValidationError({"file": f"一次最多导入 {MAX_ROWS} 行，请拆分文件"})
    return rows


def import_subjects(
    session: Session, *, actor: Actor, data: bytes, filename: str
) -> ImportReport:
    """Add or change the caller's subjects from an import file; return a row report."""
    org_id = require_org(actor)
    started = time.monotonic()
    rows = read_rows(data, filename)
    levels = _org_levels(session, org_id)

    reports = []
    seen: set[str] = set()
    for row_number, row in enumerate(rows, start=2):
        if not any(row):
            continue
        reports.append(
            _import_row(session, actor, org_id, levels, row_number, row, seen)
        )

    report = ImportReport(rows=reports)
    logger.info(
        "subject import by org %s: %s rows, %s added, %s updated, %s failed in %.2fs",
        org_id,
        len(reports),
        report.added,
        report.updated,
        report.failed,
        time.monotonic() - started,
    )
    return report


def _org_levels(session: Session, org_id: int) -> dict[tuple[str, str], int]:
    pairs = session.exec(
        select(Certificate.code, CertificateLevel.level, CertificateLevel.id)
        .join(CertificateLevel, CertificateLevel.certificate_id == Certificate.id)
        .where(Certificate.org_id == org_id)
    ).all()
    return {(code, level): level_id for code, level, level_id in pairs}


def _import_row(
    session: Session,
    actor: Actor,
    org_id: int,
    levels: dict[tuple[str, str], int],
    row_number: int,
    row: list[str],
    seen: set[str],
) -> RowReport:
    code, name, mode, certificate_code, level, audience, status = row
    if code.isdigit() and len(code) < 6:
        code = code.zfill(6)
    report = RowReport(row_number=row_number, code=code, action="")
    if code in seen:
        report.errors.append(f"科目编号 {code} 在文件中重复出现")
        return report
    seen.add(code)
    level_id = levels.get((certificate_code, level))
    if not certificate_code or not level:
        report.errors.append("证书编号和证书等级都必须填写")
        return report
    if level_id is None:
        report.errors.append(
            f"本机构没有编号为“{certificate_code}”、等级为“{level}”的证书"
        )
        return report
    if status and status not in STATUS_VALUES:
        report.errors.append(f"科目状态“{status}”无效：填写启用或停用")
        return report

    data = catalogue.SubjectInput(
        code=code,
        name=name,
        mode=mode,
        certificate_level_id=level_id,
        audience=audience or Audience.ALL,
        is_active=STATUS_VALUES.get(status, True),
    )
    existing = session.exec(select(Subject).where(Subject.code == code)).first()
    try:
        with session.begin_nested():
            if existing is None:
                catalogue.create_subject(session, actor=actor, data=data)
                report.action = "新增"
            else:
                catalogue.update_subject(
                    session, actor=actor, subject_id=existing.id, data=data
                )
                report.action = "更新"
    except ValidationError as error:
        report.errors.extend(error.errors.values())
    except AccessDenied:
        report.errors.append(f"科目编号 {code} 属于其他培训评价组织，不能修改")
    return report
