"""Photo archives and single photos: the real-world case archives and the photo checks."""

import io
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from tests.factories_candidates import make_candidate, photo, school_admin
from xcert_app.models.candidates import Candidate, VerificationStatus
from xcert_app.models.files import StoredFile
from xcert_app.services import candidates, photos, storage
from xcert_app.services.errors import ServiceError

CASES = Path(os.environ.get("XCERT_CASES_DIR", "/work/shared/cases")) / "photos"
IDS = [
    "110101199003071233",
    "11010119900307125X",
    "110105200201010010",
    "320102200305060020",
    "370285200407081231",
]


@pytest.fixture
def actor(session):
    actor = school_admin(session)
    for index, number in enumerate(IDS):
        make_candidate(session, actor, name=f"考生{'一二三四五'[index]}", number=number)
    return actor


def run(session, actor, data: bytes) -> photos.PhotoReport:
    return photos.import_archive(session, actor=actor, data=data)


def case(name: str) -> bytes:
    return (CASES / name).read_bytes()


def zipped(entries: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return output.getvalue()


def stored_photo(session, number: str) -> Image.Image:
    candidate = session.exec(
        select(Candidate).where(Candidate.id_number == number)
    ).one()
    stored = session.get(StoredFile, candidate.photo_file_id)
    return Image.open(io.BytesIO(storage.read_bytes(stored)))


def test_gbk_names_matched_and_unmatched_spelled(session, actor):
    report = run(session, actor, case("p01-gbk-file-names.zip"))
    assert report.matched == 2
    assert report.unmatched == ["照片/无名.jpg"]
    assert report.refused == []


def test_os_junk_skipped_silently(session, actor):
    report = run(session, actor, case("p02-macos-and-windows-junk.zip"))
    assert report.matched == 1
    assert report.refused == []
    assert report.unmatched == []
    assert report.skipped == 3


def test_rotated_mislabelled_and_heic(session, actor):
    report = run(session, actor, case("p03-rotated-mislabelled-uppercase.zip"))
    assert report.matched == 3
    assert len(report.refused) == 1
    refused = report.refused[0]
    assert refused["file"] == "320102200305060020.jpeg"
    assert "HEIC" in refused["reason"]
    assert "JPG" in refused["reason"]
    for number in IDS[:3]:
        image = stored_photo(session, number)
        assert image.size == (295, 413)
        assert image.format == "JPEG"
        assert image.getexif().get(0x0112) is None


def test_rotated_photo_stored_as_viewers_show_it(session, actor):
    run(session, actor, case("p03-rotated-mislabelled-uppercase.zip"))
    image = stored_photo(session, IDS[0]).convert("RGB")
    with zipfile.ZipFile(
        io.BytesIO(case("p03-rotated-mislabelled-uppercase.zip"))
    ) as z:
        original = Image.open(io.BytesIO(z.read(f"{IDS[0]}.jpg")))
        assert original.size == (413, 295)
        assert original.getexif().get(0x0112) == 6
        # Orientation 6 means "turn 90 degrees clockwise to display".
        expected = original.transpose(Image.Transpose.ROTATE_270).convert("RGB")
    for point in ((5, 5), (60, 200), (200, 200), (289, 407)):
        stored_pixel = image.getpixel(point)
        expected_pixel = expected.getpixel(point)
        difference = max(
            abs(a - b) for a, b in zip(stored_pixel, expected_pixel, strict=True)
        )
        assert difference < 40, point


def test_path_traversal_writes_nothing_outside(session, actor, tmp_path):
    root = storage.storage_root()
    before = set(root.parent.iterdir())
    report = run(session, actor, case("p04-path-traversal.zip"))
    assert report.matched == 2
    assert set(root.parent.iterdir()) == before
    paths = session.exec(select(StoredFile.relative_path)).all()
    assert all(".." not in path and not path.startswith("/") for path in paths)


def test_replaced_photo_counted(session, actor):
    run(session, actor, zipped({f"{IDS[0]}.jpg": photo()}))
    report = run(session, actor, zipped({f"{IDS[0]}.jpg": photo(size=(300, 420))}))
    assert report.replaced == 1
    assert report.unchanged == 0


def test_same_archive_again_keeps_confirmation(session, actor):
    data = zipped({f"{IDS[0]}.jpg": photo(background=(240, 240, 240))})
    run(session, actor, data)
    candidate = session.exec(
        select(Candidate).where(Candidate.id_number == IDS[0])
    ).one()
    candidates.confirm_candidate(session, actor=actor, candidate_id=candidate.id)
    files_before = len(session.exec(select(StoredFile.id)).all())

    report = run(session, actor, data)

    assert report.matched == 1
    assert report.unchanged == 1
    assert report.replaced == 0
    assert report.needs_confirmation == 0
    session.refresh(candidate)
    assert candidate.verification_status == VerificationStatus.CONFIRMED
    assert len(session.exec(select(StoredFile.id)).all()) == files_before


def test_red_photo_verifies_candidate(session, actor):
    run(session, actor, zipped({f"{IDS[0]}.jpg": photo()}))
    candidate = session.exec(
        select(Candidate).where(Candidate.id_number == IDS[0])
    ).one()
    assert candidate.verification_status == VerificationStatus.VERIFIED


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (photo()[:2000], "不完整"),
        (photo(size=(413, 295)), "295×413"),
        (photo(size=(100, 140)), "295×413"),
        (photo(file_format="GIF"), "GIF"),
        (photo(file_format="PNG", mode="RGBA", background=(0, 0, 0)), ""),
        (b"not an image at all", "不是可识别的图片"),
    ],
)
def test_bad_photos_refused_with_reason(data, reason):
    if reason == "":
        photos.check_photo(data)
        return
    with pytest.raises(photos.PhotoRejected, match=reason):
        photos.check_photo(data)


