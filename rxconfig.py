"""Reflex configuration. The database is xcert's own (``XCERT_DATABASE_URL``), not Reflex's."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="xcert_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=int(os.environ.get("XCERT_FRONTEND_PORT", "3000")),
    backend_port=int(os.environ.get("XCERT_BACKEND_PORT", "8000")),
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[SitemapPlugin],
)
