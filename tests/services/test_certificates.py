import io

import pytest
from pypdf import PdfReader

from tests.factories import actor_of, make_account, make_organisation
from tests.factories_issuance import IssuanceWorld, seal_png
from xcert_app.models.accounts import Role
from xcert_app.models.issuance import IssuanceStatus
from xcert_app.services import certificates, seals
from xcert_app.services.errors import NotFound, ServiceError


@pytest.fixture
def world(session):
    return IssuanceWorld(session)


def _issued(world, frozen_clock, **candidate_fields):
    candidate = world.candidate(**candidate_fields)
    now = frozen_clock.now()
    record = world.record(
        candidate,
        status=IssuanceStatus.ISSUED,
        school_signed_at=now,
        org_signed_at=now,
        issued_at=now,
    )
    return record, candidate


def test_pdf_has_seal_and_verification_link(session, world, frozen_clock):
    record, _candidate = _issued(world, frozen_clock)
    org = actor_of(session, world.org_admin)
    _name, unsealed = certificates.certificate_pdf(
        session, actor=org, record_id=record.id
    )
    seals.save_seal(
        session,
        actor=actor_of(session, world.head),
        data=seal_png(),
        filename="seal.png",
        authorised=True,
    )
    name, pdf = certificates.certificate_pdf(session, actor=org, record_id=record.id)
    assert name == f"证书_{record.certificate_number}.pdf"
    assert pdf.startswith(b"%PDF")
    assert f"/verify?number={record.certificate_number}".encode() in pdf
    assert unsealed.count(b"/Subtype /Image") == 1
    assert b"/SMask" not in unsealed
    assert pdf.count(b"/Subtype /Image") == 3
    assert b"/SMask" in pdf


def test_candidate_downloads_only_own_certificate(session, world, frozen_clock):
    record, candidate = _issued(world, frozen_clock)
    other, _ = _issued(world, frozen_clock)
    actor = actor_of(session, world.candidate_account(candidate))
    _name, pdf = certificates.certificate_pdf(session, actor=actor, record_id=record.id)
    assert pdf.startswith(b"%PDF")
    with pytest.raises(NotFound):
        certificates.certificate_pdf(session, actor=actor, record_id=other.id)


def test_other_school_cannot_download(session, world, frozen_clock):
    record, _ = _issued(world, frozen_clock)
    admin = make_account(
        session, role=Role.SCHOOL_ADMIN, organisation=make_organisation(session)
    )
    with pytest.raises(NotFound):
        certificates.certificate_pdf(
            session, actor=actor_of(session, admin), record_id=record.id
        )


def test_pending_record_has_no_certificate(session, world):
    record = world.record()
    with pytest.raises(ServiceError, match="尚未完成双方签发"):
        certificates.certificate_pdf(
            session, actor=actor_of(session, world.org_admin), record_id=record.id
        )


def test_character_no_font_has_stops_with_its_name(session, world, frozen_clock):
    record, _ = _issued(world, frozen_clock, name="王\U0002ebf0")
    with pytest.raises(ServiceError, match="U\\+2EBF0"):
        certificates.certificate_pdf(
            session, actor=actor_of(session, world.org_admin), record_id=record.id
        )


@pytest.mark.parametrize("name", ["\U00020bb7明", "王\U00021243"])
def test_extension_b_character_is_drawn_by_fallback(session, world, frozen_clock, name):
    record, _ = _issued(world, frozen_clock, name=name)
    _name, pdf = certificates.certificate_pdf(
        session, actor=actor_of(session, world.org_admin), record_id=record.id
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert name in text.replace(" ", "")


def test_batch_renders_one_page_each(session, world, frozen_clock):
    first, _ = _issued(world, frozen_clock)
    second, _ = _issued(world, frozen_clock)
    actor = actor_of(session, world.org_admin)
    ids = certificates.issued_ids(session, actor=actor)
    pages = []
    pdf = certificates.render_batch(
        certificates.batch_contents(session, actor=actor, record_ids=ids),
        on_page=pages.append,
    )
    assert ids == [first.id, second.id]
    assert pages == [1, 2]
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2
