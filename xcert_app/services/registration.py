"""School self-registration: image captcha, SMS code, and the school's first account.

A wrong captcha answer or SMS code must count as a try even though the request
fails, so the functions that check them return their field errors in a result
instead of raising: the caller commits the session either way. Checks that
change nothing (format, institution, rate limit) raise ``ValidationError``.
"""

import base64
import io
import logging
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import phonenumbers
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sqlmodel import Session, select

from xcert_app.clock import clock
from xcert_app.models.accounts import Account, Role
from xcert_app.models.orgs import Organisation, OrgKind
from xcert_app.models.reference import Institution
from xcert_app.models.system import Captcha, SmsCode
from xcert_app.services import accounts, audit, reference
from xcert_app.services.errors import ValidationError
from xcert_app.services.masking import mask_mobile
from xcert_app.services.secret import keyed_hash, same_hash
from xcert_app.services.sms import get_sender

logger = logging.getLogger(__name__)

CAPTCHA_LIFETIME = timedelta(minutes=5)
# Letters and digits that cannot be mistaken for one another (no 0/O, 1/l/I).
CAPTCHA_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CAPTCHA_LENGTH = 5
SMS_CODE_LIFETIME = timedelta(minutes=5)
SMS_CODE_INTERVAL = timedelta(minutes=1)
SMS_CODE_MAX_TRIES = 5
PURPOSE_REGISTER = "register"
SCHOOL_TYPE_BY_LEVEL = {"本科": "本科院校", "专科": "高职院校", "中职": "中职学校"}


@dataclass
class CaptchaChallenge:
    """A new captcha: the token the page sends back and the image as a data URL."""

    token: str
    image_data_url: str


@dataclass
class SmsCodeRequest:
    """Result of an SMS code request. ``errors`` is empty when the code was sent."""

    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RegistrationResult:
    """Result of a registration: field errors, or the new account's credentials."""

    errors: dict[str, str] = field(default_factory=dict)
    organisation_id: int | None = None
    username: str = ""
    password: str = ""


def normalise_mobile(value: str, *, field_name: str = "mobile") -> str:
    """Return a mainland mobile number as 11 digits, or raise ``ValidationError``.

    Spaces, dashes and a leading +86 or 86 are accepted and removed.
    """
    digits = re.sub(r"[\s\-()]", "", value or "")
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    if not re.fullmatch(r"1\d{10}", digits):
        raise ValidationError({field_name: "请填写 11 位中国大陆手机号码"})
    number = phonenumbers.parse(digits, "CN")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(
        number
    ) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError({field_name: f"{digits} 不是有效的手机号码，请核对"})
    return digits


