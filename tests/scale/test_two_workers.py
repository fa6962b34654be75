"""Two backend workers on PostgreSQL and Redis: what one worker does, the other sees.

The test builds the production frontend pointing at a loopback proxy, starts two
single-process backends on the same database and Redis, and moves the browser's
connection from the first worker to the second. Page state typed through the first
worker is still there when the second one serves the page (Reflex keeps it in
Redis), and an account created through the second worker is listed by the first
(the shared database).
"""

import asyncio
import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from xcert_app.settings import PROJECT_ROOT

pytestmark = pytest.mark.scale

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
DATABASE = "xcert_scale"
DATABASE_URL = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/7"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _services_answer() -> str:
    try:
        import psycopg2

        psycopg2.connect(connect_timeout=3, **PG_ADMIN).close()
    except Exception as error:
        return f"PostgreSQL does not answer at 127.0.0.1:5432 ({error})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as error:
        return f"Redis does not answer at 127.0.0.1:6379 ({error})"
    return ""


class SwitchingProxy:
    """A loopback TCP proxy whose upstream port can be switched; switching drops open links."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port = port
        self.upstream = upstream
        self.served: dict[int, int] = {}
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        upstream = self.upstream
        self.served[upstream] = self.served.get(upstream, 0) + 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(source, target):
            with contextlib.suppress(Exception):
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            target.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    def switch(self, upstream: int) -> None:
        """Send new connections to ``upstream`` and close the open ones."""

        def close_all():
            self.upstream = upstream
            for writer in list(self._writers):
                writer.close()

        self._loop.call_soon_threadsafe(close_all)
        time.sleep(0.5)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


def _wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            urllib.request.urlopen(url, timeout=2).read()
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    problem = _services_answer()
    if problem:
        pytest.skip(problem)
    import psycopg2
    import redis

    connection = psycopg2.connect(**PG_ADMIN)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    connection.close()
    redis.Redis.from_url(REDIS_URL).flushdb()

    root = tmp_path_factory.mktemp("deployment")
    files = subprocess.run(
        ["git", "ls-files"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in files.split():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, root / name)
    proxy_port, frontend_port = _free_port(), _free_port()
    worker_ports = [_free_port(), _free_port()]
    environment = {
        **os.environ,
        "XCERT_DATABASE_URL": DATABASE_URL,
        "XCERT_VAR_DIR": str(root / "var"),
        "REFLEX_REDIS_URL": REDIS_URL,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_API_URL": f"http://127.0.0.1:{proxy_port}",
        "GRANIAN_WORKERS": "1",
        "PATH": str(PROJECT_ROOT / ".tools" / "node_modules" / ".bin")
        + os.pathsep
        + os.environ["PATH"],
    }
    environment.pop("XCERT_NOW", None)
    python = sys.executable
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(
            [python, "-m", "xcert_app", *command],
            cwd=root,
            env=environment,
            check=True,
            capture_output=True,
        )
    reflex = str(Path(python).with_name("reflex"))
    subprocess.run(
        [reflex, "export", "--frontend-only", "--no-zip", "--loglevel", "warning"],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
        timeout=600,
    )
    workers = [
        subprocess.Popen(
            [
                reflex,
                "run",
                "--backend-only",
                "--env",
                "prod",
                "--backend-port",
                str(port),
                "--loglevel",
                "warning",
            ],
            cwd=root,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for port in worker_ports
    ]
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler,
        directory=str(root / ".web" / "build" / "client"),
    )
    static = http.server.ThreadingHTTPServer(("127.0.0.1", frontend_port), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    proxy = SwitchingProxy(proxy_port, worker_ports[0])
    proxy.start()
    try:
        for port in worker_ports:
            _wait_for(f"http://127.0.0.1:{port}/ping")
        yield {
            "frontend": f"http://127.0.0.1:{frontend_port}",
            "proxy": proxy,
            "workers": worker_ports,
        }
    finally:
        proxy.stop()
        static.shutdown()
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, 15)
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(20)


def test_second_worker_sees_first_workers_state_and_data(deployment):
    frontend = deployment["frontend"]
    proxy: SwitchingProxy = deployment["proxy"]
    first, second = deployment["workers"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{frontend}/login")
        page.fill("#username", "operator")
        page.fill("#password", "Xcert2026")
        page.click("#login-submit")
        expect(page.locator("#home-greeting")).to_be_visible(timeout=30_000)
        page.goto(f"{frontend}/operator/audit")
        page.fill("#audit-text", "typed-through-first-worker")
        page.click("#audit-search")
        expect(page.locator("#audit-table")).to_be_visible()
        assert proxy.served.get(first, 0) > 0

        proxy.switch(second)
        page.reload()
        expect(page.locator("#audit-text")).to_have_value(
            "typed-through-first-worker", timeout=30_000
        )
        assert proxy.served.get(second, 0) > 0

        page.goto(f"{frontend}/operator/accounts")
        page.fill("#new-username", "made_on_second")
        page.fill("#new-name", "第二个进程创建")
        page.get_by_role("combobox").nth(1).click()
        page.get_by_role("option", name="首都师范大学").click()
        page.click("#create-account")
        expect(page.locator("#created-message")).to_contain_text("made_on_second")

        proxy.switch(first)
        page.reload()
        expect(page.get_by_text("第二个进程创建")).to_be_visible(timeout=30_000)
        browser.close()
