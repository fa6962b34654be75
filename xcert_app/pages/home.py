"""Each role's home page: who is signed in and where to start."""

import reflex as rx

from xcert_app import routes
from xcert_app.components.page import page
from xcert_app.state import SessionState


def _shortcut(item) -> rx.Component:
    return rx.link(
        rx.card(
            rx.text(item["label"], weight="medium"),
            rx.text(item["group"], size="1", color_scheme="gray"),
        ),
        href=item["route"],
        underline="none",
    )


@page(routes.HOME, "首页", nav_label="首页", order=0)
def home_page() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text(
                    "您好，" + SessionState.display_name,
                    size="4",
                    weight="bold",
                    id="home-greeting",
                ),
                rx.hstack(
                    rx.badge(SessionState.role_label, id="home-role"),
                    rx.text(
                        SessionState.organisation_name,
                        color_scheme="gray",
                        id="home-organisation",
                    ),
                ),
            ),
            width="100%",
        ),
        rx.text("常用功能", weight="bold"),
        rx.grid(
            rx.foreach(SessionState.nav_items, _shortcut),
            columns="4",
            spacing="3",
            width="100%",
        ),
        width="100%",
        spacing="3",
    )
