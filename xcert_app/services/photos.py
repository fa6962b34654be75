"""Candidate photos: archive import and single upload, checked, normalised and stored.

Archives are read entry by entry in memory and never extracted, so a member name
such as ``../../x.jpg`` cannot reach the file system. Only the base name is used
to find the ID number. Every photo is decoded, turned upright and checked, then
stored through ``services/storage.py`` as a 295×413 JPEG: byte for byte when it
already is one without EXIF or XMP, re-encoded otherwise. The grid's
thumbnails are drawn from the stored photo when a page shows them.
"""

import hashlib
import io
import logging
import os
import re
import time
import unicodedata
import warnings
import zipfile
from collections import deque
from collections.abc import Callable, Container
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import asdict, dataclass, field
from multiprocessing import get_all_start_methods, get_context

import numpy
from PIL import ExifTags, Image, ImageOps
from sqlalchemy import bindparam
from sqlmodel import Session, select

from xcert_app.clock import clock
from xcert_app.models.candidates import Candidate
from xcert_app.models.files import StoredFile
from xcert_app.services import audit, storage
from xcert_app.services.actor import Actor, require_school
from xcert_app.services.errors import NotFound, ServiceError
from xcert_app.services.verification import CandidateFacts, get_verifier

logger = logging.getLogger(__name__)

