"""Work that runs at once on one database: no "database is locked" reaches the user."""

import threading

from sqlmodel import func, select

from tests.bench_candidates import make_sheet
from tests.factories import make_actor, make_organisation
from tests.factories_scores import add_candidate, make_world
from xcert_app.db import session_scope
from xcert_app.models.accounts import Role
from xcert_app.models.candidates import Candidate
from xcert_app.services import candidates, exam_documents


def test_two_imports_and_a_pdf_batch_at_once(session):
    world = make_world(session)
    for _ in range(20):
        add_candidate(session, world)
    heads = [
        make_actor(
            session, role=Role.SCHOOL_HEAD, organisation=make_organisation(session)
        )
        for _ in range(2)
    ]
    session.commit()
    sheet = make_sheet(300)
    errors: list[BaseException] = []
    documents = []

    def run(work) -> None:
        try:
            with session_scope() as work_session:
                work(work_session)
        except BaseException as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    jobs = [
        lambda s, head=head: candidates.import_candidates(
            s, actor=head, data=sheet, kind="school"
        )
        for head in heads
    ]
    jobs.append(
        lambda s: documents.append(
            exam_documents.batch_documents(
                s, actor=world.org_actor, plan_id=world.plan.id
            )
        )
    )
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert errors == []
    assert documents[0][1].data.startswith(b"%PDF")
    for head in heads:
        count = session.exec(
            select(func.count())
            .select_from(Candidate)
            .where(Candidate.school_id == head.organisation_id)
        ).one()
        assert count == 300
