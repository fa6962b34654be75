"""Certificate issuance (证书发放管理): the school's principal and the organisation sign
pending records on a tablet, refuse with a reason, and download issued certificates."""

import asyncio
import dataclasses

import reflex as rx

from xcert_app import routes
from xcert_app.components.links import link_parameters, pick
from xcert_app.components.page import page
from xcert_app.components.signature_pad import (
    clear_signature,
    read_signature,
    signature_pad,
)
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.services import accounts, certificates, downloads, signing
from xcert_app.services.errors import LoginExpired, ValidationError
from xcert_app.state import SessionState, download_kept_file, shows_service_errors

PAD_ID = "signature-pad"
PAGE_SIZE = 20
FILTERS = [
    ("to_sign", "待我签发"),
    ("issued", "已签发"),
    ("refused", "拒绝签发"),
    ("pending", "签发中"),
    ("", "全部"),
]


def _row_dict(row: signing.RecordRow) -> dict[str, str]:
    values = {key: str(value) for key, value in dataclasses.asdict(row).items()}
    values["school_signed"] = "1" if row.school_signed else ""
    values["org_signed"] = "1" if row.org_signed else ""
    return values


class SigningState(SessionState):
    """One page of records, the selection, and the sign / refuse dialogs."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page_number: int = 1
    status_filter: str = "to_sign"
    search: str = ""
    selected: list[str] = []
    is_org: bool = False

    sign_open: bool = False
    sign_step: str = "draw"
    signature_preview: str = ""
    signature_error: str = ""

    refuse_open: bool = False
    refuse_id: str = ""
    refuse_number: str = ""
    refuse_reason: str = ""
    refuse_error: str = ""

    downloading: bool = False
    download_progress: int = 0

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def set_refuse_reason(self, value: str):
        self.refuse_reason = value

    @rx.event
    def set_filter(self, value: str):
        self.status_filter = "" if value == "all" else value
        self.page_number = 1
        self.selected = []
        return SigningState.load

    @rx.event
    def open_page(self):
        """Load the page with the filter a ``?status=`` in the address names."""
        requested = link_parameters(self, "status")
        if requested:
            filters = {value for value, _label in FILTERS if value}
            self.status_filter = pick(requested["status"], filters, "to_sign")
            self.search = ""
            self.page_number = 1
            self.selected = []
        return SigningState.load

    @rx.event
    def change_page(self, delta: int):
        self.page_number = min(max(1, self.page_number + delta), self.page_count)
        return SigningState.load

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role not in (Role.SCHOOL_HEAD, Role.ORG_ADMIN):
                return
            self.is_org = actor.role == Role.ORG_ADMIN
            found, self.total = signing.list_records(
                session,
                actor=actor,
                status=self.status_filter,
                search=self.search,
                limit=PAGE_SIZE,
                offset=(self.page_number - 1) * PAGE_SIZE,
            )
        self.rows = [_row_dict(row) for row in found]
        visible = {row["id"] for row in self.rows}
        self.selected = [
            record_id for record_id in self.selected if record_id in visible
        ]

    @rx.event
    def toggle(self, record_id: str, checked: bool):
        if checked and record_id not in self.selected:
            self.selected = [*self.selected, record_id]
        elif not checked:
            self.selected = [value for value in self.selected if value != record_id]

    @rx.event
    def toggle_all(self, checked: bool):
        self.selected = [row["id"] for row in self.rows] if checked else []

    # Signing: draw, then confirm that it cannot be undone.

    @rx.event
    def open_sign(self, record_id: str = ""):
        if record_id:
            self.selected = [record_id]
        if not self.selected:
            return rx.toast.error("请先勾选要签发的记录")
        self.sign_open = True
        self.sign_step = "draw"
        self.signature_preview = ""
        self.signature_error = ""

    @rx.event
    def close_sign(self):
        self.sign_open = False
        self.signature_preview = ""

    @rx.event
    def clear_pad(self):
        self.signature_error = ""
        return clear_signature(PAD_ID)

    @rx.event
    def take_signature(self):
        return read_signature(PAD_ID, SigningState.receive_signature)

    @rx.event
    def receive_signature(self, data_url: str):
        if not data_url:
            self.signature_error = "请先在签名板上手写签名"
            return
        self.signature_preview = data_url
        self.sign_step = "confirm"

    @rx.event
    def back_to_pad(self):
        self.sign_step = "draw"
        self.signature_preview = ""

    @rx.event
    @shows_service_errors
    def confirm_sign(self):
        if not self.sign_open:
            # A second click queued behind the first, which closed the dialog.
            return
        versions = {
            int(row["id"]): int(row["version"])
            for row in self.rows
            if row["id"] in self.selected
        }
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                signed = signing.sign(
                    session,
                    actor=actor,
                    versions=versions,
                    signature_data_url=self.signature_preview,
                )
                issued = sum(1 for record in signed if record.status == "issued")
        except ValidationError as error:
            self.signature_error = error.message
            self.sign_step = "draw"
            return
        self.sign_open = False
        self.signature_preview = ""
        self.selected = []
        message = f"已签字确认 {len(signed)} 条"
        if issued:
            message += f"，其中 {issued} 条双方均已签发，电子证书已生成"
        return [rx.toast.success(message), SigningState.load]

    # Refusing: a reason is required.

    @rx.event
    def open_refuse(self, record_id: str, number: str):
        self.refuse_open = True
        self.refuse_id = record_id
        self.refuse_number = number
        self.refuse_reason = ""
        self.refuse_error = ""

    @rx.event
    def close_refuse(self):
        self.refuse_open = False

    @rx.event
    @shows_service_errors
    def confirm_refuse(self):
        if not self.refuse_open:
            # A second click queued behind the first, which closed the dialog.
            return
        version = next(
            (int(row["version"]) for row in self.rows if row["id"] == self.refuse_id), 0
        )
        try:
            with session_scope() as session:
                signing.refuse(
                    session,
                    actor=self.require_actor(session),
                    record_id=int(self.refuse_id),
                    version=version,
                    reason=self.refuse_reason,
                )
        except ValidationError as error:
            self.refuse_error = error.message
            return
        self.refuse_open = False
        self.selected = [value for value in self.selected if value != self.refuse_id]
        return [
            rx.toast.success(
                f"已拒绝签发证书 {self.refuse_number}，记录退回培训评价组织"
            ),
            SigningState.load,
        ]

    @rx.event
    @shows_service_errors
    def resubmit(self, record_id: str, version: str):
        with session_scope() as session:
            signing.resubmit(
                session,
                actor=self.require_actor(session),
                record_id=int(record_id),
                version=int(version),
            )
        return [rx.toast.success("已重新提交签发"), SigningState.load]

    # Certificates.

    @rx.event
    @shows_service_errors
    def download_one(self, record_id: str):
        with session_scope() as session:
            name, pdf = certificates.certificate_pdf(
                session, actor=self.require_actor(session), record_id=int(record_id)
            )
        return rx.download(data=pdf, filename=name)

    @rx.event(background=True)
    @shows_service_errors
    async def download_batch(self):
        """Render the selected issued certificates (or all, up to the batch limit) as one PDF."""
        async with self:
            if self.downloading:
                return
            self.downloading = True
            self.download_progress = 0
            token = self.auth_token
            chosen = [int(value) for value in self.selected]
        try:
            return await self._render_batch(token, chosen)
        finally:
            async with self:
                self.downloading = False

    async def _render_batch(self, token: str, chosen: list[int]):
        with session_scope() as session:
            actor = accounts.actor_for_token(session, token)
            if actor is None:
                raise LoginExpired()
            ids = chosen or certificates.issued_ids(session, actor=actor)
            contents = certificates.batch_contents(session, actor=actor, record_ids=ids)
        pages_done = [0]
        job = asyncio.create_task(
            asyncio.to_thread(
                certificates.render_batch,
                contents,
                lambda count: pages_done.__setitem__(0, count),
            )
        )
        while not job.done():
            await asyncio.sleep(0.3)
            async with self:
                self.download_progress = pages_done[0] * 100 // len(contents)
        file_id = await asyncio.to_thread(
            _keep_batch, token, job.result(), f"电子证书_{len(contents)}份.pdf"
        )
        async with self:
            self.download_progress = 100
        return download_kept_file(file_id)


def _keep_batch(token: str, pdf: bytes, filename: str) -> int:
    with session_scope() as session:
        actor = accounts.actor_for_token(session, token)
        if actor is None:
            raise LoginExpired()
        return downloads.keep(session, actor=actor, data=pdf, filename=filename).id


def _badge(signed, label: str) -> rx.Component:
    return rx.badge(
        rx.cond(signed == "1", label + "已签", label + "未签"),
        color_scheme=rx.cond(signed == "1", "green", "gray"),
        size="2",
    )


def _info(label: str, value) -> rx.Component:
    return rx.text(rx.text.span(label + "：", color_scheme="gray"), value, size="2")


def _row_actions(row) -> rx.Component:
    to_sign = SigningState.status_filter == "to_sign"
    return rx.vstack(
        rx.cond(
            to_sign,
            rx.fragment(
                rx.button(
                    "签发",
                    size="3",
                    on_click=SigningState.open_sign(row["id"]),
                    id="sign-" + row["id"],
                ),
                rx.button(
                    "拒绝",
                    size="3",
                    color_scheme="red",
                    variant="soft",
                    on_click=SigningState.open_refuse(
                        row["id"], row["certificate_number"]
                    ),
                    id="refuse-" + row["id"],
                ),
            ),
        ),
        rx.cond(
            row["status"] == "已签发",
            rx.button(
                "下载证书",
                size="3",
                variant="soft",
                on_click=SigningState.download_one(row["id"]),
                id="download-" + row["id"],
            ),
        ),
        rx.cond(
            SigningState.is_org & (row["status"] == "拒绝签发"),
            rx.button(
                "重新提交签发",
                size="3",
                variant="soft",
                on_click=SigningState.resubmit(row["id"], row["version"]),
                id="resubmit-" + row["id"],
            ),
        ),
        spacing="2",
        min_width="6.5rem",
    )


def _record_card(row) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.checkbox(
                checked=SigningState.selected.contains(row["id"]),
                on_change=lambda checked: SigningState.toggle(row["id"], checked),
                size="3",
                id="select-" + row["id"],
            ),
            rx.vstack(
                rx.hstack(
                    rx.text(row["candidate_name"], weight="bold", size="4"),
                    rx.text(row["id_number_masked"], size="2", color_scheme="gray"),
                    rx.badge(row["status"], size="2"),
                    wrap="wrap",
                    align="center",
                ),
                _info("证书", row["certificate_name"] + " · " + row["level"]),
                _info("证书编号", row["certificate_number"]),
                _info("考试计划", row["plan_name"]),
                _info("考核站点", row["site_name"]),
                _info("考证结果", row["result"]),
                rx.hstack(
                    _badge(row["school_signed"], "院校"),
                    _badge(row["org_signed"], "评价组织"),
                    rx.cond(
                        row["issued_at"] != "",
                        rx.text("发证日期 " + row["issued_at"], size="2"),
                    ),
                    wrap="wrap",
                ),
                rx.cond(
                    row["school_signer"] != "",
                    _info("院校签字", row["school_signer"]),
                ),
                rx.cond(
                    row["org_signer"] != "",
                    _info("评价组织签字", row["org_signer"]),
                ),
                rx.cond(
                    row["refused_reason"] != "",
                    rx.text(
                        "拒绝理由：" + row["refused_reason"],
                        color_scheme="red",
                        size="2",
                    ),
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            _row_actions(row),
            align="start",
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="record-" + row["id"],
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(id="status-filter"),
            rx.select.content(
                *[
                    rx.select.item(label, value=value or "all")
                    for value, label in FILTERS
                ]
            ),
            value=rx.cond(
                SigningState.status_filter == "", "all", SigningState.status_filter
            ),
            on_change=SigningState.set_filter,
            size="3",
        ),
        rx.input(
            placeholder="姓名或证书编号",
            value=SigningState.search,
            on_change=SigningState.set_search,
            size="3",
            id="signing-search",
        ),
        rx.button("查询", on_click=SigningState.load, size="3", variant="soft"),
        rx.spacer(),
        rx.cond(
            SigningState.status_filter == "to_sign",
            rx.button(
                "批量确认签发（" + SigningState.selected_count.to_string() + "）",
                size="3",
                on_click=SigningState.open_sign(""),
                disabled=SigningState.selected_count == 0,
                id="sign-selected",
            ),
        ),
        rx.cond(
            SigningState.is_org & (SigningState.status_filter == "issued"),
            rx.button(
                rx.cond(
                    SigningState.selected_count > 0,
                    "批量下载所选（" + SigningState.selected_count.to_string() + "）",
                    "批量下载全部已签发",
                ),
                size="3",
                on_click=SigningState.download_batch,
                loading=SigningState.downloading,
                id="download-batch",
            ),
        ),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
    )


def _sign_dialog() -> rx.Component:
    draw = rx.vstack(
        rx.text(
            "请用手指或手写笔在下方签名（已选 "
            + SigningState.selected_count.to_string()
            + " 条）。此签名仅用于本次签发确认。",
            size="2",
        ),
        signature_pad(PAD_ID, width=560, height=220),
        rx.cond(
            SigningState.signature_error != "",
            rx.text(
                SigningState.signature_error, color_scheme="red", id="signature-error"
            ),
        ),
        rx.hstack(
            rx.button(
                "清除",
                variant="soft",
                size="3",
                on_click=SigningState.clear_pad,
                id="clear-signature",
            ),
            rx.button(
                "取消",
                variant="soft",
                color_scheme="gray",
                size="3",
                on_click=SigningState.close_sign,
            ),
            rx.button(
                "下一步",
                size="3",
                on_click=SigningState.take_signature,
                id="signature-next",
            ),
            justify="end",
            width="100%",
        ),
        spacing="3",
    )
    confirm = rx.vstack(
        rx.callout(
            "签字确认签发后，即证明本方已确认发证记录和成绩准确无误，操作一旦完成不可撤回。",
            icon="triangle-alert",
            color_scheme="red",
            id="irreversible-warning",
        ),
        rx.image(
            src=SigningState.signature_preview,
            width="280px",
            border=f"1px solid {rx.color('gray', 6)}",
            id="signature-preview",
        ),
        rx.hstack(
            rx.button(
                "返回重签", variant="soft", size="3", on_click=SigningState.back_to_pad
            ),
            rx.button(
                "确认签发（" + SigningState.selected_count.to_string() + " 条）",
                color_scheme="red",
                size="3",
                on_click=SigningState.confirm_sign,
                id="confirm-sign",
            ),
            justify="end",
            width="100%",
        ),
        spacing="3",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("在线签字确认签发"),
            rx.cond(SigningState.sign_step == "draw", draw, confirm),
            max_width="640px",
            id="sign-dialog",
        ),
        open=SigningState.sign_open,
    )


def _refuse_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("拒绝签发"),
            rx.vstack(
                rx.text("证书编号 " + SigningState.refuse_number, size="2"),
                rx.text_area(
                    placeholder="请写明拒绝签发的理由，记录将退回培训评价组织处理",
                    value=SigningState.refuse_reason,
                    on_change=SigningState.set_refuse_reason,
                    rows="4",
                    size="3",
                    width="100%",
                    id="refuse-reason",
                ),
                rx.cond(
                    SigningState.refuse_error != "",
                    rx.text(
                        SigningState.refuse_error, color_scheme="red", id="refuse-error"
                    ),
                ),
                rx.hstack(
                    rx.button(
                        "取消",
                        variant="soft",
                        color_scheme="gray",
                        size="3",
                        on_click=SigningState.close_refuse,
                    ),
                    rx.button(
                        "确认拒绝",
                        color_scheme="red",
                        size="3",
                        on_click=SigningState.confirm_refuse,
                        id="confirm-refuse",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            max_width="520px",
        ),
        open=SigningState.refuse_open,
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text("共 " + SigningState.total.to_string() + " 条", size="2"),
        rx.spacer(),
        rx.button(
            "上一页",
            variant="soft",
            on_click=SigningState.change_page(-1),
            disabled=SigningState.page_number <= 1,
        ),
        rx.text(
            SigningState.page_number.to_string()
            + " / "
            + SigningState.page_count.to_string(),
            size="2",
        ),
        rx.button(
            "下一页",
            variant="soft",
            on_click=SigningState.change_page(1),
            disabled=SigningState.page_number >= SigningState.page_count,
        ),
        align="center",
        width="100%",
    )


@page(
    routes.SIGNING,
    "证书发放管理",
    roles=[Role.SCHOOL_HEAD, Role.ORG_ADMIN],
    on_load=SigningState.open_page,
    nav_label="证书签发",
    nav_group="证书管理",
    order=450,
)
def signing_page() -> rx.Component:
    return rx.vstack(
        _toolbar(),
        rx.cond(
            SigningState.downloading,
            rx.vstack(
                rx.text(
                    "正在生成电子证书 "
                    + SigningState.download_progress.to_string()
                    + "%",
                    size="2",
                ),
                rx.progress(
                    value=SigningState.download_progress,
                    max=100,
                    width="100%",
                    id="download-progress",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            SigningState.rows.length() > 0,
            rx.hstack(
                rx.checkbox(
                    "全选本页",
                    checked=SigningState.selected_count == SigningState.rows.length(),
                    on_change=SigningState.toggle_all,
                    size="3",
                    id="select-all",
                ),
            ),
            rx.text(
                "没有符合条件的记录。考试计划的成绩公示结束、成绩锁定后，"
                "通过考核的证书才会出现在“待我签发”中。",
                color_scheme="gray",
                id="no-records",
            ),
        ),
        rx.foreach(SigningState.rows, _record_card),
        _pager(),
        _sign_dialog(),
        _refuse_dialog(),
        spacing="3",
        width="100%",
    )
