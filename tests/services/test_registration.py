import base64
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_account, make_organisation
from xcert_app.models.accounts import Account, Role
from xcert_app.models.orgs import Organisation
from xcert_app.models.reference import Institution
from xcert_app.models.system import AuditEntry, Captcha, SmsCode, SmsMessage
from xcert_app.services import accounts, registration
from xcert_app.services.errors import ValidationError

MOBILE = "13800138000"


@pytest.fixture
def institution(session):
    row = Institution(
        code="4111012561",
        name="北京财贸职业学院",
        department="北京市",
        city="北京市",
        level="专科",
        province_code="110000",
    )
    session.add(row)
    session.flush()
    return row


def _solved_captcha(session, monkeypatch) -> tuple[str, str]:
    """Create a captcha whose answer the test knows."""
    monkeypatch.setattr(registration, "_captcha_text", lambda: "k7m2p")
    challenge = registration.new_captcha(session)
    monkeypatch.undo()
    return challenge.token, "k7m2p"


def _sent_code(session) -> str:
    message = session.exec(
        select(SmsMessage)
        .where(SmsMessage.purpose == "register")
        .order_by(SmsMessage.id.desc())
    ).first()
    return re.search(r"\d{6}", message.body).group()


def _request_code(session, monkeypatch, mobile=MOBILE):
    token, answer = _solved_captcha(session, monkeypatch)
    return registration.request_sms_code(
        session, mobile=mobile, captcha_token=token, captcha_answer=answer
    )


# ------------------------------------------------------------------ mobile


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("13800138000", MOBILE), ("+86 138-0013-8000", MOBILE), ("8613800138000", MOBILE)],
)
def test_mobile_normalised(typed, stored):
    assert registration.normalise_mobile(typed) == stored


@pytest.mark.parametrize("typed", ["", "1380013800", "138001380001", "23800138000"])
def test_mobile_invalid_refused(typed):
    with pytest.raises(ValidationError) as caught:
        registration.normalise_mobile(typed)
    assert "mobile" in caught.value.errors


# ------------------------------------------------------------------ captcha


def test_captcha_image_is_png_data_url(session):
    challenge = registration.new_captcha(session)
    prefix = "data:image/png;base64,"
    assert challenge.image_data_url.startswith(prefix)
    png = base64.b64decode(challenge.image_data_url[len(prefix) :])
    assert png.startswith(b"\x89PNG")
    stored = session.exec(select(Captcha)).one()
    assert stored.token == challenge.token
    assert len(stored.answer_hash) == 64


def test_captcha_is_single_use(session, monkeypatch):
    token, answer = _solved_captcha(session, monkeypatch)
    assert registration.check_captcha(session, token=token, answer=answer) == ""
    assert "失效" in registration.check_captcha(session, token=token, answer=answer)


def test_wrong_captcha_uses_it_up(session, monkeypatch):
    token, answer = _solved_captcha(session, monkeypatch)
    assert "不正确" in registration.check_captcha(session, token=token, answer="zzzzz")
    assert "失效" in registration.check_captcha(session, token=token, answer=answer)


def test_captcha_answer_ignores_case(session, monkeypatch):
    token, answer = _solved_captcha(session, monkeypatch)
    assert registration.check_captcha(session, token=token, answer=answer.upper()) == ""


def test_captcha_expires_after_five_minutes(session, monkeypatch, frozen_clock):
    token, answer = _solved_captcha(session, monkeypatch)
    frozen_clock.shift(timedelta(minutes=5))
    assert "过期" in registration.check_captcha(session, token=token, answer=answer)


# ------------------------------------------------------------------ SMS code


def test_sms_code_is_six_digits_and_stored_hashed(session, monkeypatch):
    assert _request_code(session, monkeypatch).errors == {}
    code = _sent_code(session)
    stored = session.exec(select(SmsCode)).one()
    assert re.fullmatch(r"\d{6}", code)
    assert code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)


def test_sms_code_request_needs_right_captcha(session):
    challenge = registration.new_captcha(session)
    result = registration.request_sms_code(
        session, mobile=MOBILE, captcha_token=challenge.token, captcha_answer="?????"
    )
    assert "captcha" in result.errors
    assert session.exec(select(SmsMessage)).all() == []


def test_one_sms_code_per_minute_per_number(session, monkeypatch, frozen_clock):
    _request_code(session, monkeypatch)
    frozen_clock.shift(timedelta(seconds=59))
    with pytest.raises(ValidationError, match="秒后再获取"):
        _request_code(session, monkeypatch)
    assert _request_code(session, monkeypatch, mobile="13900139000").errors == {}
    frozen_clock.shift(timedelta(seconds=1))
    assert _request_code(session, monkeypatch).errors == {}
    assert len(session.exec(select(SmsCode).where(SmsCode.mobile == MOBILE)).all()) == 2


def test_sms_code_expires_after_five_minutes(session, monkeypatch, frozen_clock):
    _request_code(session, monkeypatch)
    code = _sent_code(session)
    frozen_clock.shift(timedelta(minutes=5))
    message = registration.check_sms_code(session, mobile=MOBILE, code=code)
    assert "过期" in message


def test_sms_code_works_once(session, monkeypatch):
    _request_code(session, monkeypatch)
    code = _sent_code(session)
    assert registration.check_sms_code(session, mobile=MOBILE, code=code) == ""
    assert registration.check_sms_code(session, mobile=MOBILE, code=code) != ""


