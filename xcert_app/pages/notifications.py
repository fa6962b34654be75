"""The notification list, beside the SMS that were sent to the organisation."""

import reflex as rx

from xcert_app import routes
from xcert_app.clock import format_beijing
from xcert_app.components.page import page
from xcert_app.db import session_scope
from xcert_app.services import notifications
from xcert_app.services.masking import mask_mobile
from xcert_app.state import SessionState, shows_service_errors


class NotificationsState(SessionState):
    """The newest notifications and SMS of the caller's organisation."""

    items: list[dict[str, str]] = []
    messages: list[dict[str, str]] = []

    @rx.event
    @shows_service_errors
    def load(self):
        with session_scope() as session:
            actor = self.current_actor(session)
            if actor is None:
                return
            notifications.announce_publications(session)
            self.items = [
                {
                    "id": str(notification.id),
                    "title": notification.title,
                    "body": notification.body,
                    "link": notification.link,
                    "at": format_beijing(notification.created_at),
                    "read": "1" if read else "",
                }
                for notification, read in notifications.list_for(session, actor=actor)
            ]
            self.messages = [
                {
                    "at": format_beijing(message.created_at),
                    "mobile": mask_mobile(message.mobile),
                    "body": message.body,
                }
                for message in notifications.sms_for(session, actor=actor)
            ]
            self.unread_notifications = notifications.unread_count(session, actor=actor)

    @rx.event
    @shows_service_errors
    def mark_all_read(self):
        with session_scope() as session:
            actor = self.require_actor(session)
            notifications.mark_read(session, actor=actor)
        return NotificationsState.load

    @rx.event
    @shows_service_errors
    def open_item(self, notification_id: str, link: str):
        with session_scope() as session:
            actor = self.require_actor(session)
            notifications.mark_read(
                session, actor=actor, notification_id=int(notification_id)
            )
        if link:
            return rx.redirect(link)
        return NotificationsState.load


def _item(row) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row["read"] == "",
            rx.badge("未读", color_scheme="red", size="1"),
            rx.badge("已读", color_scheme="gray", size="1"),
        ),
        rx.vstack(
            rx.text(row["title"], weight=rx.cond(row["read"] == "", "bold", "regular")),
            rx.text(row["body"], size="2", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.text(row["at"], size="1", color_scheme="gray"),
        width="100%",
        padding="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        cursor="pointer",
        on_click=NotificationsState.open_item(row["id"], row["link"]),
    )


@page(
    routes.NOTIFICATIONS,
    "通知",
    on_load=NotificationsState.load,
    nav_label="通知",
    order=5,
)
def notifications_page() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("通知", weight="bold"),
                    rx.spacer(),
                    rx.button(
                        "全部标为已读",
                        size="1",
                        variant="soft",
                        on_click=NotificationsState.mark_all_read,
                        id="mark-all-read",
                    ),
                    width="100%",
                ),
                rx.cond(
                    NotificationsState.items.length() > 0,
                    rx.vstack(
                        rx.foreach(NotificationsState.items, _item),
                        width="100%",
                        spacing="0",
                        id="notification-list",
                    ),
                    rx.text("暂无通知", color_scheme="gray"),
                ),
                width="100%",
            ),
        ),
        rx.card(
            rx.vstack(
                rx.text("已发送的短信", weight="bold"),
                rx.foreach(
                    NotificationsState.messages,
                    lambda message: rx.vstack(
                        rx.text(
                            message["at"] + "  " + message["mobile"],
                            size="1",
                            color_scheme="gray",
                        ),
                        rx.text(message["body"], size="2"),
                        spacing="0",
                        width="100%",
                    ),
                ),
                width="100%",
                id="sms-list",
            ),
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )
