"""The school seal (签章): only the principal uploads, previews and replaces it."""

import base64

import reflex as rx

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components import uploads
from xcert_app.components.callouts import callout_block
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import Account, Role
from xcert_app.services import seals
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

UPLOAD_ID = "seal"
RULES = [
    "请上传 PNG 格式的无底色正方形签章图片，尺寸建议 95×95 像素，大小不超过 1 MB；",
    "上传后请预览签章加盖在证书上的效果，效果不好请重新调整后上传；",
    "此电子签章仅用于确认签发证书，只有院校负责人账号可以查看和使用；",
    "每个试点院校只有一名考核站点负责人，须由副校长及以上职务人员担任。",
]


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


class SealState(SessionState):
    """The current seal, the uploaded file waiting to be saved, and the history."""

    current_seal: str = ""
    preview: str = ""
    pending_name: str = ""
    white_background: bool = False
    remove_white: bool = False
    authorised: bool = False
    field_errors: dict[str, str] = {}
    history: list[dict[str, str]] = []
    _pending: bytes = b""

    @rx.event
    def set_authorised(self, value: bool):
        self.authorised = value

    @rx.event
    def confirm_remove_white(self, value: bool):
        self.remove_white = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.SCHOOL_HEAD:
                return
            image = seals.seal_for_head(session, actor=actor)
            self.current_seal = _data_url(image) if image else ""
            self.history = [
                {
                    "at": format_beijing(seal.created_at),
                    "by": getattr(
                        session.get(Account, seal.uploaded_by_id), "display_name", ""
                    ),
                    "state": "当前使用" if seal.is_current else "已替换",
                }
                for seal in seals.seal_history(session, actor=actor)
            ]

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):
        """Check the chosen file now, so problems and the preview show before saving."""
        self._reset_pending()
        if not files:
            return
        upload = files[0]
        data = await upload.read(seals.MAX_BYTES + 1)
        name = upload.name or "seal.png"
        try:
            png = seals.prepare_seal(data, filename=name)
        except seals.WhiteBackground:
            png = seals.prepare_seal(data, filename=name, remove_white=True)
            self.white_background = True
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self._pending = data
        self.pending_name = name
        self.preview = _data_url(png)

    def _reset_pending(self) -> None:
        self._pending = b""
        self.pending_name = ""
        self.preview = ""
        self.white_background = False
        self.remove_white = False
        self.field_errors = {}

    @rx.event
    @shows_service_errors
    def save(self):
        errors = {}
        if not self._pending:
            errors["file"] = "请先选择签章图片"
        elif self.white_background and not self.remove_white:
            errors["file"] = "请先确认预览，勾选「去除白色底色」后再保存"
        if errors and not self.authorised:
            errors["authorised"] = seals.AUTHORISATION_MISSING
        self.field_errors = errors
        if errors:
            return
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                seals.save_seal(
                    session,
                    actor=actor,
                    data=self._pending,
                    filename=self.pending_name,
                    authorised=self.authorised,
                    remove_white=self.remove_white,
                )
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self._reset_pending()
        self.authorised = False
        return [rx.toast.success("签章已保存"), SealState.load]


def _error(name: str) -> rx.Component:
    return rx.cond(
        SealState.field_errors.contains(name),
        rx.text(
            SealState.field_errors[name],
            color_scheme="red",
            size="2",
            id=f"seal-{name}-error",
        ),
    )


def sample_certificate(seal_src) -> rx.Component:
    """Render a small mock certificate with the seal where the PDF places it."""
    line = lambda label, value: rx.hstack(  # noqa: E731
        rx.text(label, size="1", color_scheme="gray", width="4.5rem"),
        rx.text(value, size="2"),
    )
    return rx.box(
        rx.vstack(
            rx.text("职业技能等级证书", size="5", weight="bold", color="#8c1414"),
            rx.vstack(
                line("姓　　名", "张**"),
                line("证书名称", "物流管理职业技能等级证书"),
                line("证书等级", "初级"),
                line("证书编号", "1560003101561001200045"),
                line("发证日期", "2026年12月04日"),
                align="start",
                spacing="2",
            ),
            align="center",
            spacing="2",
            padding_top="1.2rem",
        ),
        rx.cond(
            seal_src != "",
            rx.image(
                src=seal_src,
                width="72px",
                height="72px",
                position="absolute",
                right="3.2rem",
                bottom="1.6rem",
                id="seal-on-sample",
            ),
        ),
        rx.text(
            SessionState.organisation_name,
            size="1",
            position="absolute",
            right="2rem",
            bottom="0.8rem",
        ),
        position="relative",
        width="20rem",
        height="24rem",
        border="3px double #b08d3c",
        background="#fffdf6",
        id="sample-certificate",
    )


