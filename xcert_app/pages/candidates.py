"""考生管理: the candidate grid with imports, photos, exports and inline confirmation."""

import asyncio
import base64
import logging

import reflex as rx

from xcert_app import routes
from xcert_app.components import uploads
from xcert_app.components.links import link_parameters, pick
from xcert_app.components.page import page
from xcert_app.components.uploads import rejected_files_toast
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import VERIFICATION_LABELS, VerificationStatus
from xcert_app.models.files import StoredFile
from xcert_app.services import candidates, photos, storage
from xcert_app.services.errors import LoginExpired, ServiceError, ValidationError
from xcert_app.services.masking import mask_mobile
from xcert_app.spreadsheets.candidates import ID_TYPES, PROGRAMME_LEVELS
from xcert_app.state import SessionState, service_error_event, shows_service_errors

logger = logging.getLogger(__name__)

ALL = "all"
MISSING_PHOTO = "photo"
PAGE_SIZE = 20
MAX_PHOTO_BYTES = 5 * 1024 * 1024
EDIT_FIELDS = [
    ("name", "姓名"),
    ("name_pinyin", "姓名拼音"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("mobile", "手机号码"),
    ("major", "就读专业"),
    ("programme_level", "专业层次"),
    ("enrolment_year", "入学年份"),
]
SHEET_MISSING = "导入文件不存在，请重新选择文件"
KIND_FILE_NAMES = {"school": "院校考生", "social": "社会考生"}


class _Progress:
    """Progress of a worker thread, read by the background event that waits for it."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


class CandidatesState(SessionState):
    """One page of the grid, its filters, and the import and edit panels."""

    kind: str = "school"
    status: str = ALL
    major: str = ALL
    programme_level: str = ALL
    enrolment_year: str = ALL
    photo: str = ALL
    search: str = ""
    sort: str = "id_number"
    descending: bool = False
    page_number: int = 1
    total: int = 0
    rows: list[dict[str, str]] = []
    majors: list[str] = []
    years: list[str] = []

    upload_name: str = ""
    check_counts: dict[str, int] = {}
    check_errors: list[dict[str, str]] = []
    import_notes: list[str] = []
    checking: bool = False
    importing: bool = False
    import_progress: int = 0
    import_message: str = ""
    _import_file_id: int | None = None

    photo_importing: bool = False
    photo_progress: int = 0
    photo_summary: str = ""
    photo_refused: list[dict[str, str]] = []
    photo_unmatched: list[str] = []

    viewed_photo: str = ""
    viewed_name: str = ""

    editing_id: int = 0
    edit_values: dict[str, str] = {}
    edit_errors: dict[str, str] = {}
    adding: bool = False

    @rx.var
    def page_count(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    def _query(self) -> candidates.GridQuery:
        return candidates.GridQuery(
            kind=self.kind,
            status="" if self.status == ALL else self.status,
            major="" if self.major == ALL else self.major,
            programme_level="" if self.programme_level == ALL else self.programme_level,
            enrolment_year=None
            if self.enrolment_year == ALL
            else int(self.enrolment_year),
            missing_photo=self.photo == MISSING_PHOTO,
            search=self.search,
            sort=self.sort,
            descending=self.descending,
            page=self.page_number,
            page_size=PAGE_SIZE,
        )

    @rx.event
    def open_page(self):
        """Load the page with the filters a link puts in the address.

        ``?status=`` selects a verification status and ``?missing=photo`` the
        candidates without a photo, as the home page's to-do links send them. Either
        one clears the other filters, so the grid shows exactly what the link names.
        """
        requested = link_parameters(self, "status", "missing")
        if requested:
            self.kind = "school"
            self.major = self.programme_level = self.enrolment_year = ALL
            self.search = ""
            self.page_number = 1
            statuses = {status.value for status in VerificationStatus}
            self.status = pick(requested.get("status", ""), statuses, ALL)
            missing = requested.get("missing", "")
            self.photo = pick(missing, {MISSING_PHOTO}, ALL)
        return CandidatesState.load

    @rx.event
    @shows_service_errors
    def load(self):
        """Reload the filter lists and the current page."""
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or not actor.is_school:
                return
            options = candidates.filter_options(session, actor=actor, kind=self.kind)
        self.majors = options["majors"]
        self.years = [str(year) for year in options["years"]]
        return CandidatesState.load_page

    @rx.event
    @shows_service_errors
    def load_page(self):
        """Reload the current page and the number of matching candidates."""
        self._fetch(count=True)

    @rx.event
    @shows_service_errors
    def load_rows(self):
        """Reload only the rows: paging and sorting leave the number unchanged."""
        self._fetch(count=False)

    def _fetch(self, *, count: bool) -> None:
        with session_scope() as session:
            actor = self.require_actor(session)
            found, total = candidates.list_candidates(
                session, actor=actor, query=self._query(), count=count
            )
            file_ids = [row["photo_file_id"] for row in found if row["photo_file_id"]]
            images = photos.thumbnails(session, actor=actor, file_ids=file_ids)
        if total is not None:
            self.total = total
        self.rows = [_page_row(row, images) for row in found]

    @rx.event
    def set_kind(self, value: str):
        self.kind = value
        self.status = self.major = self.programme_level = self.enrolment_year = ALL
        self.photo = ALL
        self.search = ""
        self.page_number = 1
        self.editing_id = 0
        self._clear_import()
        return CandidatesState.load

    @rx.event
    def set_status(self, value: str):
        self.status = value
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def set_photo(self, value: str):
        self.photo = value
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def set_major(self, value: str):
        self.major = value
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def set_programme_level(self, value: str):
        self.programme_level = value
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def set_enrolment_year(self, value: str):
        self.enrolment_year = value
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def apply_search(self):
        self.page_number = 1
        return CandidatesState.load_page

    @rx.event
    def search_on_enter(self, key: str):
        if key == "Enter":
            return CandidatesState.apply_search

    @rx.event
    def sort_by(self, column: str):
        if self.sort == column:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, False
        return CandidatesState.load_rows

    @rx.event
    def go_to_page(self, number: int):
        self.page_number = min(max(1, number), self.page_count)
        return CandidatesState.load_rows

    @rx.event
    @shows_service_errors
    def download_template(self):
        name = f"{KIND_FILE_NAMES[self.kind]}导入模板.xlsx"
        return rx.download(data=candidates.template(self.kind), filename=name)

    @rx.event
    @shows_service_errors
    def export(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            query = self._query()
            data = candidates.export_candidates(session, actor=actor, query=query)
        return rx.download(data=data, filename=f"{KIND_FILE_NAMES[self.kind]}信息.xlsx")

    def _clear_import(self) -> None:
        self.upload_name = ""
        self.check_counts = {}
        self.check_errors = []
        self.import_notes = []
        self.import_message = ""
        self.import_progress = 0
        self._import_file_id = None

    @rx.event
    @shows_service_errors
    async def upload_candidates(self, files: list[rx.UploadFile]):
        """Keep the uploaded sheet in storage and start its check (step 1 of 2)."""
        self._clear_import()
        if not files:
            # The browser rejected the file, and its toast already explains why.
            return
        upload = files[0]
        data = await upload.read()
        if len(data) > candidates.MAX_FILE_BYTES:
            return rx.toast.error("文件超过 20 MB 上限，请分成几个文件导入")
        with session_scope() as session:
            actor = self.require_actor(session)
            stored = storage.save_bytes(
                session,
                data=data,
                kind="candidate_import",
                content_type="application/octet-stream",
                organisation_id=actor.organisation_id,
                original_name=upload.name or "",
            )
            self._import_file_id = stored.id
        self.upload_name = upload.name or ""
        self.checking = True
        return CandidatesState.run_check

    @rx.event(background=True)
    async def run_check(self):
        """Check the stored sheet in a thread, so a big file blocks no other user."""
        async with self:
            file_id, kind, token = self._import_file_id, self.kind, self.auth_token
        try:
            report = await asyncio.to_thread(_check_in_thread, token, file_id, kind)
        except ServiceError as error:
            async with self:
                self.checking = False
                self._import_file_id = None
            return service_error_event(self, error)
        async with self:
            self.checking = False
            if self._import_file_id == file_id:
                self._show_report(report)

    def _show_report(self, report: candidates.ImportReport) -> None:
        self.check_counts = {
            "rows": report.rows,
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": report.errors,
            "blank_rows": report.blank_rows,
        }
        self.check_errors = [
            {"row": str(item["row"]), "reasons": "；".join(item["reasons"])}
            for item in report.error_rows[:50]
        ]
        self.import_notes = report.notes[:20]

    def _stored_import(self, session) -> bytes:
        stored = session.get(StoredFile, self._import_file_id or 0)
        if (
            stored is None
            or stored.organisation_id != self.require_actor(session).organisation_id
        ):
            raise ServiceError("请先选择文件并完成检查")
        return storage.read_bytes(stored)

    @rx.event(background=True)
    async def run_import(self):
        """Write the checked file (step 2 of 2) in a thread, showing progress."""
        async with self:
            if self.importing or not self._import_file_id:
                return
            self.importing = True
            self.import_progress = 0
            file_id, kind, token = self._import_file_id, self.kind, self.auth_token
        progress = _Progress()
        task = asyncio.create_task(
            asyncio.to_thread(_import_in_thread, token, file_id, kind, progress)
        )
        while not task.done():
            await asyncio.sleep(0.3)
            async with self:
                self.import_progress = progress.percent()
        async with self:
            self.importing = False
            self.import_progress = 100
            try:
                report = task.result()
            except ServiceError as error:
                self.import_message = ""
                return service_error_event(self, error)
            self._show_report(report)
            self.import_message = (
                f"导入完成：新增 {report.new} 人，更新 {report.updated} 人，"
                f"未变化 {report.unchanged} 人，错误 {report.errors} 行"
            )
        return CandidatesState.load

    @rx.event
    @shows_service_errors
    def download_errors(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            data = candidates.error_report(
                session, actor=actor, data=self._stored_import(session), kind=self.kind
            )
        return rx.download(data=data, filename="考生导入错误报告.xlsx")

    @rx.event
    @shows_service_errors
    async def upload_photos(self, files: list[rx.UploadFile]):
        """Store the archive and start its import as a background event."""
        self.photo_summary = ""
        self.photo_refused = []
        self.photo_unmatched = []
        if not files:
            # The browser rejected the file, and its toast already explains why.
            return
        data = await files[0].read()
        if len(data) > photos.MAX_ARCHIVE_BYTES:
            return rx.toast.error("压缩包超过 1 GB，请分成几个压缩包上传")
        with session_scope() as session:
            actor = self.require_actor(session)
            stored = storage.save_bytes(
                session,
                data=data,
                kind="photo_archive",
                content_type="application/zip",
                organisation_id=actor.organisation_id,
                original_name=files[0].name or "",
            )
            file_id = stored.id
        return CandidatesState.run_photo_import(file_id)

    @rx.event(background=True)
    async def run_photo_import(self, file_id: int):
        async with self:
            if self.photo_importing:
                return
            self.photo_importing = True
            self.photo_progress = 0
            token = self.auth_token
        progress = _Progress()
        task = asyncio.create_task(
            asyncio.to_thread(_photos_in_thread, token, file_id, progress)
        )
        while not task.done():
            await asyncio.sleep(0.3)
            async with self:
                self.photo_progress = progress.percent()
        async with self:
            self.photo_importing = False
            self.photo_progress = 100
            try:
                report = task.result()
            except ServiceError as error:
                return service_error_event(self, error)
            self.photo_summary = (
                f"照片导入完成：匹配 {report.matched} 张（其中替换 {report.replaced} 张，"
                f"与原照片相同未改动 {report.unchanged} 张），"
                f"拒收 {len(report.refused)} 张，未匹配 {len(report.unmatched)} 个文件，"
                f"待人工确认 {report.needs_confirmation} 人"
            )
            self.photo_refused = [
                {"file": item["file"], "reason": item["reason"]}
                for item in report.refused[:100]
            ]
            self.photo_unmatched = report.unmatched[:100]
        return CandidatesState.load_page

    @rx.event
    @shows_service_errors
    def view_photo(self, candidate_id: str, name: str):
        """Open the stored full-size photo of one of the school's candidates."""
        with session_scope() as session:
            actor = self.require_actor(session)
            image = photos.photo_bytes(
                session, actor=actor, candidate_id=int(candidate_id)
            )
        if image is None:
            return rx.toast.error(f"{name} 还没有照片")
        self.viewed_photo = "data:image/jpeg;base64," + base64.b64encode(image).decode()
        self.viewed_name = name

    @rx.event
    def close_photo(self):
        self.viewed_photo = ""
        self.viewed_name = ""

    @rx.event
    @shows_service_errors
    def confirm(self, candidate_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            candidates.confirm_candidate(
                session, actor=actor, candidate_id=int(candidate_id)
            )
        self.editing_id = 0
        return [rx.toast.success("已确认无误"), CandidatesState.load_page]

    @rx.event
    @shows_service_errors
    def start_edit(self, candidate_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            candidate = candidates.get_candidate(
                session, actor=actor, candidate_id=int(candidate_id)
            )
            self.edit_values = {
                name: ""
                if getattr(candidate, name) is None
                else str(getattr(candidate, name))
                for name, _ in EDIT_FIELDS
            }
            self.edit_values["status"] = candidate.verification_status
        self.edit_errors = {}
        self.adding = False
        self.editing_id = int(candidate_id)

    @rx.event
    def start_add(self):
        self.edit_values = {name: "" for name, _ in EDIT_FIELDS}
        self.edit_values["id_type"] = ID_TYPES[0]
        self.edit_errors = {}
        self.editing_id = 0
        self.adding = True

    @rx.event
    def cancel_edit(self):
        self.editing_id = 0
        self.adding = False
        self.edit_errors = {}

    @rx.event
    def set_edit_value(self, name: str, value: str):
        self.edit_values[name] = value

    @rx.event
    @shows_service_errors
    def save_edit(self):
        """Save the form; a candidate waiting for confirmation is confirmed with it."""
        self.edit_errors = {}
        values = {name: self.edit_values.get(name, "") for name, _ in EDIT_FIELDS}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                if self.adding:
                    candidates.save_candidate(
                        session, actor=actor, kind=self.kind, values=values
                    )
                elif (
                    self.edit_values.get("status")
                    == VerificationStatus.NEEDS_CONFIRMATION
                ):
                    candidates.correct_candidate(
                        session,
                        actor=actor,
                        candidate_id=self.editing_id,
                        values=values,
                    )
                else:
                    candidates.save_candidate(
                        session,
                        actor=actor,
                        kind=self.kind,
                        values=values,
                        candidate_id=self.editing_id,
                    )
        except ValidationError as error:
            self.edit_errors = error.errors
            return
        message = "已新增考生" if self.adding else "已保存"
        self.editing_id = 0
        self.adding = False
        return [rx.toast.success(message), CandidatesState.load]

    @rx.event
    @shows_service_errors
    async def upload_single_photo(self, files: list[rx.UploadFile]):
        if not files:
            # The browser rejected the file, and its toast already explains why.
            return
        if not self.editing_id:
            return rx.toast.error("请先点击考生的“修改”，再上传照片")
        data = await files[0].read()
        if len(data) > MAX_PHOTO_BYTES:
            return rx.toast.error("照片超过 5 MB，请压缩后重新上传")
        with session_scope() as session:
            actor = self.require_actor(session)
            candidate = photos.upload_photo(
                session,
                actor=actor,
                candidate_id=self.editing_id,
                data=data,
                file_name=files[0].name or "照片",
            )
            self.edit_values["status"] = candidate.verification_status
        return [rx.toast.success("照片已更新"), CandidatesState.load_page]


def _owned_upload(session, token: str, file_id: int, missing: str):
    """Return the actor behind ``token`` and its stored upload, or raise ``missing``."""
    from xcert_app.services import accounts

    actor = accounts.actor_for_token(session, token)
    if actor is None:
        raise LoginExpired()
    stored = session.get(StoredFile, file_id)
    if stored is None or stored.organisation_id != actor.organisation_id:
        raise ServiceError(missing)
    return actor, stored


def _check_in_thread(token: str, file_id: int, kind: str):
    with session_scope() as session:
        actor, stored = _owned_upload(session, token, file_id, SHEET_MISSING)
        return candidates.check_import(
            session, actor=actor, data=storage.read_bytes(stored), kind=kind
        )


def _import_in_thread(token: str, file_id: int, kind: str, progress: _Progress):
    with session_scope() as session:
        actor, stored = _owned_upload(session, token, file_id, SHEET_MISSING)
        return candidates.import_candidates(
            session,
            actor=actor,
            data=storage.read_bytes(stored),
            kind=kind,
            file_name=stored.original_name,
            progress=progress,
        )


def _photos_in_thread(token: str, file_id: int, progress: _Progress):
    with session_scope() as session:
        actor, stored = _owned_upload(
            session, token, file_id, "压缩包不存在，请重新上传"
        )
        return photos.import_archive(
            session, actor=actor, data=storage.read_bytes(stored), progress=progress
        )


def _page_row(row: dict, images: dict[int, bytes]) -> dict[str, str]:
    image = images.get(row["photo_file_id"] or 0)
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "id_number": row["id_number"],
        "mobile": mask_mobile(row["mobile"]),
        "major": row["major"],
        "programme_level": row["programme_level"],
        "enrolment_year": str(row["enrolment_year"] or ""),
        "status": row["status"],
        "status_label": row["status_label"],
        "reasons": row["reasons"],
        "thumbnail": "data:image/jpeg;base64," + base64.b64encode(image).decode()
        if image
        else "",
    }


STATUS_COLORS = {
    VerificationStatus.PENDING.value: "gray",
    VerificationStatus.VERIFIED.value: "green",
    VerificationStatus.NEEDS_CONFIRMATION.value: "orange",
    VerificationStatus.CONFIRMED.value: "blue",
}


def _select(value, on_change, options, placeholder: str, element_id: str):
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=element_id),
        rx.select.content(
            rx.select.item(f"全部{placeholder}", value=ALL),
            *[rx.select.item(label, value=key) for key, label in options],
        ),
        value=value,
        on_change=on_change,
    )


