"""Public certificate verification: certificate number plus the holder's ID number.

Anyone may query without logging in, so every wrong pair gets the same response
and each client is rate-limited.
"""

import logging
import math
import os
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import Certificate, CertificateLevel
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation
from xcert_app.services.errors import ServiceError
from xcert_app.services.identity import id_number_problem as resident_id_problem
from xcert_app.services.masking import mask_id_number, mask_name

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "查无此证书，请核对证书编号和证件号码后重试"
# 9 digits of certificate code, 1 of level, 2 of year, 2 of province, 8 of serial.
NUMBER_DIGITS = 22
MAX_REQUESTS = 10
WINDOW = timedelta(minutes=1)
# Candidate imports accept these numbers for passports and travel permits.
ID_DOCUMENT_PATTERN = re.compile(r"^[A-Z0-9]{5,20}$")
# Numbers of 15 to 18 digits, the last of which may be X, are resident IDs, perhaps mistyped.
RESIDENT_ID_PATTERN = re.compile(r"^\d{14,17}[\dX]$")


class RateLimited(ServiceError):
    """The client sent too many requests; it should wait and try again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"查询过于频繁，请 {seconds} 秒后再试")
        self.retry_after = seconds


class RateLimiter:
    """A sliding-window count of requests per client key, kept in this process.

    With several backend workers each one would count on its own, so
    ``make_limiter`` uses ``RedisRateLimiter`` whenever Redis is configured.
    """

    def __init__(self, limit: int = MAX_REQUESTS, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Count one request of ``key``; raise ``RateLimited`` when over the limit."""
        now = clock.now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = hits[0] + self.window - now
                logger.warning("verification rate limit reached for a client")
                raise RateLimited(max(1, math.ceil(wait.total_seconds())))
            hits.append(now)
            if len(self._hits) > 10_000:
                self._forget_idle(now)

    def _forget_idle(self, now) -> None:
        for key in [
            key
            for key, hits in self._hits.items()
            if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class RedisRateLimiter:
    """A sliding-window count per client key in Redis, shared by every worker.

    Each request is a member of a sorted set scored by its time. When Redis fails
    to respond, the request is counted in this process instead, so verification
    keeps working with a per-worker limit until Redis is back.
    """

    def __init__(
        self, url: str, limit: int = MAX_REQUESTS, window: timedelta = WINDOW
    ) -> None:
        import redis

        self.limit = limit
        self.window = window
        self._redis = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._fallback = RateLimiter(limit, window)
        self._last_failure_logged = 0.0

    def check(self, key: str) -> None:
        """Count one request of ``key``; raise ``RateLimited`` when over the limit."""
        import redis

        now = clock.now().timestamp()
        window = self.window.total_seconds()
        name = f"xcert:verify:{key}"
        member = f"{now}:{uuid.uuid4().hex}"
        try:
            pipeline = self._redis.pipeline()
            pipeline.zremrangebyscore(name, "-inf", now - window)
            pipeline.zadd(name, {member: now})
            pipeline.zrange(name, 0, 0, withscores=True)
            pipeline.zcard(name)
            pipeline.expire(name, math.ceil(window))
            _removed, _added, oldest, count, _expiry = pipeline.execute()
        except redis.RedisError as error:
            if time.monotonic() - self._last_failure_logged > 60:
                self._last_failure_logged = time.monotonic()
                logger.warning(
                    "rate limit counts in this worker, Redis failed: %s", error
                )
            self._fallback.check(key)
            return
        if count > self.limit:
            # A rejected request does not count, as in the in-process limiter.
            self._redis.zrem(name, member)
            wait = oldest[0][1] + window - now if oldest else window
            logger.warning("verification rate limit reached for a client")
            raise RateLimited(max(1, math.ceil(wait)))

    def reset(self) -> None:
        import redis

        self._fallback.reset()
        try:
            for name in self._redis.scan_iter("xcert:verify:*"):
                self._redis.delete(name)
        except redis.RedisError as error:
            logger.warning("could not clear the rate limit counts in Redis: %s", error)


def make_limiter(redis_url: str | None = None) -> RateLimiter | RedisRateLimiter:
    """Return the limiter for this process: in Redis when ``REFLEX_REDIS_URL`` is set."""
    url = redis_url if redis_url is not None else os.environ.get("REFLEX_REDIS_URL")
    return RedisRateLimiter(url) if url else RateLimiter()


limiter = make_limiter()


@dataclass(frozen=True)
class VerifiedCertificate:
    """The public details of one issued certificate."""

    certificate_number: str
    holder_name_masked: str
    id_number_masked: str
    certificate_name: str
    level: str
    organisation_name: str
    school_name: str
    issue_date: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


def number_problem(number: str) -> str:
    """Return why ``number`` cannot be a certificate number, or "" when it can be.

    The format is public, so saying it is wrong reveals nothing about any holder.
    """
    number = number.strip()
    if not number.isascii() or not number.isdigit():
        return f"证书编号“{number}”无效：只能由 {NUMBER_DIGITS} 位数字组成"
    if len(number) != NUMBER_DIGITS:
        return f"证书编号应为 {NUMBER_DIGITS} 位数字，当前为 {len(number)} 位，请核对"
    return ""


def id_number_problem(id_number: str) -> str:
    """Return why ``id_number`` cannot be a holder's ID number, or "" when it can be.

    Holders may carry a passport or a travel permit, so only a number shaped like a
    resident ID (15 to 18 digits, the last one possibly X) is checked against GB 11643.
    """
    id_number = _normalise_id(id_number)
    if not ID_DOCUMENT_PATTERN.match(id_number):
        return "证件号码只能由 5 到 20 位字母和数字组成，请核对"
    if RESIDENT_ID_PATTERN.match(id_number):
        return resident_id_problem(id_number) or ""
    return ""


def form_errors(number: str, id_number: str) -> dict[str, str]:
    """Return the error of each field of the verification form, keyed by field name.

    Both fields are checked, so the form shows every error at once.
    """
    errors: dict[str, str] = {}
    if not number.strip():
        errors["number"] = "请输入证书编号"
    elif problem := number_problem(number):
        errors["number"] = problem
    if not id_number.strip():
        errors["id_number"] = "请输入持证人的证件号码"
    elif problem := id_number_problem(id_number):
        errors["id_number"] = problem
    return errors


def _normalise_id(id_number: str) -> str:
    return id_number.strip().upper()


def verify(
    session: Session, *, number: str, id_number: str, client: str
) -> VerifiedCertificate | None:
    """Return the issued certificate with this number held by this ID number, or None.

    A wrong number, a wrong ID number and a certificate not yet issued all return
    None, so the response never reveals which part was wrong. Raises ``RateLimited``.
    """
    limiter.check(client or "unknown")
    number = number.strip()
    id_number = _normalise_id(id_number)
    if not number or not id_number:
        return None
    found = session.exec(
        select(IssuanceRecord, Candidate)
        .join(Candidate, Candidate.id == IssuanceRecord.candidate_id)
        .where(
            IssuanceRecord.certificate_number == number,
            IssuanceRecord.status == IssuanceStatus.ISSUED,
        )
    ).first()
    if found is None or found[1].id_number.upper() != id_number:
        return None
    record, candidate = found
    level = session.get(CertificateLevel, record.certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    return VerifiedCertificate(
        certificate_number=record.certificate_number,
        holder_name_masked=mask_name(candidate.name),
        id_number_masked=mask_id_number(candidate.id_number),
        certificate_name=certificate.name,
        level=level.level,
        organisation_name=session.get(Organisation, record.org_id).name,
        school_name=session.get(Organisation, record.school_id).name,
        issue_date=format_beijing(record.issued_at, "%Y-%m-%d"),
    )
