"""Platform operator pages: accounts and the SMS outbox."""

import reflex as rx
from sqlmodel import select

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.models.accounts import ROLE_LABELS, Role
from xcert_app.models.orgs import Organisation
from xcert_app.models.system import SmsMessage
from xcert_app.services import accounts, sms
from xcert_app.services.actor import require_role
from xcert_app.services.errors import ValidationError
from xcert_app.state import SessionState, shows_service_errors

ROLE_OPTIONS = [
    {"value": role.value, "label": label} for role, label in ROLE_LABELS.items()
]


class OperatorAccountsState(SessionState):
    """The account list and the create-account form."""

    rows: list[dict[str, str]] = []
    search: str = ""
    organisations: list[dict[str, str]] = []
    new_username: str = ""
    new_name: str = ""
    new_role: str = Role.SCHOOL_ADMIN.value
    new_organisation_id: str = ""
    new_mobile: str = ""
    field_errors: dict[str, str] = {}
    created_message: str = ""

    @rx.event
    def set_search(self, value: str):
        self.search = value

    @rx.event
    def set_new_username(self, value: str):
        self.new_username = value

    @rx.event
    def set_new_name(self, value: str):
        self.new_name = value

    @rx.event
    def set_new_role(self, value: str):
        self.new_role = value

    @rx.event
    def set_new_organisation_id(self, value: str):
        self.new_organisation_id = value

    @rx.event
    def set_new_mobile(self, value: str):
        self.new_mobile = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.PLATFORM_ADMIN:
                return
            found = accounts.list_accounts(
                session, actor=actor, search=self.search, limit=100
            )
            names = {
                org.id: org.name for org in session.exec(select(Organisation)).all()
            }
            self.rows = [
                {
                    "id": str(account.id),
                    "username": account.username,
                    "name": account.display_name,
                    "role": ROLE_LABELS.get(Role(account.role), account.role),
                    "organisation": names.get(account.organisation_id, ""),
                    "active": "正常" if account.is_active else "已停用",
                    "last_login": format_beijing(account.last_login_at),
                }
                for account in found
            ]
            self.organisations = [
                {"value": str(org_id), "label": name}
                for org_id, name in sorted(names.items())
            ]

    @rx.event
    @shows_service_errors
    def create(self):
        self.field_errors = {}
        self.created_message = ""
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                account, password = accounts.operator_create_account(
                    session,
                    actor=actor,
                    username=self.new_username,
                    role=Role(self.new_role),
                    organisation_id=int(self.new_organisation_id)
                    if self.new_organisation_id
                    else None,
                    display_name=self.new_name,
                    mobile=self.new_mobile,
                )
                username = account.username
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self.created_message = f"账号 {username} 已创建，初始密码 {password}（只显示这一次，首次登录须修改）"
        self.new_username = self.new_name = self.new_mobile = ""
        return OperatorAccountsState.load


def _error(name: str) -> rx.Component:
    return rx.cond(
        OperatorAccountsState.field_errors.contains(name),
        rx.text(OperatorAccountsState.field_errors[name], color_scheme="red", size="1"),
    )


@page(
    routes.OPERATOR_ACCOUNTS,
    "账号管理",
    roles=[Role.PLATFORM_ADMIN],
    on_load=OperatorAccountsState.load,
    nav_label="账号管理",
    nav_group="系统管理",
    order=900,
)
def operator_accounts_page() -> rx.Component:
    state = OperatorAccountsState
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text("新建账号", weight="bold"),
                rx.hstack(
                    rx.vstack(
                        rx.input(
                            placeholder="账号",
                            value=state.new_username,
                            on_change=state.set_new_username,
                            id="new-username",
                        ),
                        _error("username"),
                    ),
                    rx.input(
                        placeholder="姓名",
                        value=state.new_name,
                        on_change=state.set_new_name,
                        id="new-name",
                    ),
                    rx.select.root(
                        rx.select.trigger(placeholder="角色"),
                        rx.select.content(
                            *[
                                rx.select.item(option["label"], value=option["value"])
                                for option in ROLE_OPTIONS
                            ]
                        ),
                        value=state.new_role,
                        on_change=state.set_new_role,
                    ),
                    rx.vstack(
                        rx.select.root(
                            rx.select.trigger(placeholder="所属机构"),
                            rx.select.content(
                                rx.foreach(
                                    state.organisations,
                                    lambda option: rx.select.item(
                                        option["label"], value=option["value"]
                                    ),
                                )
                            ),
                            value=state.new_organisation_id,
                            on_change=state.set_new_organisation_id,
                        ),
                        _error("organisation_id"),
                    ),
                    rx.input(
                        placeholder="手机号",
                        value=state.new_mobile,
                        on_change=state.set_new_mobile,
                    ),
                    rx.button("创建", on_click=state.create, id="create-account"),
                    wrap="wrap",
                    align="start",
                ),
                rx.cond(
                    state.created_message != "",
                    rx.callout(
                        state.created_message, icon="key-round", id="created-message"
                    ),
                ),
            ),
            width="100%",
        ),
        rx.hstack(
            rx.input(
                placeholder="搜索账号或姓名",
                value=state.search,
                on_change=state.set_search,
            ),
            rx.button("查询", on_click=state.load, variant="soft"),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            "账号",
                            "姓名",
                            "角色",
                            "所属机构",
                            "状态",
                            "最近登录",
                        )
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    state.rows,
                    lambda row: rx.table.row(
                        rx.table.cell(row["username"]),
                        rx.table.cell(row["name"]),
                        rx.table.cell(row["role"]),
                        rx.table.cell(row["organisation"]),
                        rx.table.cell(row["active"]),
                        rx.table.cell(row["last_login"]),
                    ),
                )
            ),
            width="100%",
        ),
        width="100%",
    )


class SmsOutboxState(SessionState):
    """The newest recorded SMS messages."""

    messages: list[dict[str, str]] = []

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role != Role.PLATFORM_ADMIN:
                return
            require_role(actor, Role.PLATFORM_ADMIN)
            found = session.exec(
                select(SmsMessage).order_by(SmsMessage.id.desc()).limit(200)
            ).all()
            self.messages = [
                {
                    "at": format_beijing(message.created_at, "%Y-%m-%d %H:%M:%S"),
                    "mobile": message.mobile,
                    "purpose": sms.PURPOSE_LABELS.get(message.purpose, message.purpose),
                    "body": message.body,
                    "status": sms.STATUS_LABELS.get(message.status, message.status),
                }
                for message in found
            ]


@page(
    routes.OPERATOR_SMS,
    "短信发件箱",
    roles=[Role.PLATFORM_ADMIN],
    on_load=SmsOutboxState.load,
    nav_label="短信发件箱",
    nav_group="系统管理",
    order=910,
)
def sms_outbox_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                "默认短信通道只记录、不发送；注册验证码等可在此查看。",
                color_scheme="gray",
            ),
            rx.button(
                "刷新", on_click=SmsOutboxState.load, variant="soft", id="refresh-sms"
            ),
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in ("时间", "手机号", "用途", "内容", "状态")
                    ]
                )
            ),
            rx.table.body(
                rx.foreach(
                    SmsOutboxState.messages,
                    lambda row: rx.table.row(
                        rx.table.cell(row["at"]),
                        rx.table.cell(row["mobile"]),
                        rx.table.cell(row["purpose"]),
                        rx.table.cell(row["body"]),
                        rx.table.cell(row["status"]),
                    ),
                )
            ),
            width="100%",
            id="sms-table",
        ),
        width="100%",
    )
