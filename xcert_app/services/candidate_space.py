"""The candidate's personal space: first login by SMS code, then their own tickets,
scores, results and certificates."""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from xcert_app.clock import clock, format_beijing
from xcert_app.models.accounts import Account, Role
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import (
    Certificate,
    CertificateLevel,
    ExamPlan,
    PlanLevel,
    PlanSession,
    Subject,
)
from xcert_app.models.issuance import IssuanceRecord, IssuanceStatus
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.models.scheduling import Arrangement
from xcert_app.models.scores import CertificateResult, ScoreStatus, SubjectScore
from xcert_app.models.sites import ExamSite, Room
from xcert_app.models.system import SmsCode
from xcert_app.services import accounts, audit, sms
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import ServiceError, ValidationError
from xcert_app.services.masking import mask_id_number, mask_mobile
from xcert_app.services.secret import keyed_hash

logger = logging.getLogger(__name__)

FIRST_LOGIN = "candidate_first_login"
CODE_LIFETIME = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_CODE_ATTEMPTS = 5


def normalise_id_number(id_number: str) -> str:
    """Return an ID number without spaces and with an upper-case check character."""
    return "".join(id_number.split()).upper()


def _candidate_for(session: Session, id_number: str) -> Candidate:
    candidate = session.exec(
        select(Candidate)
        .where(Candidate.id_number == id_number)
        .order_by(Candidate.id.desc())
    ).first()
    if candidate is None or not candidate.mobile:
        raise ServiceError(
            "未找到该证件号码的考生信息或考生未登记手机号，请联系所在院校核对考生信息"
        )
    return candidate


def _account_exists(session: Session, id_number: str) -> bool:
    found = session.exec(select(Account.id).where(Account.username == id_number))
    return found.first() is not None


def _code_hash(mobile: str, code: str) -> str:
    return keyed_hash(mobile, code)


def request_first_login_code(session: Session, *, id_number: str) -> str:
    """Send a six-digit code to the candidate's registered mobile; return it masked."""
    id_number = normalise_id_number(id_number)
    if not id_number:
        raise ValidationError({"id_number": "请输入证件号码"})
    if _account_exists(session, id_number):
        raise ServiceError("该证件号码已设置过密码，请直接登录；忘记密码请联系所在院校")
    candidate = _candidate_for(session, id_number)
    now = clock.now()
    recent = session.exec(
        select(SmsCode)
        .where(SmsCode.mobile == candidate.mobile, SmsCode.purpose == FIRST_LOGIN)
        .order_by(SmsCode.id.desc())
    ).first()
    if recent is not None and recent.created_at > now - RESEND_AFTER:
        raise ServiceError("验证码已发送，请 60 秒后再重新获取")

    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        SmsCode(
            mobile=candidate.mobile,
            purpose=FIRST_LOGIN,
            code_hash=_code_hash(candidate.mobile, code),
            expires_at=now + CODE_LIFETIME,
        )
    )
    sms.get_sender().send(
        session,
        mobile=candidate.mobile,
        purpose=FIRST_LOGIN,
        body=f"【1+X证书】您的首次登录验证码为 {code}，10 分钟内有效。如非本人操作请忽略。",
    )
    return mask_mobile(candidate.mobile)


def _check_code(session: Session, *, mobile: str, code: str) -> SmsCode:
    sent = session.exec(
        select(SmsCode)
        .where(
            SmsCode.mobile == mobile,
            SmsCode.purpose == FIRST_LOGIN,
            SmsCode.used_at.is_(None),
        )
        .order_by(SmsCode.id.desc())
    ).first()
    if sent is None or sent.expires_at <= clock.now():
        raise ValidationError({"code": "验证码已过期或未获取，请重新获取"})
    if sent.attempts >= MAX_CODE_ATTEMPTS:
        raise ValidationError({"code": "验证码错误次数过多，请重新获取"})
    if not hmac.compare_digest(sent.code_hash, _code_hash(mobile, code.strip())):
        sent.attempts += 1
        session.add(sent)
        raise ValidationError({"code": "验证码不正确"})
    return sent


def set_first_password(
    session: Session, *, id_number: str, code: str, password: str
) -> Account:
    """Create the candidate's login after checking the SMS code; the ID number is the username.

    A wrong code counts an attempt; the caller should commit even when this raises,
    so the count persists.
    """
    id_number = normalise_id_number(id_number)
    if _account_exists(session, id_number):
        raise ServiceError("该证件号码已设置过密码，请直接登录")
    candidate = _candidate_for(session, id_number)
    sent = _check_code(session, mobile=candidate.mobile, code=code)
    accounts.check_password_rules(password)

    account = accounts.create_account(
        session,
        username=id_number,
        password=password,
        role=Role.CANDIDATE,
        organisation_id=None,
        display_name=candidate.name,
        mobile=candidate.mobile,
        candidate_id=candidate.id,
    )
    sent.used_at = clock.now()
    session.add(sent)
    audit.record(
        session,
        actor=accounts.actor_for_account(session, account),
        action="candidate.first_login",
        entity="account",
        entity_id=account.id,
        after={"candidate_id": candidate.id},
    )
    logger.info("candidate account %s created at first login", account.id)
    return account