def _upload_box() -> rx.Component:
    return uploads.upload(
        rx.vstack(
            rx.icon("image-up", size=28),
            rx.text("点击或拖入 PNG 签章图片", size="2"),
            align="center",
        ),
        id=UPLOAD_ID,
        accept={"image/png": [".png"]},
        max_files=1,
        multiple=False,
        max_size=seals.MAX_BYTES,
        on_drop=SealState.handle_upload(rx.upload_files(upload_id=UPLOAD_ID)),
        border=f"1px dashed {rx.color('gray', 8)}",
        padding="1.25rem",
        border_radius="8px",
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("考核站点负责人（电子签章）", weight="bold"),
            rx.hstack(
                rx.vstack(
                    rx.text("当前签章", size="2", color_scheme="gray"),
                    rx.cond(
                        SealState.current_seal != "",
                        rx.image(
                            src=SealState.current_seal,
                            width="95px",
                            height="95px",
                            id="current-seal",
                        ),
                        rx.text("尚未上传", size="2", id="no-seal"),
                    ),
                ),
                rx.vstack(
                    rx.text("新签章", size="2", color_scheme="gray"),
                    rx.cond(
                        SealState.preview != "",
                        rx.image(
                            src=SealState.preview,
                            width="95px",
                            height="95px",
                            id="seal-preview",
                            background="repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0/16px 16px",
                        ),
                        rx.text("—", size="2"),
                    ),
                ),
                spacing="6",
            ),
            _upload_box(),
            _error("file"),
            rx.cond(
                SealState.white_background,
                callout_block(
                    rx.vstack(
                        rx.text(
                            "图片带有白色底色。上方为去除白色后的预览，确认效果无误后勾选下方选项再保存。"
                        ),
                        rx.checkbox(
                            "去除白色底色，按预览效果保存",
                            checked=SealState.remove_white,
                            on_change=SealState.confirm_remove_white,
                            id="remove-white",
                        ),
                    ),
                    icon="info",
                    color_scheme="amber",
                    id="white-background",
                ),
            ),
            rx.checkbox(
                "我已阅读《电子签名章使用授权委托书》，同意签署",
                checked=SealState.authorised,
                on_change=SealState.set_authorised,
                id="seal-authorised",
            ),
            _error("authorised"),
            rx.button("保存", on_click=SealState.save, id="save-seal"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="30rem",
    )


def _rules() -> rx.Component:
    return callout_block(
        rx.vstack(
            rx.text("规则说明", weight="bold"),
            *[
                rx.text(f"{index}. {rule}", size="2")
                for index, rule in enumerate(RULES, 1)
            ],
        ),
        icon="info",
        color_scheme="amber",
    )


def _history() -> rx.Component:
    return rx.vstack(
        rx.text("签章历史", weight="bold"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("上传时间"),
                    rx.table.column_header_cell("上传人"),
                    rx.table.column_header_cell("状态"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    SealState.history,
                    lambda row: rx.table.row(
                        rx.table.cell(row["at"]),
                        rx.table.cell(row["by"]),
                        rx.table.cell(row["state"]),
                    ),
                )
            ),
            id="seal-history",
        ),
        width="100%",
    )


@page(
    routes.SEAL,
    "电子签章管理",
    roles=[Role.SCHOOL_HEAD],
    on_load=SealState.load,
    nav_label="电子签章",
    nav_group="机构管理",
    order=500,
)
def seal_page() -> rx.Component:
    preview_src = rx.cond(
        SealState.preview != "", SealState.preview, SealState.current_seal
    )
    return rx.vstack(
        rx.flex(
            _editor(),
            rx.vstack(
                rx.text("预览效果", weight="bold"),
                sample_certificate(preview_src),
            ),
            _rules(),
            wrap="wrap",
            spacing="5",
            align="start",
        ),
        _history(),
        spacing="5",
        width="100%",
    )
