"""The frame of every signed-in page: top bar, role menu, and the access check."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.callouts import callout_block
from xcert_app.state import SessionState

APP_TITLE = "1+X 证书试点平台"


def _nav_link(item) -> rx.Component:
    return rx.link(
        rx.text(item["label"], size="2"),
        href=item["route"],
        padding_x="0.75rem",
        padding_y="0.4rem",
        border_radius="6px",
        width="100%",
        color=rx.cond(
            SessionState.router.url.path == item["route"],
            rx.color("accent", 11),
            rx.color("gray", 12),
        ),
        background=rx.cond(
            SessionState.router.url.path == item["route"],
            rx.color("accent", 3),
            "transparent",
        ),
        _hover={"background": rx.color("accent", 2)},
        underline="none",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        rx.foreach(SessionState.nav_items, _nav_link),
        spacing="1",
        width="13rem",
        min_width="13rem",
        padding="0.75rem",
        border_right=f"1px solid {rx.color('gray', 5)}",
        min_height="calc(100vh - 3.5rem)",
        display=["none", "none", "flex"],
    )


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.link(rx.heading(APP_TITLE, size="4"), href=routes.HOME, underline="none"),
        rx.spacer(),
        rx.text(SessionState.organisation_name, size="2", color_scheme="gray"),
        rx.badge(SessionState.role_label),
        rx.link(
            rx.hstack(
                rx.icon("bell", size=18),
                rx.cond(
                    SessionState.unread_notifications > 0,
                    rx.badge(
                        SessionState.unread_notifications.to_string(),
                        color_scheme="red",
                        id="unread-count",
                    ),
                ),
                spacing="1",
                align="center",
            ),
            href=routes.NOTIFICATIONS,
            id="notifications-link",
        ),
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    SessionState.display_name, variant="soft", size="2", id="user-menu"
                )
            ),
            rx.menu.content(
                rx.menu.item("修改密码", on_click=rx.redirect(routes.CHANGE_PASSWORD)),
                rx.menu.item("退出所有设备", on_click=SessionState.logout_everywhere),
                rx.menu.separator(),
                rx.menu.item("退出登录", on_click=SessionState.logout, id="logout"),
            ),
        ),
        align="center",
        spacing="3",
        padding_x="1rem",
        height="3.5rem",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        width="100%",
    )


def refusal() -> rx.Component:
    return rx.center(
        callout_block(
            rx.vstack(
                rx.text("无权访问此页面", weight="bold"),
                rx.text(
                    "当前账号（"
                    + SessionState.role_label
                    + "）不能使用此功能。如需使用，请联系本单位负责人或平台运营。"
                ),
                rx.link("返回首页", href=routes.HOME),
            ),
            icon="shield-alert",
            color_scheme="red",
            id="access-denied",
        ),
        padding="3rem",
    )


def signed_in_frame(content: rx.Component, title: str) -> rx.Component:
    """Wrap a page's content with the frame; the content shows only once access is checked."""
    return rx.vstack(
        top_bar(),
        rx.hstack(
            sidebar(),
            rx.box(
                rx.match(
                    SessionState.access,
                    (
                        "ok",
                        rx.vstack(
                            rx.heading(title, size="6"),
                            content,
                            spacing="4",
                            width="100%",
                        ),
                    ),
                    ("denied", refusal()),
                    rx.center(rx.spinner(size="3"), padding="3rem"),
                ),
                padding="1.25rem",
                width="100%",
                max_width="1400px",
            ),
            align="start",
            spacing="0",
            width="100%",
        ),
        spacing="0",
        width="100%",
        min_height="100vh",
    )
