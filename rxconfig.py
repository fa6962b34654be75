"""Reflex configuration. The database is xcert's own (``XCERT_DATABASE_URL``), not Reflex's."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin


def _port(name: str) -> int | None:
    """Read a port from the environment; None leaves Reflex's default (3000, 8000)."""
    value = os.environ.get(name)
    return int(value) if value else None


config = rx.Config(
    app_name="xcert_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_port("XCERT_FRONTEND_PORT"),
    backend_port=_port("XCERT_BACKEND_PORT"),
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[SitemapPlugin],
)
