"""Chinese feedback when the browser turns a chosen file away before uploading it.

Reflex's upload box shows an English toast with the dropzone's own messages when a
file has the wrong type or size. Upload boxes are built with ``upload`` and
``upload_root`` here, which pass the Chinese toast instead, so users read the reason
in Chinese. Replacing Reflex's default at import would depend on the import order.

An upload box also calls its ``on_drop`` handler with no files after such a
refusal, so handlers return quietly on an empty list rather than add a second toast.
"""

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

GENERAL_HINT = "请按页面提示选择正确格式、不超过大小限制的文件。"


def rejected_files_toast(
    rejected_files: ArrayVar[list[dict[str, Any]]],
    hint: str = GENERAL_HINT,
) -> rx.event.EventSpec:
    """Return a toast naming each refused file, with ``hint`` on what to choose instead."""

    def describe(record: ObjectVar[dict[str, Any]]) -> str:
        record = record.to(ObjectVar, dict[str, dict[str, Any]])
        file = record["file"].to(ObjectVar, dict[str, Any])
        # ``path`` is "./name" for a file picked in the dialog, so show ``name``.
        return f"{file['name']}：文件类型或大小不符合要求"

    return rx.toast.error(
        title="文件未被接受",
        description=rejected_files.to(ArrayVar).map(describe).join("\n") + "\n" + hint,
        close_button=True,
        # Several lines of reasons take longer to read than the default 4 seconds.
        duration=10_000,
        style={"white_space": "pre-line"},
    )


def upload(*children: rx.Component, **props: Any) -> rx.Component:
    """Return ``rx.upload`` that explains a refused file with ``rejected_files_toast``."""
    props.setdefault("on_drop_rejected", rejected_files_toast)
    return rx.upload(*children, **props)


def upload_root(*children: rx.Component, **props: Any) -> rx.Component:
    """Return ``rx.upload.root`` that explains a refused file with ``rejected_files_toast``."""
    props.setdefault("on_drop_rejected", rejected_files_toast)
    return rx.upload.root(*children, **props)