def _candidate_id(actor: Actor) -> int:
    require_role(actor, Role.CANDIDATE)
    if actor.candidate_id is None:
        raise ServiceError("该账号未关联考生信息，请联系所在院校")
    return actor.candidate_id


@dataclass(frozen=True)
class Profile:
    name: str
    id_number_masked: str
    school_name: str
    mobile_masked: str


def profile(session: Session, *, actor: Actor) -> Profile:
    """Return who the signed-in candidate is, masked for display."""
    candidate = session.get(Candidate, _candidate_id(actor))
    school = session.get(Organisation, candidate.school_id)
    return Profile(
        name=candidate.name,
        id_number_masked=mask_id_number(candidate.id_number),
        school_name=school.name if school else "",
        mobile_masked=mask_mobile(candidate.mobile),
    )


def _level_label(session: Session, certificate_level_id: int) -> tuple[str, str]:
    level = session.get(CertificateLevel, certificate_level_id)
    certificate = session.get(Certificate, level.certificate_id)
    return certificate.name, level.level


def certificates(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """List the candidate's issued certificates, newest first."""
    candidate_id = _candidate_id(actor)
    records = session.exec(
        select(IssuanceRecord)
        .where(
            IssuanceRecord.candidate_id == candidate_id,
            IssuanceRecord.status == IssuanceStatus.ISSUED,
        )
        .order_by(IssuanceRecord.issued_at.desc())
    ).all()
    rows = []
    for record in records:
        certificate_name, level = _level_label(session, record.certificate_level_id)
        rows.append(
            {
                "id": str(record.id),
                "number": record.certificate_number,
                "certificate": certificate_name,
                "level": level,
                "organisation": session.get(Organisation, record.org_id).name,
                "issued": format_beijing(record.issued_at, "%Y-%m-%d"),
            }
        )
    return rows


def results(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """List the candidate's certificate results from the plan's publication start."""
    candidate_id = _candidate_id(actor)
    found = session.exec(
        select(CertificateResult, ExamPlan, PlanLevel)
        .join(ExamPlan, ExamPlan.id == CertificateResult.plan_id)
        .join(PlanLevel, PlanLevel.id == CertificateResult.plan_level_id)
        .where(
            CertificateResult.candidate_id == candidate_id,
            CertificateResult.computed_at.is_not(None),
            ExamPlan.publication_start <= clock.now(),
        )
        .order_by(CertificateResult.id.desc())
    ).all()
    rows = []
    for result, plan, plan_level in found:
        certificate_name, level = _level_label(session, plan_level.certificate_level_id)
        composite = result.composite_tenths
        rows.append(
            {
                "plan": plan.name,
                "certificate": certificate_name,
                "level": level,
                "composite": "" if composite is None else f"{composite / 10:.1f}",
                "outcome": "通过" if result.passed else "未通过",
            }
        )
    return rows


SCORE_STATUS_LABELS = {ScoreStatus.ABSENT: "缺考", ScoreStatus.DISQUALIFIED: "违纪"}


def scores(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """List subject scores of plans whose publication has started.

    Reads ``SubjectScore`` directly until the scores area offers its own query.
    """
    candidate_id = _candidate_id(actor)
    found = session.exec(
        select(SubjectScore, ExamPlan, Subject)
        .join(ExamPlan, ExamPlan.id == SubjectScore.plan_id)
        .join(Subject, Subject.id == SubjectScore.subject_id)
        .where(
            SubjectScore.candidate_id == candidate_id,
            ExamPlan.publication_start <= clock.now(),
        )
        .order_by(SubjectScore.id)
    ).all()
    return [
        {
            "plan": plan.name,
            "subject": f"{subject.code} {subject.name}",
            "score": SCORE_STATUS_LABELS.get(score.status)
            or ("" if score.score_tenths is None else f"{score.score_tenths / 10:.1f}"),
        }
        for score, plan, subject in found
    ]


def tickets(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """List admission tickets of plans whose ticket-printing window is open.

    Reads ``Arrangement`` rows directly until the scheduling area offers its own query.
    """
    candidate_id = _candidate_id(actor)
    now = clock.now()
    found = session.exec(
        select(Arrangement, ExamPlan, Subject, ExamSite, Room, PlanSession)
        .join(Registration, Registration.id == Arrangement.registration_id)
        .join(ExamPlan, ExamPlan.id == Arrangement.plan_id)
        .join(Subject, Subject.id == Registration.subject_id)
        .join(ExamSite, ExamSite.id == Arrangement.site_id)
        .join(Room, Room.id == Arrangement.room_id)
        .join(PlanSession, PlanSession.id == Arrangement.session_id)
        .where(
            Registration.candidate_id == candidate_id,
            ExamPlan.ticket_start <= now,
            ExamPlan.ticket_end >= now,
        )
        .order_by(PlanSession.starts_at)
    ).all()
    return [
        {
            "ticket": arrangement.ticket_number,
            "plan_id": str(plan.id),
            "plan": plan.name,
            "subject": f"{subject.code} {subject.name}",
            "site": site.name,
            "room": room.name,
            "seat": str(arrangement.seat_number),
            "time": format_beijing(sitting.starts_at)
            + " – "
            + format_beijing(sitting.ends_at, "%H:%M"),
            "address": room.address,
        }
        for arrangement, plan, subject, site, room, sitting in found
    ]