def _filters() -> rx.Component:
    state = CandidatesState
    return rx.hstack(
        _select(
            state.status,
            state.set_status,
            [(status.value, label) for status, label in VERIFICATION_LABELS.items()],
            "认证状态",
            "filter-status",
        ),
        _select(
            state.photo,
            state.set_photo,
            [(MISSING_PHOTO, "缺少照片")],
            "照片",
            "filter-photo",
        ),
        rx.select.root(
            rx.select.trigger(placeholder="专业", id="filter-major"),
            rx.select.content(
                rx.select.item("全部专业", value=ALL),
                rx.foreach(state.majors, lambda m: rx.select.item(m, value=m)),
            ),
            value=state.major,
            on_change=state.set_major,
        ),
        _select(
            state.programme_level,
            state.set_programme_level,
            [(level, level) for level in PROGRAMME_LEVELS],
            "层次",
            "filter-level",
        ),
        rx.select.root(
            rx.select.trigger(placeholder="入学年份", id="filter-year"),
            rx.select.content(
                rx.select.item("全部年份", value=ALL),
                rx.foreach(state.years, lambda y: rx.select.item(y, value=y)),
            ),
            value=state.enrolment_year,
            on_change=state.set_enrolment_year,
        ),
        rx.input(
            placeholder="姓名、拼音或证件号码",
            value=state.search,
            on_change=state.set_search,
            on_key_down=state.search_on_enter,
            id="search",
            width="14rem",
        ),
        rx.button(
            "查询", on_click=state.apply_search, id="search-button", variant="soft"
        ),
        spacing="2",
        wrap="wrap",
    )


