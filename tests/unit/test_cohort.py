"""The cohort generator: valid people, the planned mistakes, matching photos."""

import io
import time
import zipfile

from PIL import Image

from tests.cohort import make_cohort
from xcert_app.services.identity import id_number_problem
from xcert_app.services.photos import NOT_RED, check_photo
from xcert_app.spreadsheets.candidates import read_candidates


def test_cohort_people_are_valid_and_distinct():
    cohort = make_cohort(300, seed=7)

    numbers = [person.id_number for person in cohort.people]
    assert len(numbers) == 300
    assert len(set(numbers)) == 300
    assert [id_number_problem(number) for number in numbers] == [None] * 300
    assert all(len(person.mobile) == 11 for person in cohort.people)
    assert all(person.name for person in cohort.people)


def test_cohort_is_deterministic():
    first = make_cohort(100, seed=3)
    second = make_cohort(100, seed=3)
    other = make_cohort(100, seed=4)

    assert first.people == second.people
    assert first.bad_rows == second.bad_rows
    assert first.photo_archive == second.photo_archive
    assert first.people != other.people


def test_import_file_rejects_exactly_bad_rows():
    cohort = make_cohort(300, seed=7)

    _table, rows = read_candidates(cohort.import_file, "school")

    assert len(rows) == 300
    rejected = {row.number: "；".join(row.errors) for row in rows if row.errors}
    assert sorted(rejected) == sorted(cohort.bad_rows)
    for number, phrase in cohort.bad_rows.items():
        assert phrase in rejected[number], number
    spaced = rows[cohort.trailing_space_row - 2]
    assert spaced.errors == []
    assert spaced.values["id_number"] == cohort.people[spaced.number - 2].id_number


def test_corrected_file_fixes_every_bad_row():
    cohort = make_cohort(300, seed=7)

    _table, rows = read_candidates(cohort.corrected_file, "school")

    assert len(rows) == len(cohort.bad_rows)
    assert [row.errors for row in rows] == [[]] * len(rows)
    assert [row.values["id_number"] for row in rows] == [
        person.id_number for person in cohort.corrected
    ]


def test_photo_archive_has_one_photo_per_person():
    cohort = make_cohort(300, seed=7, white_photos=2)

    with zipfile.ZipFile(io.BytesIO(cohort.photo_archive)) as archive:
        names = archive.namelist()
        white = archive.read(f"照片/{cohort.white_photos[0]}.jpg")
        red = next(
            archive.read(name)
            for name in names
            if name.removeprefix("照片/").removesuffix(".jpg")
            not in cohort.white_photos
        )

    assert sorted(names) == sorted(f"照片/{p.id_number}.jpg" for p in cohort.people)
    assert len(cohort.white_photos) == 2
    assert Image.open(io.BytesIO(red)).size == (295, 413)
    assert check_photo(red).problems == []
    assert check_photo(white).problems == [NOT_RED]


def test_cohort_of_2000_is_fast():
    started = time.perf_counter()
    cohort = make_cohort(2000)
    elapsed = time.perf_counter() - started

    assert len(cohort.people) == 2000
    # About 1 s on the 2-core development machine; the margin absorbs other load.
    assert elapsed < 10