PHOTO_WIDTH = 295
PHOTO_HEIGHT = 413
MAX_ENTRY_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024
# A 1-inch photo is small; anything above this many pixels is refused before
# decoding so a tiny file cannot expand into gigabytes of memory.
MAX_PIXELS = 24_000_000
# Accepted shapes: the 295:413 aspect ratio within 6 %, and a sensible size.
ASPECT_TOLERANCE = 0.06
MIN_WIDTH = 250
# A grid thumbnail is the photo reduced by a factor of five, 59×83 pixels.
THUMBNAIL_FACTOR = 5
THUMBNAIL_SIZE = (
    -(-PHOTO_WIDTH // THUMBNAIL_FACTOR),
    -(-PHOTO_HEIGHT // THUMBNAIL_FACTOR),
)
# The red-background check samples 30×42 pixels, so a photo stored as is is
# decoded at an eighth of its size (37×52), the smallest scale the JPEG decoder
# offers.
CHECK_SCALE = 8
# A photo already in the stored format is kept byte for byte up to this size.
# A 295×413 JPEG of pure noise at quality 95 takes 142 KB, so only files padded
# with other data are re-encoded.
AS_IS_MAX_BYTES = 200 * 1024
READ_CHUNK = 64 * 1024
# Members go to the check workers in chunks of this many photos or bytes, so
# large photos spread over the workers, and at most CHUNKS_IN_FLIGHT chunks
# wait for their results.
CHUNK_PHOTOS = 32
CHUNK_BYTES = 8 * 1024 * 1024
# A photo takes about 0.3 ms of CPU in a worker and 0.1 ms in the caller on the
# 2-core development machine, so three workers keep the caller busy and more than
# four would not shorten an import.
CHECK_WORKERS = max(1, min(4, os.cpu_count() or 1))
CHUNKS_IN_FLIGHT = 2 * CHECK_WORKERS
PROCESS_POOL_MIN_PHOTOS = 200
# The files of this many checked photos are recorded together.
STORE_BATCH = 64
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_ID_IN_NAME = re.compile(r"\d{17}[\dX]")
NOT_RED = "照片底色不是红色，请核对是否为红底小一寸照片"

ProgressCallback = Callable[[int, int], None]


class PhotoRejected(Exception):
    """A rejected photo; the message gives the reason and how to fix it."""


@dataclass
class Photo:
    """A checked photo, ready to store."""

    jpeg: bytes
    problems: list[str]


@dataclass
class PhotoReport:
    """The outcome of an archive import: matched, replaced, refused with reasons, unmatched."""

    entries: int = 0
    matched: int = 0
    replaced: int = 0
    # Matched photos identical to the candidate's current one, left as they are.
    unchanged: int = 0
    refused: list[dict] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    skipped: int = 0
    needs_confirmation: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def entry_name(info: zipfile.ZipInfo) -> str:
    """Return a member's name as its author saw it.

    Without the UTF-8 flag (bit 11) Python decodes names as CP437; archives made
    on Chinese Windows are GBK, and some tools write UTF-8 without the flag.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def is_junk(name: str) -> bool:
    """Tell whether a member is operating-system clutter rather than a photo."""
    parts = [part for part in re.split(r"[/\\]", name) if part]
    if not parts:
        return True
    base = parts[-1]
    return (
        "__MACOSX" in parts
        or base.startswith("._")
        or base.lower() in JUNK_NAMES
        or base.startswith("~$")
    )


def base_name(name: str) -> str:
    """Return the last component of a member name, whatever separator was used."""
    return re.split(r"[/\\]", name.rstrip("/\\"))[-1]


def id_from_name(name: str, known: Container[str]) -> str | None:
    """Find the ID number in a file name: the whole stem, or 18 characters inside it."""
    stem = unicodedata.normalize("NFKC", base_name(name)).rsplit(".", 1)[0]
    stem = stem.strip().upper()
    if stem in known:
        return stem
    for match in _ID_IN_NAME.finditer(stem):
        if match.group(0) in known:
            return match.group(0)
    found = _ID_IN_NAME.search(stem)
    return found.group(0) if found else None


def sniff(data: bytes) -> str:
    """Return the real image format from the first bytes: ``jpeg``, ``png`` or another name."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIC"
        if brand in (b"avif", b"avis"):
            return "AVIF"
        return "视频或 MP4"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WebP"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data.startswith(b"%PDF"):
        return "PDF"
    return "未知"


def _format_problem(kind: str) -> str:
    if kind == "HEIC":
        return (
            "照片实际是 HEIC 格式（苹果手机默认格式），系统只接受 JPG 或 PNG。"
            "请在电脑上用“照片/预览”导出为 JPG，或在手机“设置-相机-格式”选“兼容性最佳”"
            "后重拍，再重新上传"
        )
    if kind == "未知":
        return "文件不是可识别的图片，系统只接受 JPG 或 PNG，请另存为 JPG 后重新上传"
    return f"照片实际是 {kind} 格式，系统只接受 JPG 或 PNG，请另存为 JPG 后重新上传"


def _opaque_rgb(image: Image.Image) -> Image.Image:
    """Return an RGB image; transparent photos are refused, other modes converted."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = image.getchannel("A")
        if alpha.getextrema()[0] < 250:
            raise PhotoRejected(
                "照片有透明背景，无法判断底色。请使用红色背景的照片，另存为 JPG 后重新上传"
            )
    if image.mode == "CMYK":
        return image.convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("L")
    return image.convert("RGB") if image.mode != "RGB" else image


def _fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Normalise to 295×413: crop a slightly different aspect ratio, then resize.

    ``size`` is the upright photo's size at full resolution, which the checks
    and the message use even when the photo was decoded at a reduced scale.
    """
    width, height = size
    target = PHOTO_WIDTH / PHOTO_HEIGHT
    ratio = width / height
    if abs(ratio - target) / target > ASPECT_TOLERANCE or width < MIN_WIDTH:
        raise PhotoRejected(
            f"照片为 {width}×{height} 像素，应为 {PHOTO_WIDTH}×{PHOTO_HEIGHT}（小一寸，"
            "竖版）。请用照片工具裁剪或缩放到该尺寸后重新上传"
        )
    if image.size == (PHOTO_WIDTH, PHOTO_HEIGHT):
        return image
    return ImageOps.fit(
        image, (PHOTO_WIDTH, PHOTO_HEIGHT), method=Image.Resampling.LANCZOS
    )


# The red-background check samples the photo on a 30×42 grid. Its border is the
# two top rows and the two outer columns on each side down to two thirds of the
# height, where no person is. These are their positions in the grid, row by row.
_GRID = (30, 42)
_BORDER = numpy.array(
    [row * _GRID[0] + column for row in range(2) for column in range(_GRID[0])]
    + [
        row * _GRID[0] + column
        for row in range(2, _GRID[1] * 2 // 3)
        for column in (0, 1, _GRID[0] - 2, _GRID[0] - 1)
    ]
)


def is_red_background(image: Image.Image) -> bool:
    """Judge the background from the top and side borders of an RGB photo."""
    # Sampling is enough for a plain background and much faster than averaging.
    small = image.resize(_GRID, Image.Resampling.NEAREST)
    pixels = numpy.frombuffer(small.tobytes(), numpy.uint8).reshape(-1, 3)
    border = pixels[_BORDER].astype(numpy.int16)
    red = border[:, 0]
    others = numpy.maximum(border[:, 1], border[:, 2])
    count = numpy.count_nonzero((red >= 120) & (red - others >= 60))
    return count >= 0.6 * len(_BORDER)


def _in_stored_format(image: Image.Image, data: bytes) -> bool:
    """Tell whether a photo can be stored byte for byte as it came.

    That is an RGB JPEG of 295×413 within the size cap, with no EXIF or XMP
    block, so there is no orientation to apply and no location to keep.
    """
    return (
        image.format == "JPEG"
        and image.mode == "RGB"
        and image.size == (PHOTO_WIDTH, PHOTO_HEIGHT)
        and len(data) <= AS_IS_MAX_BYTES
        and "exif" not in image.info
        and "xmp" not in image.info
    )


def _decode(data: bytes) -> tuple[Image.Image, bool, tuple[int, int]]:
    """Decode a photo within the pixel limit.

    Return the image, whether it is stored as is, and its full-resolution size.
    JPEGs are decoded at a reduced scale (draft mode). A photo stored as is is
    decoded at an eighth, which is enough to judge the background. A larger photo is reduced by the largest factor (2, 4 or 8) that
    keeps both sides at least 413 pixels, so the 295×413 result loses nothing
    in either orientation. The decoder still reads every byte, so a truncated
    file is rejected either way.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRejected(
                    f"照片为 {image.width}×{image.height} 像素，过大，"
                    f"请缩放到 {PHOTO_WIDTH}×{PHOTO_HEIGHT} 后重新上传"
                )
            full_size = image.size
            as_is = _in_stored_format(image, data)
            if as_is:
                image.draft(
                    None, (PHOTO_WIDTH // CHECK_SCALE, PHOTO_HEIGHT // CHECK_SCALE)
                )
            else:
                image.draft(None, (PHOTO_HEIGHT, PHOTO_HEIGHT))
            image.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoRejected("照片像素过多，疑似异常文件，请重新导出后上传") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise PhotoRejected(
            "照片文件不完整或已损坏，无法打开，请从原图重新导出 JPG 后上传"
        ) from error
    return image, as_is, full_size


def _encode(image: Image.Image, *, quality: int) -> bytes:
    output = io.BytesIO()
    image.save(output, "JPEG", quality=quality)
    return output.getvalue()


def check_photo(data: bytes) -> Photo:
    """Decode, check and normalise one photo; raise ``PhotoRejected`` with the fix."""
    if len(data) > MAX_ENTRY_BYTES:
        raise PhotoRejected(
            f"照片有 {len(data) / 1024 / 1024:.1f} MB，超过 5 MB，请压缩后重新上传"
        )
    kind = sniff(data)
    if kind not in ("jpeg", "png"):
        raise PhotoRejected(_format_problem(kind))
    image, as_is, (width, height) = _decode(data)
    if as_is:
        jpeg = data
    else:
        # Orientations 5 to 8 turn the photo by a quarter turn.
        if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):
            width, height = height, width
        image = ImageOps.exif_transpose(image)
        image = _fit(_opaque_rgb(image), (width, height))
        jpeg = _encode(image, quality=90)
    problems = [] if is_red_background(image) else [NOT_RED]
    return Photo(jpeg=jpeg, problems=problems)


def thumbnail_of(jpeg: bytes) -> bytes:
    """Return the 59×83 grid thumbnail of a stored photo.

    The photo is decoded at a quarter of its size (74×104) and reduced from
    there, about 0.2 ms, so a page of thumbnails needs no files of its own.
    """
    image = Image.open(io.BytesIO(jpeg))
    image.draft("RGB", (PHOTO_WIDTH // 4, PHOTO_HEIGHT // 4))
    thumbnail = image.convert("RGB").resize(THUMBNAIL_SIZE, Image.Resampling.BOX)
    return _encode(thumbnail, quality=80)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read a member in chunks, stopping as soon as it exceeds the entry limit."""
    if info.file_size > MAX_ENTRY_BYTES:
        raise PhotoRejected(
            f"照片有 {info.file_size / 1024 / 1024:.1f} MB，超过 5 MB，请压缩后重新上传"
        )
    chunks = []
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(READ_CHUNK):
            size += len(chunk)
            if size > MAX_ENTRY_BYTES:
                raise PhotoRejected("照片解压后超过 5 MB，请压缩后重新上传")
            chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class WrittenPhoto:
    """A checked photo whose file is written and whose candidate is verified with it.

    Its file's row is still to record.
    """

    photo_row: dict
    problems: list[str]
    status: str
    reasons: list[str]


@dataclass
class UnchangedPhoto:
    """A photo identical to the one its candidate has; nothing is written or verified."""


def _store_photo(
    photo: Photo, *, candidate: dict, school_id: int, name: str
) -> WrittenPhoto:
    """Write a photo to storage and verify its candidate; safe in a worker thread or process."""
    # NOTE: a replaced photo's old file stays in storage, because storage.py has
    # no delete yet.
    photo_row = storage.write_file(
        data=photo.jpeg,
        kind="photo",
        content_type="image/jpeg",
        organisation_id=school_id,
        original_name=name,
        suffix=".jpg",
    )
    result = get_verifier().verify(
        CandidateFacts(
            name=candidate["name"],
            id_type=candidate["id_type"],
            id_number=candidate["id_number"],
            has_photo=True,
            photo_problems=tuple(photo.problems),
        )
    )
    return WrittenPhoto(
        photo_row, photo.problems, result.status.value, list(result.reasons)
    )


def _record_photos(
    session: Session, batch: list[tuple[int, WrittenPhoto]]
) -> list[dict]:
    """Record the files of (candidate id, written photo); return each candidate's new values."""
    file_ids = storage.record_many(session, [written.photo_row for _, written in batch])
    now = clock.now()
    return [
        {
            "id": candidate_id,
            "photo_file_id": file_id,
            "photo_problems": written.problems,
            "verification_status": written.status,
            "verification_reasons": written.reasons,
            "verified_at": now,
            "confirmed_by_id": None,
            "updated_at": now,
        }
        for (candidate_id, written), file_id in zip(batch, file_ids, strict=True)
    ]


def _open_archive(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ServiceError("压缩包超过 1 GB，请分成几个压缩包上传")
    if not data.startswith(b"PK"):
        raise ServiceError(
            "文件不是 .zip 压缩包（.rar、.7z 不支持），请把照片打包为 .zip 后上传"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ServiceError(
            "压缩包已损坏，无法读取，请重新打包为 .zip 后上传"
        ) from error
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ServiceError(
            f"压缩包有 {len(infos)} 个文件，一次最多 {MAX_ENTRIES} 个，请分批上传"
        )
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise ServiceError("压缩包解压后超过 2 GB，请分成几个压缩包上传")
    if any(info.flag_bits & 0x1 for info in infos):
        raise ServiceError("压缩包设置了密码，请取消密码后重新打包上传")
    return archive


def _match_entry(
    info: zipfile.ZipInfo,
    candidates: dict[str, dict],
    used: dict[str, str],
    report: PhotoReport,
) -> tuple[str, str] | None:
    """Match one member to a candidate by its name; return (ID number, name)."""
    name = entry_name(info)
    if is_junk(name):
        report.skipped += 1
        return None
    report.entries += 1
    number = id_from_name(name, candidates)
    if number is None or number not in candidates:
        report.unmatched.append(name)
        return None
    if number in used:
        reason = f"与 {used[number]} 是同一考生的照片，已使用前一张"
        report.refused.append({"file": name, "reason": reason})
        return None
    used[number] = name
    return number, name


def _update_candidates(session: Session, changes: list[dict]) -> None:
    """Apply each candidate's new photo and status in one executemany UPDATE."""
    if not changes:
        return
    # A Core statement skips the per-row bookkeeping of the ORM's bulk update.
    table = Candidate.__table__
    statement = table.update().where(table.c.id == bindparam("candidate_id"))
    rows = []
    for change in changes:
        row = dict(change)
        row["candidate_id"] = row.pop("id")
        rows.append(row)
    session.execute(statement, rows)


# The archive a check worker process reads its members from. The process is
# forked from the importing one, so it inherits the archive without a copy.
_inherited_archive: zipfile.ZipFile | None = None


def _inherit_archive(archive: zipfile.ZipFile) -> None:
    global _inherited_archive
    _inherited_archive = archive


def _check_members(
    members: list[tuple[zipfile.ZipInfo, str, dict]],
    school_id: int,
    archive: zipfile.ZipFile | None,
) -> list[WrittenPhoto | UnchangedPhoto | PhotoRejected]:
    """Read, check, store and verify a chunk of (member, file name, candidate) in a worker.

    A worker thread is given the archive; a worker process, given None, reads
    the one it inherited. A photo identical to the candidate's current one is
    not stored again, so importing the same archive twice keeps a confirmation.
    """
    if archive is None:
        archive = _inherited_archive
    results: list[WrittenPhoto | UnchangedPhoto | PhotoRejected] = []
    for info, name, candidate in members:
        try:
            photo = check_photo(_read_entry(archive, info))
        except PhotoRejected as error:
            results.append(error)
            continue
        current = candidate["photo_sha256"]
        if current and hashlib.sha256(photo.jpeg).hexdigest() == current:
            results.append(UnchangedPhoto())
            continue
        results.append(
            _store_photo(photo, candidate=candidate, school_id=school_id, name=name)
        )
    return results


def _check_pool(
    photos: int, archive: zipfile.ZipFile
) -> tuple[Executor, zipfile.ZipFile | None]:
    """Return the workers for an archive and the archive argument their tasks take.

    A large archive goes to worker processes, which check photos beside the
    caller's database work without sharing its interpreter lock. They start by
    ``fork``, so they import nothing and read members from the archive they
    inherit, but starting them still takes tens of milliseconds, which a small
    archive would not earn back. A small one goes to threads.
    """
    # NOTE: in the app the backend forks these from one of its threads. Tests
    # start the pool only from a plain process without an event loop.
    if photos < PROCESS_POOL_MIN_PHOTOS or "fork" not in get_all_start_methods():
        return ThreadPoolExecutor(max_workers=CHECK_WORKERS), archive
    pool = ProcessPoolExecutor(
        max_workers=CHECK_WORKERS,
        mp_context=get_context("fork"),
        initializer=_inherit_archive,
        initargs=(archive,),
    )
    return pool, None


def _count_result(
    number: str,
    name: str,
    result: WrittenPhoto | UnchangedPhoto | PhotoRejected,
    candidates: dict[str, dict],
    report: PhotoReport,
    written: list[tuple[int, WrittenPhoto]],
) -> None:
    """Add one photo's outcome to the report; queue an accepted one for recording."""
    if isinstance(result, PhotoRejected):
        report.refused.append({"file": name, "reason": str(result)})
        return
    report.matched += 1
    if isinstance(result, UnchangedPhoto):
        report.unchanged += 1
        return
    report.replaced += bool(candidates[number]["photo_file_id"])
    written.append((candidates[number]["id"], result))


def _import_entries(
    session: Session,
    archive: zipfile.ZipFile,
    candidates: dict[str, dict],
    report: PhotoReport,
    *,
    school_id: int,
    progress: ProgressCallback | None,
) -> list[dict]:
    """Match, check, store and record every member; return the candidates' new values.

    The caller's thread matches members to candidates by name and records
    results in archive order while workers read, check and store the next
    chunks.
    """
    infos = [info for info in archive.infolist() if not info.is_dir()]
    used: dict[str, str] = {}
    chunk: list[tuple[str, str, zipfile.ZipInfo]] = []
    chunk_bytes = 0
    in_flight: deque[tuple[list[tuple[str, str]], Future]] = deque()
    written: list[tuple[int, WrittenPhoto]] = []
    changes: list[dict] = []
    storage.storage_folder("photo")
    # NOTE: the 1.5 times wall-clock target against Pillow's decode needs both
    # cores of a 2-core machine free, because the work per photo (a decode, a
    # file creation and two database rows) is spread over processes.
    pool, source = _check_pool(len(infos), archive)
    with pool:
        for index, info in enumerate(infos, start=1):
            matched = _match_entry(info, candidates, used, report)
            if matched is not None:
                chunk.append((*matched, info))
                chunk_bytes += info.file_size
            last = index == len(infos)
            if chunk and (
                len(chunk) >= CHUNK_PHOTOS or chunk_bytes >= CHUNK_BYTES or last
            ):
                members = [
                    (info, base_name(name), candidates[number])
                    for number, name, info in chunk
                ]
                future = pool.submit(_check_members, members, school_id, source)
                in_flight.append(
                    ([(number, name) for number, name, _ in chunk], future)
                )
                chunk, chunk_bytes = [], 0
            while in_flight and (len(in_flight) > CHUNKS_IN_FLIGHT or last):
                names, future = in_flight.popleft()
                for (number, name), result in zip(names, future.result(), strict=True):
                    _count_result(number, name, result, candidates, report, written)
                if len(written) >= STORE_BATCH:
                    changes += _record_photos(session, written)
                    written = []
            if progress and index % 50 == 0:
                progress(index, len(infos))
    changes += _record_photos(session, written)
    return changes


def import_archive(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    progress: ProgressCallback | None = None,
) -> PhotoReport:
    """Import a .zip of ``<ID number>.jpg|png`` photos for the caller's school."""
    started = time.perf_counter()
    school_id = require_school(actor)
    archive = _open_archive(data)

    candidates = {
        row.id_number: dict(row._mapping)
        for row in session.exec(
            select(
                Candidate.id,
                Candidate.name,
                Candidate.id_type,
                Candidate.id_number,
                Candidate.photo_file_id,
                StoredFile.sha256.label("photo_sha256"),
            )
            .outerjoin(StoredFile, StoredFile.id == Candidate.photo_file_id)
            .where(Candidate.school_id == school_id)
        )
    }

    report = PhotoReport()
    changes = _import_entries(
        session,
        archive,
        candidates,
        report,
        school_id=school_id,
        progress=progress,
    )
    report.needs_confirmation = sum(
        change["verification_status"] == "needs_confirmation" for change in changes
    )
    _update_candidates(session, changes)

    audit.record(
        session,
        actor=actor,
        action="candidates.photos_import",
        entity="candidate",
        entity_id=f"school:{school_id}",
        after={
            "matched": report.matched,
            "replaced": report.replaced,
            "refused": len(report.refused),
            "unmatched": len(report.unmatched),
        },
    )
    logger.info(
        "photo import school=%s entries=%d matched=%d replaced=%d refused=%d "
        "unmatched=%d skipped=%d in %.2fs",
        school_id,
        report.entries,
        report.matched,
        report.replaced,
        len(report.refused),
        len(report.unmatched),
        report.skipped,
        time.perf_counter() - started,
    )
    return report


def upload_photo(
    session: Session, *, actor: Actor, candidate_id: int, data: bytes, file_name: str
) -> Candidate:
    """Store one photo for one candidate; raise ``ServiceError`` with the reason if refused."""
    school_id = require_school(actor)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.school_id != school_id:
        raise NotFound("考生不存在或不属于本校")
    try:
        photo = check_photo(data)
    except PhotoRejected as error:
        raise ServiceError(f"{file_name}：{error}") from error
    summary = {
        "name": candidate.name,
        "id_type": candidate.id_type,
        "id_number": candidate.id_number,
    }
    storage.storage_folder("photo")
    written = _store_photo(
        photo, candidate=summary, school_id=school_id, name=file_name
    )
    (values,) = _record_photos(session, [(candidate.id, written)])
    replaced = bool(candidate.photo_file_id)
    for key, value in values.items():
        setattr(candidate, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="candidate.photo_upload",
        entity="candidate",
        entity_id=candidate.id,
        after={"replaced": replaced, "status": candidate.verification_status},
    )
    return candidate


def photo_bytes(session: Session, *, actor: Actor, candidate_id: int) -> bytes | None:
    """Return a candidate's stored photo for the school's own accounts."""
    school_id = require_school(actor)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.school_id != school_id:
        raise NotFound("考生不存在或不属于本校")
    if not candidate.photo_file_id:
        return None
    stored = session.get(StoredFile, candidate.photo_file_id)
    return storage.read_bytes(stored) if stored else None


def thumbnails(
    session: Session, *, actor: Actor, file_ids: list[int]
) -> dict[int, bytes]:
    """Return the thumbnails of photos by file id, only of the caller's school's photos.

    A stored photo that cannot be read or decoded has no thumbnail, so one bad
    file leaves the rest of the page as it is.
    """
    school_id = require_school(actor)
    if not file_ids:
        return {}
    rows = session.exec(
        select(StoredFile).where(
            StoredFile.id.in_(file_ids),
            StoredFile.organisation_id == school_id,
            StoredFile.kind == "photo",
        )
    ).all()
    images = {}
    for row in rows:
        try:
            images[row.id] = thumbnail_of(storage.read_bytes(row))
        except (OSError, SyntaxError, ValueError):
            logger.warning("photo file %s has no thumbnail", row.id, exc_info=True)
    return images