def _upload_box(
    upload_id: str, label: str, accept: dict, on_drop, refused_hint: str = ""
) -> rx.Component:
    refused = (
        {"on_drop_rejected": lambda files: rejected_files_toast(files, refused_hint)}
        if refused_hint
        else {}
    )
    return uploads.upload(
        rx.vstack(
            rx.icon("upload", size=18),
            rx.text(label, size="2"),
            align="center",
            spacing="1",
        ),
        id=upload_id,
        accept=accept,
        multiple=False,
        max_files=1,
        on_drop=on_drop(rx.upload_files(upload_id=upload_id)),
        **refused,
        border=f"1px dashed {rx.color('gray', 7)}",
        padding="0.75rem",
        border_radius="8px",
        width="16rem",
        cursor="pointer",
    )


def _count(label: str, key: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(
            CandidatesState.check_counts[key].to_string(),
            weight="bold",
            id=f"count-{key}",
        ),
        spacing="0",
        align="center",
    )


def _import_panel() -> rx.Component:
    state = CandidatesState
    sheet_types = {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
        "application/vnd.ms-excel": [".xls"],
        "text/csv": [".csv"],
    }
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("批量导入 / 批量修改", weight="bold"),
                rx.spacer(),
                rx.button(
                    "下载模板",
                    on_click=state.download_template,
                    variant="soft",
                    id="download-template",
                ),
                width="100%",
            ),
            rx.text(
                "第 1 步：选择填写好的表格，系统先检查；第 2 步：确认后导入。"
                "已有的证件号码会更新该考生，不会重复。",
                size="1",
                color_scheme="gray",
            ),
            _upload_box(
                "candidate-upload",
                "选择考生信息表（.xlsx / .xls / .csv）",
                sheet_types,
                state.upload_candidates,
            ),
            rx.cond(
                state.checking,
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text("正在检查", state.upload_name, "……", size="2"),
                    id="check-running",
                ),
            ),
            rx.cond(
                state.check_counts.contains("rows"),
                rx.vstack(
                    rx.text("文件：", state.upload_name, size="2", id="upload-name"),
                    rx.hstack(
                        _count("数据行", "rows"),
                        _count("新增", "new"),
                        _count("更新", "updated"),
                        _count("未变化", "unchanged"),
                        _count("错误", "errors"),
                        spacing="5",
                    ),
                    rx.hstack(
                        rx.button(
                            "导入有效行",
                            on_click=state.run_import,
                            loading=state.importing,
                            disabled=state.importing,
                            id="run-import",
                        ),
                        rx.cond(
                            state.check_counts["errors"] > 0,
                            rx.button(
                                "下载错误报告",
                                on_click=state.download_errors,
                                variant="outline",
                                color_scheme="red",
                                id="download-errors",
                            ),
                        ),
                    ),
                    rx.cond(
                        state.importing,
                        rx.progress(value=state.import_progress, id="import-progress"),
                    ),
                    rx.cond(
                        state.import_message != "",
                        rx.callout(
                            state.import_message,
                            color_scheme="green",
                            id="import-message",
                        ),
                    ),
                    # Notes first: one of them may sum up a whole column of errors.
                    rx.foreach(
                        state.import_notes,
                        lambda note: rx.text(note, size="1", color_scheme="gray"),
                    ),
                    rx.foreach(
                        state.check_errors,
                        lambda item: rx.text(
                            item["reasons"], size="1", color_scheme="red"
                        ),
                    ),
                    spacing="2",
                    id="check-report",
                ),
            ),
            spacing="2",
        ),
        flex="1",
    )