def _draw_captcha(text: str) -> bytes:
    width, height = 150, 50
    image = Image.new("RGB", (width, height), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    for _ in range(6):
        draw.line(
            [
                (random.randint(0, width), random.randint(0, height)),
                (random.randint(0, width), random.randint(0, height)),
            ],
            fill=(random.randint(120, 200),) * 3,
            width=1,
        )
    for index, character in enumerate(text):
        glyph = Image.new("RGBA", (36, 44), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (6, 2),
            character,
            font=font,
            fill=(random.randint(10, 90), random.randint(30, 110), 160),
        )
        glyph = glyph.rotate(random.randint(-25, 25), resample=Image.BICUBIC)
        image.paste(glyph, (8 + index * 27, random.randint(0, 6)), glyph)
    for _ in range(120):
        draw.point(
            (random.randint(0, width - 1), random.randint(0, height - 1)),
            fill=(random.randint(100, 220),) * 3,
        )
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _captcha_text() -> str:
    # Tests replace this function to know the answer.
    return "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))


def new_captcha(session: Session) -> CaptchaChallenge:
    """Create a captcha challenge valid for five minutes and draw its image."""
    text = _captcha_text()
    token = secrets.token_urlsafe(24)
    session.add(
        Captcha(
            token=token,
            answer_hash=keyed_hash(token, text),
            expires_at=clock.now() + CAPTCHA_LIFETIME,
        )
    )
    image = base64.b64encode(_draw_captcha(text)).decode()
    return CaptchaChallenge(
        token=token, image_data_url=f"data:image/png;base64,{image}"
    )


def check_captcha(session: Session, *, token: str, answer: str) -> str:
    """Mark a captcha used. Return "" when the answer matches, else the message to show.

    Each challenge can be tried once, right or wrong, so it cannot be guessed.
    """
    captcha = session.exec(select(Captcha).where(Captcha.token == token)).first()
    if captcha is None or captcha.used_at is not None:
        return "图形验证码已失效，请点击图片换一张"
    captcha.used_at = clock.now()
    session.add(captcha)
    if captcha.expires_at <= clock.now():
        return "图形验证码已过期，请点击图片换一张"
    if not same_hash(keyed_hash(token, answer.strip().lower()), captcha.answer_hash):
        return "图形验证码不正确，请看清新图片后重新输入"
    return ""


def request_sms_code(
    session: Session,
    *,
    mobile: str,
    captcha_token: str,
    captcha_answer: str,
    purpose: str = PURPOSE_REGISTER,
) -> SmsCodeRequest:
    """Send a 6-digit code valid for five minutes, at most one per minute per number."""
    mobile = normalise_mobile(mobile)
    now = clock.now()
    latest = session.exec(
        select(SmsCode)
        .where(SmsCode.mobile == mobile, SmsCode.purpose == purpose)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc())
    ).first()
    if latest is not None and now - latest.created_at < SMS_CODE_INTERVAL:
        wait = int((SMS_CODE_INTERVAL - (now - latest.created_at)).total_seconds()) + 1
        raise ValidationError(
            {"sms_code": f"验证码已发送到 {mask_mobile(mobile)}，请 {wait} 秒后再获取"}
        )

    captcha_error = check_captcha(session, token=captcha_token, answer=captcha_answer)
    if captcha_error:
        return SmsCodeRequest(errors={"captcha": captcha_error})

    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        SmsCode(
            mobile=mobile,
            purpose=purpose,
            code_hash=keyed_hash(mobile, purpose, code),
            expires_at=now + SMS_CODE_LIFETIME,
        )
    )
    get_sender().send(
        session,
        mobile=mobile,
        purpose=purpose,
        body=f"【1+X证书试点平台】您的验证码是 {code}，5 分钟内有效。如非本人操作请忽略。",
    )
    return SmsCodeRequest()


def check_sms_code(
    session: Session, *, mobile: str, code: str, purpose: str = PURPOSE_REGISTER
) -> str:
    """Check the newest code sent to ``mobile``. Return "" if right, else a message.

    A right code is used up. A wrong one counts as a try, and after five tries the
    code no longer works.
    """
    sms_code = session.exec(
        select(SmsCode)
        .where(SmsCode.mobile == mobile, SmsCode.purpose == purpose)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc())
    ).first()
    if sms_code is None or sms_code.used_at is not None:
        return "请先获取短信验证码"
    if sms_code.expires_at <= clock.now():
        return "短信验证码已过期（5 分钟内有效），请重新获取"
    if sms_code.attempts >= SMS_CODE_MAX_TRIES:
        return "短信验证码错误次数过多，请重新获取"
    if not same_hash(keyed_hash(mobile, purpose, code.strip()), sms_code.code_hash):
        sms_code.attempts += 1
        session.add(sms_code)
        left = SMS_CODE_MAX_TRIES - sms_code.attempts
        if left == 0:
            return "短信验证码错误次数过多，请重新获取"
        return f"短信验证码不正确，还可再试 {left} 次"
    sms_code.used_at = clock.now()
    session.add(sms_code)
    return ""


def find_institution(
    session: Session, *, province_code: str, institution_code: str
) -> Institution:
    """Return the institution chosen on the form.

    Raise ``ValidationError`` if it is unknown, in another province, or already
    registered.
    """
    if not province_code:
        raise ValidationError({"province": "请先选择院校所在省份"})
    institution = (
        session.get(Institution, institution_code.strip()) if institution_code else None
    )
    if institution is None:
        raise ValidationError(
            {"institution": "请从列表中选择院校；名称或代码须与教育部名单一致"}
        )
    if institution.province_code != province_code:
        raise ValidationError(
            {"institution": f"{institution.name} 不在所选省份，请重新选择省份或院校"}
        )
    already = session.exec(
        select(Organisation).where(Organisation.institution_code == institution.code)
    ).first()
    if already is not None:
        raise ValidationError(
            {
                "institution": f"{institution.name}（{institution.code}）已注册，"
                "请用注册时收到的账号登录；忘记账号请联系省级教育行政部门"
            }
        )
    return institution


