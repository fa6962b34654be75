"""The organisation's people: accounts its head manages and, for schools, the staff roster."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components import uploads
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.services import people
from xcert_app.services.errors import ValidationError
from xcert_app.services.masking import mask_mobile
from xcert_app.spreadsheets import staff
from xcert_app.state import SessionState, shows_service_errors

MANAGING_ROLES = list(people.MANAGED_ROLE)


class PeopleState(SessionState):
    """Member accounts and the staff roster of the caller's organisation."""

    members: list[dict[str, str]] = []
    staff: list[dict[str, str]] = []
    can_manage_roster: bool = False
    member_username: str = ""
    member_name: str = ""
    member_mobile: str = ""
    staff_name: str = ""
    staff_mobile: str = ""
    staff_department: str = ""
    field_errors: dict[str, str] = {}
    password_notice: str = ""

    @rx.event
    def set_member_username(self, value: str):
        self.member_username = value

    @rx.event
    def set_member_name(self, value: str):
        self.member_name = value

    @rx.event
    def set_member_mobile(self, value: str):
        self.member_mobile = value

    @rx.event
    def set_staff_name(self, value: str):
        self.staff_name = value

    @rx.event
    def set_staff_mobile(self, value: str):
        self.staff_mobile = value

    @rx.event
    def set_staff_department(self, value: str):
        self.staff_department = value

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None or actor.role not in people.MANAGED_ROLE:
                return
            self.members = [
                {
                    "id": str(account.id),
                    "username": account.username,
                    "name": account.display_name,
                    "mobile": mask_mobile(account.mobile),
                    "active": "正常" if account.is_active else "已停用",
                    "is_active": "1" if account.is_active else "",
                    "last_login": format_beijing(account.last_login_at),
                }
                for account in people.list_member_accounts(session, actor=actor)
            ]
            self.can_manage_roster = actor.role in people.ROSTER_ROLES
            if self.can_manage_roster:
                self.staff = [
                    {
                        "id": str(member.id),
                        "name": member.name,
                        "mobile": member.mobile,
                        "department": member.department,
                    }
                    for member in people.list_staff(session, actor=actor)
                ]

    @rx.event
    @shows_service_errors
    def create_member(self):
        self.field_errors = {}
        self.password_notice = ""
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                account, password = people.create_member_account(
                    session,
                    actor=actor,
                    username=self.member_username,
                    display_name=self.member_name,
                    mobile=self.member_mobile,
                )
                username = account.username
        except ValidationError as error:
            self.field_errors = error.errors
            return
        self.password_notice = f"账号 {username} 已创建，初始密码 {password}（只显示这一次，首次登录须修改）"
        self.member_username = self.member_name = self.member_mobile = ""
        return PeopleState.load

    @rx.event
    @shows_service_errors
    def toggle_member(self, account_id: str, active: bool):
        with session_scope() as session:
            actor = self.require_actor(session)
            people.set_member_active(
                session, actor=actor, account_id=int(account_id), active=active
            )
        return [
            PeopleState.load,
            rx.toast.success("账号已启用" if active else "账号已停用，其登录已失效"),
        ]

    @rx.event
    @shows_service_errors
    def reset_password(self, account_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            password = people.reset_member_password(
                session, actor=actor, account_id=int(account_id)
            )
        self.password_notice = (
            f"密码已重置，新的初始密码 {password}（只显示这一次，下次登录须修改）"
        )

    @rx.event
    @shows_service_errors
    def add_staff(self):
        self.field_errors = {}
        try:
            with session_scope() as session:
                actor = self.require_actor(session)
                people.add_staff(
                    session,
                    actor=actor,
                    name=self.staff_name,
                    mobile=self.staff_mobile,
                    department=self.staff_department,
                )
        except ValidationError as error:
            self.field_errors = {
                f"staff_{key}": value for key, value in error.errors.items()
            }
            return
        self.staff_name = self.staff_mobile = self.staff_department = ""
        return [PeopleState.load, rx.toast.success("已加入人员名册")]

    @rx.event
    def download_roster_template(self):
        return rx.download(data=staff.template(), filename="人员名册模板.xlsx")

    @rx.event
    @shows_service_errors
    async def import_roster(self, files: list[rx.UploadFile]):
        if not files:
            # The browser rejected the file, and its toast already explains why.
            return
        upload = files[0]
        data = await upload.read()
        if len(data) > staff.MAX_BYTES:
            return rx.toast.error(
                f"文件 {upload.filename} 超过 2 MB，请只保留姓名、手机号码、部门三列"
            )
        rows = staff.read_roster(data)
        with session_scope() as session:
            actor = self.require_actor(session)
            counts = people.import_staff_rows(session, actor=actor, rows=rows)
        return [
            PeopleState.load,
            rx.toast.success(
                f"已导入 {counts['added']} 人，{counts['unchanged']} 人已在名册中"
            ),
        ]

    @rx.event
    @shows_service_errors
    def remove_staff(self, staff_id: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            people.set_staff_active(
                session, actor=actor, staff_id=int(staff_id), active=False
            )
        return PeopleState.load


def _error(name: str) -> rx.Component:
    return rx.cond(
        PeopleState.field_errors.contains(name),
        rx.text(
            PeopleState.field_errors[name],
            color_scheme="red",
            size="1",
            id=f"{name}-error",
        ),
    )


def _member_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["username"]),
        rx.table.cell(row["name"]),
        rx.table.cell(row["mobile"]),
        rx.table.cell(row["active"]),
        rx.table.cell(row["last_login"]),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row["is_active"] == "1",
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button(
                                "停用",
                                size="1",
                                color_scheme="red",
                                variant="soft",
                                id="disable-" + row["username"],
                            )
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("停用账号"),
                            rx.alert_dialog.description(
                                "停用后该账号立即退出登录且无法再登录，确定停用 "
                                + row["name"]
                                + " 吗？"
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(
                                    rx.button("取消", variant="soft")
                                ),
                                rx.alert_dialog.action(
                                    rx.button(
                                        "确定停用",
                                        color_scheme="red",
                                        on_click=PeopleState.toggle_member(
                                            row["id"], False
                                        ),
                                        id="confirm-disable",
                                    )
                                ),
                                justify="end",
                                spacing="2",
                            ),
                        ),
                    ),
                    rx.button(
                        "启用",
                        size="1",
                        variant="soft",
                        on_click=PeopleState.toggle_member(row["id"], True),
                    ),
                ),
                rx.button(
                    "重置密码",
                    size="1",
                    variant="soft",
                    on_click=PeopleState.reset_password(row["id"]),
                ),
            )
        ),
    )


