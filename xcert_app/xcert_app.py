"""The Reflex app: imports every page module and registers what they declared."""

import importlib
import logging
import pkgutil

import reflex as rx

import xcert_app.models  # noqa: F401  (registers every table)
from xcert_app import pages
from xcert_app.api import api
from xcert_app.components.layout import signed_in_frame
from xcert_app.components.page import REGISTRY
from xcert_app.state import SessionState

logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)

for module in pkgutil.iter_modules(pages.__path__):
    importlib.import_module(f"{pages.__name__}.{module.name}")

app = rx.App(
    html_lang="zh-CN",
    style={
        "font_family": "'PingFang SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
    },
    api_transformer=api,
)


def _framed(entry):
    def component() -> rx.Component:
        return signed_in_frame(entry.component(), entry.title)

    return component


for entry in REGISTRY:
    if entry.public:
        app.add_page(
            entry.component,
            route=entry.route,
            title=f"{entry.title} · 1+X 证书试点平台",
            on_load=entry.on_load or None,
        )
    else:
        app.add_page(
            _framed(entry),
            route=entry.route,
            title=f"{entry.title} · 1+X 证书试点平台",
            on_load=[SessionState.guard(",".join(entry.roles)), *entry.on_load],
        )