def _form_errors(
    session: Session, *, province_code: str, institution_code: str, mobile: str
) -> tuple[Institution | None, str, dict[str, str]]:
    """Check the institution and the mobile together, so the form shows both errors."""
    errors: dict[str, str] = {}
    institution = None
    try:
        institution = find_institution(
            session, province_code=province_code, institution_code=institution_code
        )
    except ValidationError as error:
        errors.update(error.errors)
    try:
        mobile = normalise_mobile(mobile)
    except ValidationError as error:
        errors.update(error.errors)
    return institution, mobile, errors


def request_registration_code(
    session: Session,
    *,
    province_code: str,
    institution_code: str,
    mobile: str,
    captcha_token: str,
    captcha_answer: str,
) -> SmsCodeRequest:
    """Check every field of the registration form, then send the SMS code.

    The captcha is checked, and so used up, even when another field is wrong, so
    the form reports every field's error at once.
    """
    _institution, mobile, errors = _form_errors(
        session,
        province_code=province_code,
        institution_code=institution_code,
        mobile=mobile,
    )
    if not captcha_answer.strip():
        errors["captcha"] = "请输入图形验证码中的字符"
    if errors:
        if "captcha" not in errors:
            captcha_error = check_captcha(
                session, token=captcha_token, answer=captcha_answer
            )
            if captcha_error:
                errors["captcha"] = captcha_error
        return SmsCodeRequest(errors=errors)
    return request_sms_code(
        session,
        mobile=mobile,
        captcha_token=captcha_token,
        captcha_answer=captcha_answer,
    )


def _free_username(session: Session, base: str) -> str:
    username, suffix = base, 1
    while session.exec(select(Account.id).where(Account.username == username)).first():
        username = f"{base}-{suffix}"
        suffix += 1
    return username


def register_school(
    session: Session,
    *,
    province_code: str,
    institution_code: str,
    mobile: str,
    sms_code: str,
) -> RegistrationResult:
    """Register a school from the official list and create its principal account.

    The account name is the institution code (with a suffix if an operator already
    used it). The generated password must be
    changed at first login; it is returned once and sent to ``mobile`` by SMS.
    """
    institution, mobile, errors = _form_errors(
        session,
        province_code=province_code,
        institution_code=institution_code,
        mobile=mobile,
    )
    if not re.fullmatch(r"\d{6}", (sms_code or "").strip()):
        errors["sms_code"] = "请填写短信中的 6 位数字验证码"
    if errors:
        raise ValidationError(errors)
    code_error = check_sms_code(session, mobile=mobile, code=sms_code)
    if code_error:
        return RegistrationResult(errors={"sms_code": code_error})

    school = Organisation(
        kind=OrgKind.SCHOOL,
        name=institution.name,
        institution_code=institution.code,
        province_code=institution.province_code,
        school_type=SCHOOL_TYPE_BY_LEVEL.get(institution.level, ""),
        registered_mobile=mobile,
    )
    session.add(school)
    session.flush()
    password = accounts.generate_password()
    account = accounts.create_account(
        session,
        username=_free_username(session, institution.code),
        password=password,
        role=Role.SCHOOL_HEAD,
        organisation_id=school.id,
        display_name=f"{institution.name}负责人",
        mobile=mobile,
        must_change_password=True,
    )
    get_sender().send(
        session,
        mobile=mobile,
        purpose="account",
        body=f"【1+X证书试点平台】{institution.name}注册成功，账号 {account.username}，"
        f"初始密码 {password}，首次登录须修改密码。",
    )
    audit.record(
        session,
        actor=None,
        action="school.register",
        entity="organisation",
        entity_id=school.id,
        after={
            "institution_code": institution.code,
            "name": institution.name,
            "username": account.username,
            "mobile": mask_mobile(mobile),
        },
    )
    logger.info(
        "school registered: institution=%s organisation=%s", institution.code, school.id
    )
    return RegistrationResult(
        organisation_id=school.id, username=account.username, password=password
    )


def search_institutions(
    session: Session, *, province_code: str, text: str, limit: int = 20
) -> list[dict[str, str]]:
    """List institutions of a province matching ``text``, marking registered ones."""
    found = reference.search_institutions(
        session, province_code=province_code, text=text, limit=limit
    )
    codes = [institution.code for institution in found]
    registered = set(
        session.exec(
            select(Organisation.institution_code).where(
                Organisation.institution_code.in_(codes)
            )
        ).all()
        if codes
        else []
    )
    return [
        {
            "code": institution.code,
            "name": institution.name,
            "registered": "1" if institution.code in registered else "",
        }
        for institution in found
    ]
