"""Load: 200 students fetch their scores and admission ticket at once from one backend.

The backend is the real one (``reflex run --backend-only --env prod``, one worker) on
a SQLite file prepared here, on loopback. Each student sends two requests with their
own login token; the benchmark counts errors and reports the 95th percentile.
"""

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlmodel import Session, SQLModel

import xcert_app.models  # noqa: F401
from tests.bench import Benchmark, Measurement
from xcert_app.clock import beijing, clock
from xcert_app.db import make_engine, set_engine
from xcert_app.models.accounts import Role
from xcert_app.models.scores import SubjectScore
from xcert_app.services import accounts
from xcert_app.settings import PROJECT_ROOT

STUDENTS = 200
# Inside both the ticket window and the publication window set below.
NOW = beijing(2026, 12, 15, 10, 0)


def _prepare(database: Path) -> tuple[int, list[str]]:
    """Build a plan with STUDENTS seated, scored candidates; return the plan id and tokens."""
    from tests import factories_scores
    from tests.factories import make_account

    engine = make_engine(f"sqlite:///{database}")
    SQLModel.metadata.create_all(engine)
    set_engine(engine)
    clock.set(NOW)
    tokens = []
    with Session(engine, expire_on_commit=False) as session:
        world = factories_scores.make_world(session)
        plan = world.plan
        plan.ticket_start, plan.ticket_end = (
            beijing(2026, 12, 1),
            beijing(2026, 12, 31, 23, 59, 59),
        )
        plan.publication_start = beijing(2026, 12, 10)
        plan.publication_end = beijing(2026, 12, 31, 23, 59, 59)
        session.add(plan)
        for index in range(STUDENTS):
            candidate, registrations = factories_scores.add_candidate(session, world)
            for registration in registrations:
                session.add(
                    SubjectScore(
                        registration_id=registration.id,
                        plan_id=plan.id,
                        candidate_id=candidate.id,
                        subject_id=registration.subject_id,
                        score_tenths=600 + index % 400,
                    )
                )
            account = make_account(
                session,
                role=Role.CANDIDATE,
                candidate_id=candidate.id,
                username=f"student{index}",
            )
            tokens.append(accounts.open_session(session, account=account))
        session.commit()
        plan_id = plan.id
    engine.dispose()
    clock.reset()
    return plan_id, tokens


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            urllib.request.urlopen(url, timeout=2).read()
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


async def _student(
    client, base: str, token: str, plan_id: int, latencies: list, errors: list
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/student/scores", f"/api/student/tickets/{plan_id}"):
        started = time.perf_counter()
        try:
            response = await client.get(base + path, headers=headers)
            if response.status_code != 200:
                errors.append(f"{path}: {response.status_code} {response.text[:120]}")
            elif path.endswith("scores") and len(response.json()["scores"]) != 3:
                errors.append(f"{path}: expected 3 scores, got {response.text[:120]}")
        except Exception as error:  # noqa: BLE001 - every failure counts as an error here
            errors.append(f"{path}: {error!r}")
        latencies.append(time.perf_counter() - started)


async def _swarm(
    base: str, tokens: list[str], plan_id: int
) -> tuple[list[float], list[str]]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(tokens))
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(
            *(
                _student(client, base, token, plan_id, latencies, errors)
                for token in tokens
            )
        )
    return latencies, errors


def bench_load() -> Measurement:
    workdir = Path(tempfile.mkdtemp(prefix="xcert-load-"))
    database = workdir / "load.db"
    plan_id, tokens = _prepare(database)
    port = _free_port()
    environment = {
        **os.environ,
        "XCERT_DATABASE_URL": f"sqlite:///{database}",
        "XCERT_VAR_DIR": str(workdir),
        "XCERT_NOW": NOW.isoformat(),
        "GRANIAN_WORKERS": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": str(PROJECT_ROOT / ".tools" / "node_modules" / ".bin")
        + os.pathsep
        + os.environ["PATH"],
    }
    environment.pop("REFLEX_REDIS_URL", None)
    reflex = str(Path(sys.executable).with_name("reflex"))
    log = open(workdir / "backend.log", "wb")  # noqa: SIM115 - closed with the backend
    backend = subprocess.Popen(
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
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/ping")
        latencies, errors = asyncio.run(
            _swarm(f"http://127.0.0.1:{port}", tokens, plan_id)
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(backend.pid, signal.SIGTERM)
        try:
            backend.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(backend.pid, signal.SIGKILL)
            backend.wait(10)
        log.close()
    p95 = statistics.quantiles(latencies, n=20)[18]
    note = f"{len(latencies)} requests, {len(errors)} errors, median {statistics.median(latencies):.2f} s"
    if errors:
        note += f"; first: {errors[0]}; backend log: {workdir / 'backend.log'}"
    return Measurement(
        target=f"{STUDENTS} students at once: no errors, p95 reported",
        baseline=None,
        ours=p95,
        passed=not errors,
        note=note,
    )


BENCHMARKS = [Benchmark("load: 200 students, scores + ticket (p95)", bench_load)]