def test_transparent_png_refused():
    image = Image.new("RGBA", (295, 413), (0, 0, 0, 0))
    output = io.BytesIO()
    image.save(output, "PNG")
    with pytest.raises(photos.PhotoRejected, match="透明"):
        photos.check_photo(output.getvalue())


def test_cmyk_and_palette_converted():
    for mode in ("CMYK", "P", "L"):
        file_format = "JPEG" if mode in ("CMYK", "L") else "PNG"
        checked = photos.check_photo(photo(mode=mode, file_format=file_format))
        assert Image.open(io.BytesIO(checked.jpeg)).mode == "RGB"


def test_small_size_difference_normalised():
    checked = photos.check_photo(photo(size=(300, 420)))
    assert Image.open(io.BytesIO(checked.jpeg)).size == (295, 413)


def test_decompression_bomb_refused():
    image = Image.new("L", (6000, 8400), 0)
    output = io.BytesIO()
    image.save(output, "PNG")
    with pytest.raises(photos.PhotoRejected, match="过大"):
        photos.check_photo(output.getvalue())


def test_oversized_entry_refused(session, actor):
    big = photo() + b"\x00" * (5 * 1024 * 1024)
    report = run(session, actor, zipped({f"{IDS[0]}.jpg": big}))
    assert report.matched == 0
    assert "5 MB" in report.refused[0]["reason"]


def test_not_a_zip_refused(session, actor):
    with pytest.raises(ServiceError, match=".zip"):
        run(session, actor, b"Rar!\x1a\x07\x00")


def test_id_not_in_school_unmatched(session, actor):
    report = run(session, actor, zipped({"370285200407081232.jpg": photo()}))
    assert report.unmatched == ["370285200407081232.jpg"]


def test_thumbnail_drawn_for_own_school(session, actor):
    run(session, actor, zipped({f"{IDS[0]}.jpg": photo()}))
    candidate = session.exec(
        select(Candidate).where(Candidate.id_number == IDS[0])
    ).one()
    file_id = candidate.photo_file_id

    found = photos.thumbnails(session, actor=actor, file_ids=[file_id])

    thumbnail = Image.open(io.BytesIO(found[file_id]))
    assert thumbnail.size == (59, 83)
    red, green, blue = thumbnail.getpixel((2, 2))
    assert red > 150
    assert green < 80
    assert blue < 80
    other = school_admin(session)
    assert photos.thumbnails(session, actor=other, file_ids=[file_id]) == {}


