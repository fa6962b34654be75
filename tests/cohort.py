"""A school's cohort of candidates for end-to-end runs, generated from a seed.

``make_cohort`` returns the candidate import file in the school template's layout
with a handful of the mistakes schools really make, the corrected rows, and the
photo archive (one JPEG per candidate, named by ID number). The same seed gives
the same people, rows and photos.
"""

import io
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta

from openpyxl import load_workbook
from PIL import Image

from xcert_app.models.candidates import CandidateKind
from xcert_app.services.identity import make_id_number
from xcert_app.spreadsheets.candidates import build_template, name_pinyin

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩然子轩梓涵欣怡佳琪思远博文雨晨嘉怡俊熙"  # noqa: E501
# Beijing districts and a few neighbouring cities, as the first six ID digits.
REGIONS = ["110101", "110102", "110105", "110106", "110108", "110114", "130102"]
REGIONS += ["130602", "120101", "120103", "370102", "410105"]
MAJORS = ["现代物流管理", "冷链物流技术与管理", "物流工程技术", "电子商务"]
MOBILE_PREFIXES = ["130", "135", "138", "139", "150", "152", "158", "176", "186"]
RED = (200, 30, 40)
WHITE = (245, 245, 245)
PHOTO_SIZE = (295, 413)


@dataclass(frozen=True)
class Person:
    """One candidate as the school should have entered them."""

    name: str
    id_number: str
    mobile: str
    major: str
    enrolment_year: int

    def cells(self) -> list:
        """Return the row in template column order."""
        return [
            self.name,
            name_pinyin(self.name),
            "居民身份证",
            self.id_number,
            self.mobile,
            self.major,
            "高职专科",
            str(self.enrolment_year),
        ]


@dataclass
class Cohort:
    """The generated files and what an importer should make of them."""

    people: list[Person]
    import_file: bytes
    corrected_file: bytes
    photo_archive: bytes
    # Spreadsheet row number -> a phrase the importer's reason for that row contains.
    bad_rows: dict[int, str] = field(default_factory=dict)
    # People whose rows in the corrected file fix the rejected rows, in row order.
    corrected: list[Person] = field(default_factory=list)
    # Row number of the ID number followed by a space, which the importer accepts.
    trailing_space_row: int = 0
    # ID numbers whose photo has a white background and needs manual confirmation.
    white_photos: list[str] = field(default_factory=list)


def _people(rng: random.Random, size: int) -> list[Person]:
    people: list[Person] = []
    seen: set[str] = set()
    while len(people) < size:
        birth = date(2004, 1, 1) + timedelta(days=rng.randrange(4 * 365))
        number = make_id_number(rng.choice(REGIONS), birth, rng.randrange(1, 1000))
        if number in seen:
            continue
        seen.add(number)
        length = 1 if rng.random() < 0.3 else 2
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, length))
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        people.append(
            Person(
                name=name,
                id_number=number,
                mobile=mobile,
                major=rng.choice(MAJORS),
                enrolment_year=rng.choice((2024, 2025)),
            )
        )
    return people


def _workbook(rows: list[list]) -> bytes:
    """Fill the school's real import template, as a school would."""
    workbook = load_workbook(io.BytesIO(build_template(CandidateKind.SCHOOL)))
    sheet = workbook["考生信息"]
    for cells in rows:
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _photo(background: tuple[int, int, int], shade: int) -> bytes:
    """Return a small 1-inch JPEG: a plain background and a grey 'person'."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, background)
    image.paste(
        (shade, shade, shade), (width // 4, height // 3, width * 3 // 4, height)
    )
    output = io.BytesIO()
    image.save(output, "JPEG", quality=70)
    return output.getvalue()


def _archive(people: list[Person], white: set[str]) -> bytes:
    # A few shades are enough: the importer decodes and checks every file anyway.
    red = [_photo(RED, shade) for shade in (70, 90, 110, 130)]
    white_photo = _photo(WHITE, 90)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        for index, person in enumerate(people):
            data = white_photo if person.id_number in white else red[index % len(red)]
            archive.writestr(f"照片/{person.id_number}.jpg", data)
    return output.getvalue()


def make_cohort(size: int = 2000, *, seed: int = 2026, white_photos: int = 3) -> Cohort:
    """Generate ``size`` candidates; six rows of the import file carry mistakes.

    The mistakes: a wrong check digit, an empty name, an ID number stored as a
    number (Excel shows it in scientific notation), a second person given the
    first one's ID number (both rows are rejected), and a 10-digit mobile. One
    more row has a space after the ID number, which the importer accepts.
    """
    if size < 20:
        raise ValueError(
            f"a cohort needs at least 20 people to place its mistakes, got {size}"
        )
    rng = random.Random(seed)
    people = _people(rng, size)
    rows = [person.cells() for person in people]

    digit_ending = [i for i, person in enumerate(people) if person.id_number[-1] != "X"]
    positions = rng.sample(range(1, size), 7)
    check, empty, numeric, _, mobile, spaced = positions[:6]
    original, duplicate = sorted((positions[3], positions[6]))
    if numeric not in digit_ending:
        numeric = rng.choice([i for i in digit_ending if i not in positions])

    wrong = people[check].id_number
    rows[check][3] = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    rows[empty][0] = ""
    rows[empty][1] = ""
    rows[numeric][3] = float(people[numeric].id_number)
    rows[duplicate][3] = people[original].id_number
    rows[mobile][4] = people[mobile].mobile[:10]
    rows[spaced][3] = people[spaced].id_number + " "

    row_of = {index: index + 2 for index in range(size)}
    bad_rows = {
        row_of[check]: "校验位（末位）与前 17 位不符",
        row_of[empty]: "「姓名」为空",
        row_of[numeric]: "以数字格式保存",
        row_of[original]: "证件号码相同",
        row_of[duplicate]: "证件号码相同",
        row_of[mobile]: "不是 11 位手机号",
    }
    fixed = sorted((check, empty, numeric, original, duplicate, mobile))
    white = {people[i].id_number for i in rng.sample(range(size), white_photos)}
    return Cohort(
        people=people,
        import_file=_workbook(rows),
        corrected_file=_workbook([people[i].cells() for i in fixed]),
        photo_archive=_archive(people, white),
        bad_rows=dict(sorted(bad_rows.items())),
        corrected=[people[i] for i in fixed],
        trailing_space_row=row_of[spaced],
        white_photos=sorted(white),
    )
