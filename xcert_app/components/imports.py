"""Shared pieces of spreadsheet import pages: the upload box, the server-side file
check, the row report and a select with an 全部 entry."""

import reflex as rx

from xcert_app.components import uploads
from xcert_app.services.errors import ServiceError
from xcert_app.services.registrations import ImportReport
from xcert_app.spreadsheets import registrations as sheets

ALL = "all"


async def read_upload(files: list[rx.UploadFile]) -> tuple[bytes, str]:
    """Return the one uploaded file's bytes and name, checked again on the server."""
    if len(files) != 1:
        raise ServiceError("请选择一个 .xlsx 文件上传")
    upload = files[0]
    data = await upload.read()
    name = upload.name or "上传文件.xlsx"
    if len(data) > sheets.MAX_IMPORT_BYTES:
        raise ServiceError(f"文件 {name} 超过 5 MB，请删除多余的工作表或空行后重新上传")
    if not (data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0")):
        raise ServiceError(f"文件 {name} 不是 Excel 工作簿，请下载模板填写后上传")
    return data, name


def report_rows(report: ImportReport) -> list[dict[str, str]]:
    """Turn an import report's refused rows into table rows for the page."""
    return [
        {
            "row": str(refusal.row_number),
            "id_number": refusal.id_number,
            "rule": refusal.rule,
            "message": refusal.message,
        }
        for refusal in report.refused
    ]


def select_box(options, value, on_change, *, placeholder: str, id: str, all_label=""):
    """Build a select over ``options`` (value/label dicts), with an optional 全部 entry."""
    items = [rx.select.item(all_label, value=ALL)] if all_label else []
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id),
        rx.select.content(
            *items,
            rx.foreach(
                options,
                lambda option: rx.select.item(option["label"], value=option["value"]),
            ),
        ),
        value=value,
        on_change=on_change,
    )


def report_table(summary, rows) -> rx.Component:
    """Show the outcome of the last import: a summary line and the rejected rows."""
    return rx.cond(
        summary != "",
        rx.vstack(
            rx.callout(summary, icon="info", id="import-summary", width="100%"),
            rx.cond(
                rows.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in ("行号", "证件号码", "规则", "原因与处理")
                            ]
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            rows,
                            lambda row: rx.table.row(
                                rx.table.cell(row["row"]),
                                rx.table.cell(row["id_number"]),
                                rx.table.cell(
                                    rx.badge(row["rule"], color_scheme="red")
                                ),
                                rx.table.cell(row["message"]),
                            ),
                        )
                    ),
                    width="100%",
                    id="import-report",
                ),
            ),
            width="100%",
        ),
    )


def upload_box(upload_id: str, handler, importing) -> rx.Component:
    """Build a drop zone that uploads the chosen file at once."""
    return uploads.upload(
        rx.vstack(
            rx.cond(
                importing,
                rx.hstack(rx.spinner(), rx.text("正在处理，请稍候…"), align="center"),
                rx.text(
                    "把 .xlsx 文件拖到这里，或点击选择文件（不超过 5 MB）", size="2"
                ),
            ),
            rx.cond(importing, rx.progress(width="16rem")),
            align="center",
        ),
        id=upload_id,
        multiple=False,
        max_files=1,
        accept={
            sheets.XLSX_MEDIA_TYPE: [".xlsx"],
            "application/vnd.ms-excel": [".xls"],
        },
        on_drop=handler(rx.upload_files(upload_id=upload_id)),
        disabled=importing,
        border=f"1px dashed {rx.color('gray', 7)}",
        padding="1.25rem",
        border_radius="8px",
        width="100%",
        cursor="pointer",
    )