def test_unreadable_photo_file_has_no_thumbnail(session, actor):
    run(session, actor, zipped({f"{IDS[0]}.jpg": photo(), f"{IDS[2]}.jpg": photo()}))
    first, second = session.exec(
        select(Candidate.photo_file_id)
        .where(Candidate.id_number.in_([IDS[0], IDS[2]]))
        .order_by(Candidate.id_number)
    ).all()
    broken = session.get(StoredFile, first)
    (storage.storage_root() / broken.relative_path).write_bytes(b"not a jpeg")
    found = photos.thumbnails(session, actor=actor, file_ids=[first, second])
    assert list(found) == [second]


def test_stored_format_kept_byte_for_byte():
    data = photo()
    checked = photos.check_photo(data)
    assert checked.jpeg == data
    assert checked.problems == []
    assert Image.open(io.BytesIO(photos.thumbnail_of(checked.jpeg))).size == (59, 83)


def test_photo_with_exif_reencoded():
    image = Image.open(io.BytesIO(photo()))
    exif = Image.Exif()
    exif[0x8298] = "studio"
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    checked = photos.check_photo(output.getvalue())
    assert checked.jpeg != output.getvalue()
    assert "exif" not in Image.open(io.BytesIO(checked.jpeg)).info


def test_not_red_judged_in_stored_format():
    checked = photos.check_photo(photo(background=(240, 240, 240)))
    assert checked.problems == [photos.NOT_RED]


def test_large_photo_normalised():
    checked = photos.check_photo(photo(size=(1180, 1652)))
    assert Image.open(io.BytesIO(checked.jpeg)).size == (295, 413)
    assert checked.problems == []


def test_large_rotated_photo_normalised():
    image = Image.open(io.BytesIO(photo(size=(1180, 1652)))).transpose(
        Image.Transpose.ROTATE_90
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    checked = photos.check_photo(output.getvalue())
    stored = Image.open(io.BytesIO(checked.jpeg)).convert("RGB")
    assert stored.size == (295, 413)
    assert checked.problems == []
    # The grey person is at the bottom once the photo is upright.
    assert stored.getpixel((147, 400))[0] < 120


def test_large_wrong_shape_names_full_size():
    with pytest.raises(photos.PhotoRejected, match="1652×1180"):
        photos.check_photo(photo(size=(1652, 1180)))


def test_worker_processes_same_report(session, actor, monkeypatch):
    monkeypatch.setattr(photos, "PROCESS_POOL_MIN_PHOTOS", 1)
    monkeypatch.setattr(photos, "CHUNK_PHOTOS", 2)
    pools = []
    check_pool = photos._check_pool

    def recorded_pool(count: int, archive):
        pool, source = check_pool(count, archive)
        pools.append(pool)
        return pool, source

    monkeypatch.setattr(photos, "_check_pool", recorded_pool)
    data = zipped(
        {
            f"{IDS[0]}.jpg": photo(),
            f"{IDS[1]}.jpg": photo(file_format="GIF"),
            f"{IDS[2]}.jpg": photo(background=(240, 240, 240)),
            f"{IDS[3]}.jpg": photo(size=(1180, 1652)),
            "370285200407081232.jpg": photo(),
        }
    )
    report = run(session, actor, data)
    assert isinstance(pools[0], ProcessPoolExecutor)
    assert report.matched == 3
    assert [item["file"] for item in report.refused] == [f"{IDS[1]}.jpg"]
    assert "GIF" in report.refused[0]["reason"]
    assert report.unmatched == ["370285200407081232.jpg"]
    assert report.needs_confirmation == 1
    for number in (IDS[0], IDS[2], IDS[3]):
        assert stored_photo(session, number).size == (295, 413)
    candidate = session.exec(
        select(Candidate).where(Candidate.id_number == IDS[2])
    ).one()
    assert candidate.photo_problems == [photos.NOT_RED]
    stored = session.get(StoredFile, candidate.photo_file_id)
    assert stored.kind == "photo"
    kinds = session.exec(select(StoredFile.kind).distinct()).all()
    assert "photo_thumb" not in kinds
