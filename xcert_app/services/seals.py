"""School seals: the principal uploads one PNG seal per school; replaced seals stay as history."""

import io
import logging

from PIL import Image, UnidentifiedImageError
from sqlalchemy import update
from sqlmodel import Session, select

from xcert_app.models.accounts import Role
from xcert_app.models.files import StoredFile
from xcert_app.models.issuance import Seal
from xcert_app.services import audit, storage
from xcert_app.services.actor import Actor, require_role
from xcert_app.services.errors import ValidationError

logger = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024
SEAL_SIDE = 95
# Sides that differ by up to this share are padded to a square; more is refused.
MAX_ASPECT_DIFFERENCE = 0.10
MIN_SIDE = 60
MAX_SIDE = 1000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A pixel this close to white counts as background when whitening is confirmed.
WHITE_THRESHOLD = 235
WHITE_BACKGROUND = "white_background"
AUTHORISATION_MISSING = "请阅读并勾选《电子签名章使用授权委托书》后再保存"


class WhiteBackground(ValidationError):
    """The seal has an opaque white background; the user may confirm making it transparent."""

    def __init__(self) -> None:
        super().__init__(
            {
                "file": "签章图片带有白色底色。请确认预览后将白色去除为透明，"
                "或上传无底色的 PNG 图片"
            }
        )
        self.code = WHITE_BACKGROUND


def _open_png(data: bytes, filename: str) -> Image.Image:
    if len(data) >= MAX_BYTES:
        size_kb = len(data) // 1024
        raise ValidationError(
            {"file": f"文件 {filename} 大小为 {size_kb} KB，签章图片须小于 1 MB"}
        )
    if not data.startswith(PNG_SIGNATURE):
        raise ValidationError(
            {"file": f"文件 {filename} 不是 PNG 图片，请上传 PNG 格式的签章"}
        )
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise ValidationError(
            {"file": f"文件 {filename} 无法作为 PNG 图片读取，请重新导出后上传"}
        ) from error
    if image.format != "PNG":
        raise ValidationError(
            {"file": f"文件 {filename} 不是 PNG 图片，请上传 PNG 格式的签章"}
        )
    return image


def _check_shape(image: Image.Image, filename: str) -> None:
    width, height = image.size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise ValidationError(
            {
                "file": f"文件 {filename} 尺寸为 {width}×{height} 像素，"
                f"请上传约 {SEAL_SIDE}×{SEAL_SIDE} 像素的正方形签章"
            }
        )
    if abs(width - height) > MAX_ASPECT_DIFFERENCE * max(width, height):
        raise ValidationError(
            {
                "file": f"文件 {filename} 尺寸为 {width}×{height} 像素，不是正方形，"
                f"请裁剪为正方形（建议 {SEAL_SIDE}×{SEAL_SIDE}）后上传"
            }
        )


def _border_pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    width, height = image.size
    pixels = image.load()
    points = {(x, 0) for x in range(width)} | {(x, height - 1) for x in range(width)}
    points |= {(0, y) for y in range(height)} | {(width - 1, y) for y in range(height)}
    return [pixels[point] for point in points]


def _is_white(pixel: tuple[int, int, int, int]) -> bool:
    return min(pixel[:3]) >= WHITE_THRESHOLD


def _background(image: Image.Image) -> str:
    """Classify the border as ``transparent``, ``white`` or ``other``."""
    border = _border_pixels(image)
    transparent = sum(1 for pixel in border if pixel[3] < 16)
    if transparent >= 0.9 * len(border):
        return "transparent"
    white = sum(1 for pixel in border if pixel[3] >= 16 and _is_white(pixel))
    if transparent + white >= 0.9 * len(border):
        return "white"
    return "other"


def whiten_to_transparent(image: Image.Image) -> Image.Image:
    """Return a copy with near-white pixels made fully transparent."""
    converted = image.convert("RGBA")
    converted.putdata(
        [
            (red, green, blue, 0)
            if _is_white((red, green, blue, alpha))
            else (red, green, blue, alpha)
            for red, green, blue, alpha in converted.getdata()
        ]
    )
    return converted


def _normalise(image: Image.Image) -> bytes:
    """Pad to a square on a transparent canvas and scale to the seal size."""
    side = max(image.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    if side != SEAL_SIDE:
        canvas = canvas.resize((SEAL_SIDE, SEAL_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def prepare_seal(data: bytes, *, filename: str, remove_white: bool = False) -> bytes:
    """Check an uploaded seal and return it as a transparent 95×95 PNG.

    Raises ``WhiteBackground`` for a white background unless ``remove_white`` is
    set (the user confirmed the preview), and ``ValidationError`` for any other
    format, size or background problem.
    """
    image = _open_png(data, filename)
    _check_shape(image, filename)
    rgba = image.convert("RGBA")
    background = _background(rgba)
    if background == "white":
        if not remove_white:
            raise WhiteBackground()
        rgba = whiten_to_transparent(rgba)
    elif background == "other":
        raise ValidationError(
            {
                "file": f"文件 {filename} 带有非白色的底色，"
                "请上传无底色（透明背景）的 PNG 签章"
            }
        )
    return _normalise(rgba)


def _require_head(actor: Actor) -> int:
    require_role(actor, Role.SCHOOL_HEAD)
    assert actor.organisation_id is not None
    return actor.organisation_id


def save_seal(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    authorised: bool,
    remove_white: bool = False,
) -> Seal:
    """Store a new current seal for the principal's school; the previous one becomes history."""
    school_id = _require_head(actor)
    if not authorised:
        raise ValidationError({"authorised": AUTHORISATION_MISSING})
    png = prepare_seal(data, filename=filename, remove_white=remove_white)

    stored = storage.save_bytes(
        session,
        data=png,
        kind="seal",
        content_type="image/png",
        organisation_id=school_id,
        original_name=filename,
        suffix=".png",
    )
    previous = current_seal(session, school_id=school_id)
    session.exec(
        update(Seal)
        .where(Seal.school_id == school_id, Seal.is_current.is_(True))
        .values(is_current=False)
    )
    seal = Seal(
        school_id=school_id,
        file_id=stored.id,
        uploaded_by_id=actor.account_id,
        is_current=True,
        authorised=True,
    )
    session.add(seal)
    session.flush()

    audit.record(
        session,
        actor=actor,
        action="seal.upload",
        entity="seal",
        entity_id=seal.id,
        before={"seal_id": previous.id if previous else None},
        after={"seal_id": seal.id, "white_removed": remove_white},
    )
    logger.info("seal %s saved for school %s", seal.id, school_id)
    return seal


def current_seal(session: Session, *, school_id: int) -> Seal | None:
    """Return the school's current seal, or None if it has none."""
    return session.exec(
        select(Seal)
        .where(Seal.school_id == school_id, Seal.is_current.is_(True))
        .order_by(Seal.id.desc())
    ).first()


def current_seal_image(session: Session, *, school_id: int) -> bytes | None:
    """Return the PNG bytes of the school's current seal, for documents."""
    seal = current_seal(session, school_id=school_id)
    if seal is None:
        return None
    return storage.read_bytes(session.get(StoredFile, seal.file_id))


def seal_for_head(session: Session, *, actor: Actor) -> bytes | None:
    """Return the seal image of the caller's school; only its principal may view it."""
    return current_seal_image(session, school_id=_require_head(actor))


def seal_history(session: Session, *, actor: Actor) -> list[Seal]:
    """List the principal's school seals, newest first, the current one included."""
    school_id = _require_head(actor)
    return list(
        session.exec(
            select(Seal).where(Seal.school_id == school_id).order_by(Seal.id.desc())
        ).all()
    )