def members_card() -> rx.Component:
    state = PeopleState
    return rx.card(
        rx.vstack(
            rx.text("本单位账号", weight="bold"),
            rx.hstack(
                rx.vstack(
                    rx.input(
                        placeholder="账号",
                        value=state.member_username,
                        on_change=state.set_member_username,
                        id="member-username",
                    ),
                    _error("username"),
                ),
                rx.vstack(
                    rx.input(
                        placeholder="使用人姓名",
                        value=state.member_name,
                        on_change=state.set_member_name,
                        id="member-name",
                    ),
                    _error("display_name"),
                ),
                rx.vstack(
                    rx.input(
                        placeholder="手机号码",
                        value=state.member_mobile,
                        on_change=state.set_member_mobile,
                        id="member-mobile",
                    ),
                    _error("mobile"),
                ),
                rx.button("新建账号", on_click=state.create_member, id="create-member"),
                align="start",
                wrap="wrap",
            ),
            rx.cond(
                state.password_notice != "",
                rx.callout(
                    state.password_notice, icon="key-round", id="password-notice"
                ),
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(label)
                            for label in (
                                "账号",
                                "使用人",
                                "手机",
                                "状态",
                                "最近登录",
                                "操作",
                            )
                        ]
                    )
                ),
                rx.table.body(rx.foreach(state.members, _member_row)),
                width="100%",
                id="member-table",
            ),
            width="100%",
        ),
        width="100%",
    )


def roster_card() -> rx.Component:
    state = PeopleState
    return rx.card(
        rx.vstack(
            rx.text("人员名册（监考、巡考从这里选择）", weight="bold"),
            rx.hstack(
                rx.vstack(
                    rx.input(
                        placeholder="姓名",
                        value=state.staff_name,
                        on_change=state.set_staff_name,
                        id="staff-name",
                    ),
                    _error("staff_name"),
                ),
                rx.vstack(
                    rx.input(
                        placeholder="手机号码",
                        value=state.staff_mobile,
                        on_change=state.set_staff_mobile,
                        id="staff-mobile",
                    ),
                    _error("staff_mobile"),
                ),
                rx.input(
                    placeholder="部门",
                    value=state.staff_department,
                    on_change=state.set_staff_department,
                    id="staff-department",
                ),
                rx.button("加入名册", on_click=state.add_staff, id="add-staff"),
                align="start",
                wrap="wrap",
            ),
            rx.hstack(
                rx.button(
                    "下载名册模板",
                    on_click=state.download_roster_template,
                    variant="soft",
                    size="1",
                ),
                uploads.upload_root(
                    rx.button(
                        "从 Excel 导入名册", variant="soft", size="1", type="button"
                    ),
                    id="roster-upload",
                    max_files=1,
                    accept={
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [
                            ".xlsx"
                        ],
                        "application/vnd.ms-excel": [".xls"],
                        "text/csv": [".csv"],
                    },
                    on_drop=state.import_roster(
                        rx.upload_files(upload_id="roster-upload")
                    ),
                ),
                spacing="2",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(label)
                            for label in ("姓名", "手机", "部门", "操作")
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        state.staff,
                        lambda row: rx.table.row(
                            rx.table.cell(row["name"]),
                            rx.table.cell(row["mobile"]),
                            rx.table.cell(row["department"]),
                            rx.table.cell(
                                rx.button(
                                    "移出名册",
                                    size="1",
                                    variant="soft",
                                    on_click=state.remove_staff(row["id"]),
                                )
                            ),
                        ),
                    )
                ),
                width="100%",
                id="staff-table",
            ),
            width="100%",
        ),
        width="100%",
    )


@page(
    routes.PEOPLE,
    "机构人员",
    roles=MANAGING_ROLES,
    on_load=PeopleState.load,
    nav_label="机构人员",
    nav_group="机构管理",
    order=550,
)
def people_page() -> rx.Component:
    return rx.vstack(
        members_card(),
        rx.cond(PeopleState.can_manage_roster, roster_card()),
        width="100%",
        spacing="4",
    )
