import io

import pytest
from PIL import Image
from sqlmodel import select

from tests.factories import actor_of
from tests.factories_issuance import IssuanceWorld, seal_png
from xcert_app.models.issuance import Seal
from xcert_app.models.system import AuditEntry
from xcert_app.services import seals
from xcert_app.services.errors import AccessDenied, ValidationError


@pytest.fixture
def world(session):
    return IssuanceWorld(session)


def _save(session, world, data, **options):
    options.setdefault("authorised", True)
    return seals.save_seal(
        session,
        actor=actor_of(session, world.head),
        data=data,
        filename="seal.png",
        **options,
    )


def test_transparent_png_becomes_current_seal(session, world):
    seal = _save(session, world, seal_png())
    image = Image.open(
        io.BytesIO(seals.current_seal_image(session, school_id=world.school.id))
    )
    assert seal.is_current
    assert image.size == (95, 95)
    assert image.getpixel((0, 0))[3] == 0
    assert session.exec(select(AuditEntry.action)).all() == ["seal.upload"]


def test_jpeg_is_rejected_by_content(session, world):
    buffer = io.BytesIO()
    Image.new("RGB", (95, 95), "red").save(buffer, format="JPEG")
    with pytest.raises(ValidationError, match="不是 PNG"):
        _save(session, world, buffer.getvalue())


def test_gif_is_rejected_by_content(session, world):
    buffer = io.BytesIO()
    Image.new("RGB", (95, 95), "red").save(buffer, format="GIF")
    with pytest.raises(ValidationError, match="不是 PNG"):
        _save(session, world, buffer.getvalue())


def test_truncated_png_is_rejected(session, world):
    with pytest.raises(ValidationError, match="无法作为 PNG"):
        _save(session, world, seal_png()[:60])


def test_file_of_one_megabyte_is_rejected(session, world):
    with pytest.raises(ValidationError, match="小于 1 MB"):
        _save(session, world, seal_png() + b"\0" * (1024 * 1024))


def test_oblong_seal_is_rejected(session, world):
    with pytest.raises(ValidationError, match="不是正方形"):
        _save(session, world, seal_png(size=(95, 120)))


def test_tiny_seal_is_rejected(session, world):
    with pytest.raises(ValidationError, match="20×20"):
        _save(session, world, seal_png(size=(20, 20)))


def test_nearly_square_seal_is_normalised(session, world):
    _save(session, world, seal_png(size=(98, 93)))
    image = Image.open(
        io.BytesIO(seals.current_seal_image(session, school_id=world.school.id))
    )
    assert image.size == (95, 95)


def test_white_background_needs_confirmation(session, world):
    data = seal_png(background=(255, 255, 255, 255), mode="RGB")
    with pytest.raises(seals.WhiteBackground):
        _save(session, world, data)
    _save(session, world, data, remove_white=True)
    image = Image.open(
        io.BytesIO(seals.current_seal_image(session, school_id=world.school.id))
    )
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((47, 6))[3] > 0


def test_coloured_background_is_rejected(session, world):
    with pytest.raises(ValidationError, match="非白色的底色"):
        _save(session, world, seal_png(background=(30, 90, 200, 255)))


def test_authorisation_box_is_required(session, world):
    with pytest.raises(ValidationError) as raised:
        _save(session, world, seal_png(), authorised=False)
    assert "authorised" in raised.value.errors


def test_school_admin_cannot_upload_or_view(session, world):
    admin = actor_of(session, world.admin)
    with pytest.raises(AccessDenied):
        seals.save_seal(
            session, actor=admin, data=seal_png(), filename="s.png", authorised=True
        )
    with pytest.raises(AccessDenied):
        seals.seal_for_head(session, actor=admin)


def test_org_admin_cannot_upload(session, world):
    with pytest.raises(AccessDenied):
        seals.save_seal(
            session,
            actor=actor_of(session, world.org_admin),
            data=seal_png(),
            filename="s.png",
            authorised=True,
        )


def test_replacing_keeps_old_seal_in_history(session, world):
    first = _save(session, world, seal_png())
    second = _save(session, world, seal_png(size=(96, 96)))
    history = seals.seal_history(session, actor=actor_of(session, world.head))
    assert [seal.id for seal in history] == [second.id, first.id]
    assert session.get(Seal, first.id).is_current is False
    assert seals.current_seal(session, school_id=world.school.id).id == second.id
