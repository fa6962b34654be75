from datetime import date

import pytest

from xcert_app.services.identity import (
    id_number_problem,
    is_valid_credit_code,
    is_valid_email,
    is_valid_mobile,
    make_id_number,
)
from xcert_app.services.masking import mask_id_number, mask_mobile, mask_name


@pytest.mark.parametrize(
    "number",
    [
        "110101199003071233",
        "11010119900307125X",
        "110105200201010010",
        "320102200305060020",
    ],
)
def test_valid_id_numbers_pass(number):
    assert id_number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010119900307123", "18 位"),
        ("110101199003071234", "校验位"),
        ("110101199002301233", "出生日期"),
        ("1101011990030712a3", "数字"),
    ],
)
def test_invalid_id_numbers_say_why(number, message):
    assert message in id_number_problem(number)


def test_check_digit_message_once():
    assert id_number_problem("110101199003071234") == (
        "证件号码校验位（末位）与前 17 位不符"
    )


def test_mobile_email_and_credit_code():
    assert is_valid_mobile("13800138000")
    assert not is_valid_mobile("12800138000")
    assert is_valid_email("a@b.cn")
    assert not is_valid_email("a@b")
    assert is_valid_credit_code("91110000802100433B")
    assert not is_valid_credit_code("91110000802100433C")


def test_masks_match_manual_format():
    assert mask_id_number("370285200407085910") == "370285*****5910"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_name("欧阳修") == "欧**"


def test_future_birth_date_rejected(frozen_clock):
    future = make_id_number("110105", date(2030, 1, 1), 9)
    assert id_number_problem(future) == (
        "证件号码中的出生日期 2030-01-01 晚于今天，请核对"
    )
    today = make_id_number("110105", frozen_clock.today(), 9)
    assert id_number_problem(today) is None