def _photo_panel() -> rx.Component:
    state = CandidatesState
    return rx.card(
        rx.vstack(
            rx.text("批量导入照片", weight="bold"),
            rx.text(
                "将小一寸照片（295×413 像素，红底，jpg/png，5 MB 以内）命名为"
                "“身份证号.jpg”，打包为 .zip 上传。",
                size="1",
                color_scheme="gray",
            ),
            _upload_box(
                "photo-upload",
                "选择照片压缩包（.zip）",
                {"application/zip": [".zip"], "application/x-zip-compressed": [".zip"]},
                state.upload_photos,
            ),
            rx.cond(
                state.photo_importing,
                rx.progress(value=state.photo_progress, id="photo-progress"),
            ),
            rx.cond(
                state.photo_summary != "",
                rx.text(state.photo_summary, size="2", id="photo-summary"),
            ),
            rx.foreach(
                state.photo_refused,
                lambda item: rx.text(
                    item["file"], "：", item["reason"], size="1", color_scheme="red"
                ),
            ),
            rx.foreach(
                state.photo_unmatched,
                lambda name: rx.text(
                    "未匹配到考生：", name, size="1", color_scheme="orange"
                ),
            ),
            spacing="2",
        ),
        flex="1",
    )


def _header(label: str, column: str = "") -> rx.Component:
    if not column:
        return rx.table.column_header_cell(label)
    state = CandidatesState
    arrow = rx.cond(state.sort == column, rx.cond(state.descending, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.text(label, arrow, cursor="pointer"),
        on_click=state.sort_by(column),
        id=f"sort-{column}",
    )


def _edit_form() -> rx.Component:
    state = CandidatesState

    def field(name: str, label: str) -> rx.Component:
        if name in ("id_type", "programme_level"):
            options = ID_TYPES if name == "id_type" else PROGRAMME_LEVELS
            control = rx.select(
                options,
                value=state.edit_values[name],
                on_change=lambda value: state.set_edit_value(name, value),
                id=f"edit-{name}",
            )
        else:
            control = rx.input(
                value=state.edit_values[name],
                on_change=lambda value: state.set_edit_value(name, value),
                id=f"edit-{name}",
                width="11rem",
            )
        return rx.vstack(
            rx.text(label, size="1"),
            control,
            rx.cond(
                state.edit_errors.contains(name),
                rx.text(
                    state.edit_errors[name],
                    size="1",
                    color_scheme="red",
                    id=f"edit-{name}-error",
                    max_width="16rem",
                ),
            ),
            spacing="1",
        )

    return rx.vstack(
        rx.hstack(*[field(name, label) for name, label in EDIT_FIELDS], wrap="wrap"),
        rx.hstack(
            rx.button(
                rx.cond(
                    state.edit_values["status"] == "needs_confirmation",
                    "保存并确认无误",
                    "保存",
                ),
                on_click=state.save_edit,
                id="save-edit",
            ),
            rx.button("取消", on_click=state.cancel_edit, variant="soft"),
            rx.cond(
                state.editing_id != 0,
                _upload_box(
                    "single-photo-upload",
                    "上传照片（jpg/png）",
                    {"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
                    state.upload_single_photo,
                    refused_hint="照片须为 jpg 或 png 格式；HEIC 等格式请先转换为 jpg 再上传。",
                ),
            ),
            align="center",
        ),
        spacing="2",
        padding="0.5rem",
        background=rx.color("accent", 2),
        border_radius="8px",
        width="100%",
        id="edit-form",
    )


def _row(row) -> rx.Component:
    state = CandidatesState
    waiting = row["status"] == "needs_confirmation"
    return rx.fragment(
        rx.table.row(
            rx.table.cell(
                rx.cond(
                    row["thumbnail"] != "",
                    rx.image(
                        src=row["thumbnail"],
                        width="30px",
                        height="42px",
                        cursor="zoom-in",
                        title="查看大图",
                        on_click=state.view_photo(row["id"], row["name"]),
                        id=f"thumbnail-{row['id']}",
                    ),
                    rx.text("无照片", size="1", color_scheme="gray"),
                )
            ),
            rx.table.cell(row["name"]),
            rx.table.cell(row["id_number"]),
            rx.table.cell(row["mobile"]),
            rx.table.cell(row["major"]),
            rx.table.cell(row["programme_level"]),
            rx.table.cell(row["enrolment_year"]),
            rx.table.cell(
                rx.vstack(
                    rx.badge(
                        row["status_label"],
                        color_scheme=rx.match(
                            row["status"],
                            *[(key, color) for key, color in STATUS_COLORS.items()],
                            "gray",
                        ),
                    ),
                    rx.text(row["reasons"], size="1", color_scheme="gray"),
                    spacing="1",
                )
            ),
            rx.table.cell(
                rx.hstack(
                    rx.cond(
                        waiting,
                        rx.button(
                            "确认无误",
                            size="1",
                            on_click=state.confirm(row["id"]),
                            id=f"confirm-{row['id']}",
                        ),
                    ),
                    rx.button(
                        rx.cond(waiting, "修改", "编辑"),
                        size="1",
                        variant="soft",
                        on_click=state.start_edit(row["id"]),
                        id=f"edit-{row['id']}",
                    ),
                    spacing="1",
                )
            ),
            id=f"candidate-{row['id']}",
        ),
        rx.cond(
            state.editing_id.to_string() == row["id"],
            rx.table.row(rx.table.cell(_edit_form(), col_span=9)),
        ),
    )


def _grid() -> rx.Component:
    state = CandidatesState
    return rx.vstack(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    _header("照片"),
                    _header("姓名", "name"),
                    _header("证件号码", "id_number"),
                    _header("手机号码"),
                    _header("专业", "major"),
                    _header("层次", "programme_level"),
                    _header("入学年份", "enrolment_year"),
                    _header("认证状态", "verification_status"),
                    _header("操作"),
                )
            ),
            rx.table.body(rx.foreach(state.rows, _row)),
            width="100%",
            size="1",
            id="candidate-grid",
        ),
        rx.hstack(
            rx.text("共 ", state.total, " 人", size="2", id="grid-total"),
            rx.spacer(),
            rx.button(
                "上一页",
                on_click=state.go_to_page(state.page_number - 1),
                disabled=state.page_number <= 1,
                variant="soft",
                size="1",
                id="page-previous",
            ),
            rx.text(state.page_number, " / ", state.page_count, size="2"),
            rx.button(
                "下一页",
                on_click=state.go_to_page(state.page_number + 1),
                disabled=state.page_number >= state.page_count,
                variant="soft",
                size="1",
                id="page-next",
            ),
            width="100%",
            align="center",
        ),
        width="100%",
    )


