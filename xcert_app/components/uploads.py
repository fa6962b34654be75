"""Chinese feedback when the browser turns a chosen file away before uploading it.

Reflex's upload box shows an English toast with the dropzone's own messages when a
file has the wrong type or size. Every upload box of this app is created after this
module replaces that default, so users read the reason in Chinese instead.
"""

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar
from reflex_components_core.core import upload as reflex_upload


def rejected_files_toast(
    rejected_files: ArrayVar[list[dict[str, Any]]],
) -> rx.event.EventSpec:
    """Return a toast naming each refused file and what to choose instead."""

    def describe(record: ObjectVar[dict[str, Any]]) -> str:
        record = record.to(ObjectVar, dict[str, dict[str, Any]])
        file = record["file"].to(ObjectVar, dict[str, Any])
        return f"{file['path']}：文件类型或大小不符合要求"

    return rx.toast.error(
        title="文件未被接受",
        description=rejected_files.to(ArrayVar).map(describe).join("\n")
        + "\n请按页面提示选择正确格式、不超过大小限制的文件。",
        close_button=True,
        style={"white_space": "pre-line"},
    )


reflex_upload._default_drop_rejected = rejected_files_toast
