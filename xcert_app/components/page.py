"""The page registry: each page module declares its route, title, roles and menu entry.

``xcert_app.xcert_app`` imports every module under ``pages/`` and registers what
they declared, so adding a page never touches a shared list.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import reflex as rx

from xcert_app.models.accounts import Role


@dataclass
class PageEntry:
    """One registered page."""

    route: str
    title: str
    component: Callable[[], rx.Component]
    roles: tuple[str, ...]
    on_load: list = field(default_factory=list)
    nav_label: str = ""
    nav_group: str = ""
    order: int = 100
    public: bool = False


REGISTRY: list[PageEntry] = []


def page(
    route: str,
    title: str,
    *,
    roles: Sequence[Role] = (),
    on_load: Callable | list | None = None,
    nav_label: str = "",
    nav_group: str = "",
    order: int = 100,
    public: bool = False,
):
    """Register a page. ``roles`` empty means any signed-in account; ``public`` needs no login."""

    def decorator(component: Callable[[], rx.Component]):
        if isinstance(on_load, list):
            handlers = on_load
        elif on_load:
            handlers = [on_load]
        else:
            handlers = []
        REGISTRY.append(
            PageEntry(
                route=route,
                title=title,
                component=component,
                roles=tuple(role.value for role in roles)
                if roles
                else tuple(role.value for role in Role),
                on_load=handlers,
                nav_label=nav_label,
                nav_group=nav_group,
                order=order,
                public=public,
            )
        )
        return component

    return decorator