def _photo_dialog() -> rx.Component:
    state = CandidatesState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.viewed_name, "的照片"),
            rx.center(
                rx.image(
                    src=state.viewed_photo,
                    width="295px",
                    height="413px",
                    alt="考生照片",
                    id="photo-full",
                ),
            ),
            rx.flex(
                rx.dialog.close(
                    rx.button("关闭", variant="soft", on_click=state.close_photo)
                ),
                justify="end",
                margin_top="1rem",
            ),
            max_width="360px",
        ),
        open=state.viewed_photo != "",
        on_open_change=lambda _open: state.close_photo(),
    )


@page(
    routes.CANDIDATES,
    "考生管理",
    roles=[Role.SCHOOL_HEAD, Role.SCHOOL_ADMIN],
    on_load=CandidatesState.open_page,
    nav_label="考生管理",
    nav_group="考试管理",
    order=200,
)
def candidates_page() -> rx.Component:
    state = CandidatesState
    return rx.vstack(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("院校考生", value="school", id="tab-school"),
                rx.tabs.trigger("社会考生", value="social", id="tab-social"),
            ),
            value=state.kind,
            on_change=state.set_kind,
        ),
        rx.hstack(_import_panel(), _photo_panel(), width="100%", align="start"),
        rx.hstack(
            _filters(),
            rx.spacer(),
            rx.button(
                "新增考生", on_click=state.start_add, variant="soft", id="add-candidate"
            ),
            rx.button("导出", on_click=state.export, variant="outline", id="export"),
            width="100%",
            wrap="wrap",
        ),
        rx.cond(state.adding, _edit_form()),
        _grid(),
        _photo_dialog(),
        spacing="4",
        width="100%",
    )