def test_sms_code_dead_after_five_wrong_tries(session, monkeypatch):
    _request_code(session, monkeypatch)
    code = _sent_code(session)
    wrong = "000000" if code != "000000" else "111111"
    messages = [
        registration.check_sms_code(session, mobile=MOBILE, code=wrong)
        for _ in range(5)
    ]
    assert messages[0] == "短信验证码不正确，还可再试 4 次"
    assert "次数过多" in messages[4]
    assert "次数过多" in registration.check_sms_code(session, mobile=MOBILE, code=code)


# ------------------------------------------------------------------ registration


def _register(session, monkeypatch, code=None, **changes):
    if code is None:
        _request_code(session, monkeypatch)
        code = _sent_code(session)
    values = {
        "province_code": "110000",
        "institution_code": "4111012561",
        "mobile": MOBILE,
        "sms_code": code,
    }
    values.update(changes)
    return registration.register_school(session, **values)


def test_registration_creates_school_and_head_account(
    session, monkeypatch, institution
):
    result = _register(session, monkeypatch)
    assert result.errors == {}
    school = session.get(Organisation, result.organisation_id)
    assert school.kind == "school"
    assert school.name == "北京财贸职业学院"
    assert school.province_code == "110000"
    assert school.registered_mobile == MOBILE
    assert school.school_type == "高职院校"
    account = session.exec(
        select(Account).where(Account.username == "4111012561")
    ).one()
    assert account.role == Role.SCHOOL_HEAD
    assert account.organisation_id == school.id
    assert account.must_change_password
    logged_in = accounts.authenticate(
        session, username=result.username, password=result.password
    )
    assert logged_in.id == account.id


def test_registration_sends_credentials_by_sms(session, monkeypatch, institution):
    result = _register(session, monkeypatch)
    message = session.exec(
        select(SmsMessage).where(SmsMessage.purpose == "account")
    ).one()
    assert message.mobile == MOBILE
    assert result.username in message.body
    assert result.password in message.body
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "school.register")
    ).one()
    assert entry.after["mobile"] == "138****8000"


def test_registered_institution_refused(session, monkeypatch, institution):
    make_organisation(session, institution_code="4111012561")
    with pytest.raises(ValidationError) as caught:
        _register(session, monkeypatch, code="123456")
    assert "已注册" in caught.value.errors["institution"]


def test_institution_must_be_in_chosen_province(session, monkeypatch, institution):
    with pytest.raises(ValidationError) as caught:
        _register(session, monkeypatch, code="123456", province_code="120000")
    assert "不在所选省份" in caught.value.errors["institution"]


def test_unknown_institution_refused(session, monkeypatch, institution):
    with pytest.raises(ValidationError) as caught:
        _register(session, monkeypatch, code="123456", institution_code="4111099999")
    assert "institution" in caught.value.errors


def test_wrong_sms_code_creates_nothing(session, monkeypatch, institution):
    _request_code(session, monkeypatch)
    wrong = "000000" if _sent_code(session) != "000000" else "111111"
    result = _register(session, monkeypatch, code=wrong)
    assert "还可再试 4 次" in result.errors["sms_code"]
    assert session.exec(select(Organisation)).all() == []
    assert session.exec(select(SmsCode)).one().attempts == 1


def test_institution_search_marks_registered(session, institution):
    make_organisation(session, institution_code="4111012561")
    found = registration.search_institutions(
        session, province_code="110000", text="财贸"
    )
    assert found == [
        {"code": "4111012561", "name": "北京财贸职业学院", "registered": "1"}
    ]


def test_taken_username_gets_suffix(session, monkeypatch, institution):
    make_account(session, role=Role.PLATFORM_ADMIN, username="4111012561")
    result = _register(session, monkeypatch)
    assert result.username == "4111012561-1"


def test_code_request_reports_every_field(session):
    challenge = registration.new_captcha(session)
    result = registration.request_registration_code(
        session,
        province_code="",
        institution_code="",
        mobile="1380013",
        captcha_token=challenge.token,
        captcha_answer="?????",
    )
    assert result.errors["province"] == "请先选择院校所在省份"
    assert result.errors["mobile"] == "请填写 11 位中国大陆手机号码"
    assert result.errors["captcha"] == "图形验证码不正确，请看清新图片后重新输入"
    assert session.exec(select(SmsMessage)).all() == []


def test_code_request_without_captcha_answer(session, institution):
    result = registration.request_registration_code(
        session,
        province_code="110000",
        institution_code="4111099999",
        mobile=MOBILE,
        captcha_token="",
        captcha_answer=" ",
    )
    assert set(result.errors) == {"institution", "captcha"}
    assert result.errors["captcha"] == "请输入图形验证码中的字符"


def test_code_request_sends_when_all_valid(session, monkeypatch, institution):
    token, answer = _solved_captcha(session, monkeypatch)
    result = registration.request_registration_code(
        session,
        province_code="110000",
        institution_code="4111012561",
        mobile=MOBILE,
        captcha_token=token,
        captcha_answer=answer,
    )
    assert result.errors == {}
    assert re.fullmatch(r"\d{6}", _sent_code(session))


def test_registration_reports_every_field(session, monkeypatch, institution):
    with pytest.raises(ValidationError) as caught:
        _register(
            session,
            monkeypatch,
            code="12a",
            institution_code="4111099999",
            mobile="23800138000",
        )
    errors = caught.value.errors
    assert set(errors) == {"institution", "mobile", "sms_code"}
    assert errors["sms_code"] == "请填写短信中的 6 位数字验证码"
    assert session.exec(select(Organisation)).all() == []
