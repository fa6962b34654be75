from datetime import timedelta

import pytest

from tests.factories_issuance import IssuanceWorld
from xcert_app.models.issuance import IssuanceStatus
from xcert_app.services import verification_public
from xcert_app.services.verification_public import NOT_FOUND_MESSAGE, RateLimited


@pytest.fixture(autouse=True)
def fresh_limiter():
    verification_public.limiter.reset()
    yield
    verification_public.limiter.reset()


@pytest.fixture
def issued(session, frozen_clock):
    world = IssuanceWorld(session)
    candidate = world.candidate(name="刘洪伟")
    record = world.record(
        candidate,
        status=IssuanceStatus.ISSUED,
        school_signed_at=frozen_clock.now(),
        org_signed_at=frozen_clock.now(),
        issued_at=frozen_clock.now(),
    )
    return record, candidate


def _verify(session, number, id_number, client="198.51.100.7"):
    return verification_public.verify(
        session, number=number, id_number=id_number, client=client
    )


def test_right_pair_shows_masked_details(session, issued):
    record, candidate = issued
    found = _verify(session, record.certificate_number, candidate.id_number)
    assert found.holder_name_masked == "刘**"
    assert (
        found.id_number_masked
        == candidate.id_number[:6] + "*****" + candidate.id_number[-4:]
    )
    assert found.certificate_name == "物流管理职业技能等级证书"
    assert found.level == "初级"
    assert found.organisation_name == "测试评价组织"
    assert found.issue_date == "2026-12-04"


def test_lowercase_x_in_id_number_matches(session, issued):
    record, candidate = issued
    candidate.id_number = candidate.id_number[:17] + "X"
    session.add(candidate)
    session.flush()
    found = _verify(session, record.certificate_number, candidate.id_number.lower())
    assert found is not None


def test_wrong_id_number_finds_nothing(session, issued):
    record, _candidate = issued
    assert _verify(session, record.certificate_number, "110101199003071233") is None


def test_wrong_number_finds_nothing(session, issued):
    _record, candidate = issued
    assert _verify(session, "1560003101561099999999", candidate.id_number) is None


def test_unissued_certificate_finds_nothing(session, frozen_clock):
    world = IssuanceWorld(session)
    candidate = world.candidate()
    record = world.record(candidate)
    assert _verify(session, record.certificate_number, candidate.id_number) is None


def test_eleventh_request_in_a_minute_is_limited(session, issued, frozen_clock):
    record, candidate = issued
    for _ in range(10):
        _verify(session, record.certificate_number, "110101199003071233")
    with pytest.raises(RateLimited, match="秒后再试"):
        _verify(session, record.certificate_number, candidate.id_number)
    assert _verify(
        session, record.certificate_number, candidate.id_number, "203.0.113.9"
    )
    frozen_clock.shift(timedelta(seconds=61))
    assert _verify(session, record.certificate_number, candidate.id_number) is not None


def test_api_answers_json_with_same_rules(session, issued):
    from starlette.testclient import TestClient

    from xcert_app.api import api

    record, candidate = issued
    session.commit()
    client = TestClient(api)
    found = client.get(
        "/api/verify",
        params={"number": record.certificate_number, "id_number": candidate.id_number},
    )
    wrong = client.post(
        "/api/verify",
        json={"number": record.certificate_number, "id_number": "110101199003071233"},
    )
    assert found.status_code == 200
    assert found.json()["certificate"]["holder_name_masked"] == "刘**"
    assert wrong.status_code == 404
    assert wrong.json() == {"found": False, "message": NOT_FOUND_MESSAGE}
    short = client.get("/api/verify", params={"number": "123", "id_number": "2"})
    assert short.status_code == 400
    assert (
        short.json()["errors"]["number"]
        == "证书编号应为 22 位数字，当前为 3 位，请核对"
    )
    assert set(short.json()["errors"]) == {"number", "id_number"}
    unknown = {"number": "1560003101260000000099", "id_number": "110101199003071233"}
    for _ in range(8):
        client.get("/api/verify", params=unknown)
    limited = client.get("/api/verify", params=unknown)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"


def test_verify_command_prints_json(session, issued, capsys):
    from xcert_app.cli import main

    record, candidate = issued
    session.commit()
    code = main(["verify", record.certificate_number, candidate.id_number, "--json"])
    output = capsys.readouterr().out
    assert code == 0
    assert '"found": true' in output
    assert '"holder_name_masked": "刘**"' in output
    assert main(["verify", record.certificate_number, "110101199003071233"]) == 1


def _redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis server answers at 127.0.0.1:6379")
    return url


def test_redis_limit_shared_by_workers(frozen_clock):
    url = _redis_url()
    first = verification_public.make_limiter(url)
    second = verification_public.make_limiter(url)
    first.reset()
    for _ in range(5):
        first.check("203.0.113.9")
        second.check("203.0.113.9")
    with pytest.raises(RateLimited) as raised:
        second.check("203.0.113.9")
    assert raised.value.retry_after == 60
    first.check("203.0.113.10")
    frozen_clock.shift(timedelta(seconds=61))
    first.check("203.0.113.9")
    first.reset()


def test_redis_down_counts_in_worker():
    limiter = verification_public.make_limiter("redis://127.0.0.1:1/0")
    for _ in range(verification_public.MAX_REQUESTS):
        limiter.check("203.0.113.9")
    with pytest.raises(RateLimited):
        limiter.check("203.0.113.9")


def test_limiter_in_process_without_redis():
    limiter = verification_public.make_limiter("")
    assert isinstance(limiter, verification_public.RateLimiter)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1560003101260000000001", ""),
        (" 1560003101260000000001 ", ""),
        ("156000310126000000001", "证书编号应为 22 位数字，当前为 21 位，请核对"),
        (
            "15600031012600000000a1",
            "证书编号“15600031012600000000a1”无效：只能由 22 位数字组成",
        ),
        ("１５６", "证书编号“１５６”无效：只能由 22 位数字组成"),
    ],
)
def test_number_format_messages(typed, message):
    assert verification_public.number_problem(typed) == message


def test_issued_number_has_valid_format(session, issued):
    record, _candidate = issued
    assert verification_public.number_problem(record.certificate_number) == ""


def test_form_reports_both_bad_fields():
    errors = verification_public.form_errors("15600031012", "110101199003071234")
    assert errors == {
        "number": "证书编号应为 22 位数字，当前为 11 位，请核对",
        "id_number": "证件号码校验位（末位）与前 17 位不符",
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请输入持证人的证件号码"),
        ("11010119900307123", "证件号码应为 18 位，当前为 17 位"),
        ("110101-1990", "证件号码只能由 5 到 20 位字母和数字组成，请核对"),
        ("110101199003071233", ""),
        ("11010119900307123x", "证件号码校验位（末位）与前 17 位不符"),
        ("E12345678", ""),
    ],
)
def test_form_id_number_messages(typed, message):
    errors = verification_public.form_errors("1560003101260000000001", typed)
    assert errors.get("id_number", "") == message


def test_form_without_errors_is_empty():
    assert verification_public.form_errors(" 1560003101260000000001 ", "e1234567") == {}
