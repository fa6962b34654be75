"""Identity numbers and contact details: GB 11643 resident IDs, mobiles, e-mail, credit codes."""

import operator
import re
from datetime import date

from stdnum.cn import uscc

from xcert_app.clock import clock

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def id_check_character(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError(f"expected 17 digits, got {len(first17)}")
    # map() instead of a generator: imports call this for every row.
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """Build a valid 18-character resident ID (for demo data and tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def id_number_problem(id_number: str) -> str | None:
    """Return why a resident ID is invalid (in Chinese), or None if it is valid.

    Checks length, digits, the birth date and the check character (GB 11643).
    """
    if len(id_number) != 18:
        return f"证件号码应为 18 位，当前为 {len(id_number)} 位"
    if not re.fullmatch(r"\d{17}[\dX]", id_number):
        return "证件号码只能由数字和末位 X 组成"
    try:
        # The date is read here rather than with stdnum's ric.get_birth_date,
        # which cleans the number again: photo imports verify every candidate.
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "证件号码中的出生日期不存在"
    if birth > clock.today():
        return f"证件号码中的出生日期 {birth:%Y-%m-%d} 晚于今天，请核对"
    if id_check_character(id_number[:17]) != id_number[17]:
        return "证件号码校验位（末位）与前 17 位不符"
    return None


def is_valid_mobile(mobile: str) -> bool:
    """Tell whether ``mobile`` is an 11-digit mainland mobile number."""
    return bool(MOBILE_PATTERN.match(mobile))


def is_valid_email(email: str) -> bool:
    """Tell whether ``email`` looks like a deliverable address."""
    return bool(EMAIL_PATTERN.match(email))


def is_valid_credit_code(code: str) -> bool:
    """Tell whether ``code`` is a unified social credit code with a correct GB 32100 check."""
    return uscc.is_valid(code)
