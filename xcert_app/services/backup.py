"""Backup and restore of the whole database: SQLite's online backup, pg_dump for PostgreSQL."""

import logging
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from xcert_app.services.errors import ServiceError

logger = logging.getLogger(__name__)


def backup(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` while the app keeps running."""
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    url = engine.url
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    elif url.get_backend_name() == "postgresql":
        _run_pg(["pg_dump", "--format=custom", "--no-owner", f"--file={target}"], url)
    else:
        raise ServiceError(f"不支持备份此类数据库：{url.get_backend_name()}")
    logger.info(
        "database backed up to %s in %.1f s", target, time.monotonic() - started
    )
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's content with the backup in ``source``."""
    if not source.is_file():
        raise ServiceError(f"备份文件 {source} 不存在")
    started = time.monotonic()
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as backup_copy:
            if backup_copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ServiceError(f"备份文件 {source} 已损坏，未做任何修改")
            with sqlite3.connect(url.database) as live:
                backup_copy.backup(live)
    elif url.get_backend_name() == "postgresql":
        _run_pg(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                str(source),
            ],
            url,
        )
    else:
        raise ServiceError(f"不支持恢复此类数据库：{url.get_backend_name()}")
    logger.info(
        "database restored from %s in %.1f s", source, time.monotonic() - started
    )


def _run_pg(arguments: list[str], url) -> None:
    if shutil.which(arguments[0]) is None:
        raise ServiceError(f"找不到 {arguments[0]}，请安装 PostgreSQL 客户端工具")
    plain = make_url(str(url)).set(drivername="postgresql")
    connection = plain.render_as_string(hide_password=False)
    if arguments[0] == "pg_dump":
        command = [*arguments, connection]
    else:
        command = [arguments[0], f"--dbname={connection}", *arguments[1:]]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        logger.error("%s failed: %s", arguments[0], result.stderr.strip()[:500])
        raise ServiceError(f"{arguments[0]} 执行失败：{result.stderr.strip()[:200]}")
