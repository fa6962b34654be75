"""The isolation matrix: every service function that takes an ``actor`` is called by
outsiders (another school, another organisation, another province, a candidate) on
data that is not theirs, and must refuse or show nothing of it.

A new service function fails ``test_every_actor_function_is_in_the_matrix`` until a
case for it is added to ``MATRIX`` (or, with a reason, to ``NOT_SCOPED``).
"""

import importlib
import inspect
import io
import pkgutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

import xcert_app.services as services_package
from tests.factories_candidates import photo as candidate_photo
from tests.factories_candidates import row as candidate_row
from tests.factories_candidates import xlsx as candidate_xlsx
from tests.factories_catalogue import windows_from
from tests.factories_declarations import base_info_form
from tests.factories_issuance import seal_png, signature_data_url
from tests.factories_registration import workbook as registration_workbook
from tests.isolation_world import World, build_world
from xcert_app.clock import beijing, clock
from xcert_app.models.candidates import Candidate
from xcert_app.models.catalogue import ExamPlan, PassRule
from xcert_app.models.registrations import Registration
from xcert_app.services import (
    accounts,
    audit,
    candidate_space,
    candidates,
    catalogue,
    certificates,
    dashboard,
    declarations,
    downloads,
    exam_documents,
    exam_views,
    notifications,
    payments,
    people,
    photos,
    registration_lists,
    registrations,
    results,
    scheduling,
    score_lists,
    scores,
    seals,
    signing,
    sites,
    todo,
)
from xcert_app.services.errors import AccessDenied, NotFound, ValidationError


@dataclass(frozen=True)
class Case:
    """How to call one function on the owners' data, and what would be a leak.

    ``call(session, world, actor)`` performs the call. An outsider is refused when the
    call raises ``AccessDenied`` or ``NotFound``, or when ``leaks(result, world)`` is
    false for what it returned (a list without the owners' rows, say). ``owner`` names
    the world's actor for whom the same call must succeed, so a case cannot pass by
    being refused to everybody.
    """

    call: Callable
    leaks: Callable = lambda _result, _world: True
    owner: str = "school_head"
    shared_with: tuple[str, ...] = ()
    refused_as: tuple[type[Exception], ...] = ()


def refused(case: Case, session, world: World, actor) -> bool:
    try:
        result = case.call(session, world, actor)
    except (AccessDenied, NotFound, *case.refused_as):
        return True
    return not case.leaks(result, world)


def owned_rows(result, world: World) -> bool:
    """Tell whether a list holds a row of the owning school or organisation."""
    owners = {world.school.id, world.org.id, world.province.id}
    return any(getattr(row, "organisation_id", None) in owners for row in result)


def non_empty(result, _world: World) -> bool:
    """Tell whether a count is above zero; outsiders have nothing of their own to count."""
    return bool(result)


OWNED_TODO_KEYS = {"candidates_confirm", "review", "site_review"}


def owned_todo(result, _world: World) -> bool:
    """Tell whether a to-do list shows the owners' pending work."""
    return any(item.key in OWNED_TODO_KEYS for item in result)


def member_of_school(session, world: World) -> int:
    account, _password = people.create_member_account(
        session,
        actor=world.school_head,
        username="member_x",
        display_name="王",
        mobile="13800138000",
    )
    return account.id


def staff_of_school(session, world: World) -> int:
    return people.add_staff(session, actor=world.school_head, name="张监考").id


# ---------------------------------------------------------------- helpers of cases


def at(day: int, hour: int = 10) -> None:
    """Move the business clock to December ``day`` 2026 (Beijing) for one case."""
    clock.set(beijing(2026, 12, day, hour))


def text_of(result) -> str:
    """Return what a result shows; bytes results are spreadsheet exports."""
    if isinstance(result, bytes):
        book = load_workbook(io.BytesIO(result), read_only=True)
        return " ".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return repr(result)


def mentions(*texts: str) -> Callable:
    """A leak is a result that shows any of ``texts`` (names of the owners' rows)."""
    return lambda result, _world: any(text in text_of(result) for text in texts)


def row_of(session, world: World, name: str) -> Candidate:
    return session.get(Candidate, world.ids[name])


def kept_file(session, world: World):
    """A generated PDF kept for the owners' school."""
    return downloads.keep(
        session, actor=world.school_head, data=b"%PDF-1.4", filename="考场资料.pdf"
    )


def candidate_file(session, world: World, name: str, new_name: str) -> bytes:
    """A school-candidate sheet naming one of the owners' candidates by ID number."""
    return candidate_xlsx(
        [candidate_row(new_name, row_of(session, world, name).id_number)]
    )


def candidate_values(session, world: World, name: str, new_name: str) -> dict:
    number = row_of(session, world, name).id_number
    return dict(
        zip(candidates.DATA_FIELDS, candidate_row(new_name, number), strict=True)
    )


def registration_file(session, world: World, name: str) -> bytes:
    number = row_of(session, world, name).id_number
    return registration_workbook(["证件号码", "科目编码"], [[number, "990101"]])


def registered(session, world: World, name: str) -> bool:
    return (
        session.exec(
            select(Registration).where(Registration.candidate_id == world.ids[name])
        ).first()
        is not None
    )


def room_input(world: World, name: str = "甲102机房") -> sites.RoomInput:
    return sites.RoomInput(
        plan_id=world.ids["exam_plan"],
        site_id=world.ids["approved_site"],
        name=name,
        mode="机考",
        seats=20,
        province_code="110000",
        city_code="110100",
        district_code="110108",
        address="北京市海淀区实训楼102",
        certificate_level_ids=[world.ids["level"]],
    )


def site_input(world: World) -> sites.SiteInput:
    return sites.SiteInput(
        name="甲校考核站点新名",
        province_code="110000",
        city_code="110100",
        district_code="110108",
        address="北京市海淀区西三环北路105号",
        org_id=world.org.id,
        certificate_level_ids=[world.ids["level"]],
        introduction="机房 1 间",
        contact_name="王",
        contact_mobile="13800138000",
        contact_email="a@b.cn",
    )


def plan_of(session, world: World) -> ExamPlan:
    return session.get(ExamPlan, world.ids["exam_plan"])


OWNED_NAMES = ("王五", "赵六", "周九", "吴十", "张三")
OWNED_PLAN = ("K202612010001", "甲考试计划")


SCHOOLS = ("other_school_head", "other_school_admin", "far_school_head")
SAME_PROVINCE_SCHOOLS = ("other_school_head", "other_school_admin")


def plan_input(session, world: World) -> catalogue.PlanInput:
    """A plan of the owners' level and subject, opening in January."""
    windows = windows_from(beijing(2027, 1, 5))
    exam_day = windows["exam"][0]
    return catalogue.PlanInput(
        name="甲新考试计划",
        windows=windows,
        levels=[
            catalogue.LevelRule(
                certificate_level_id=world.ids["level"],
                rule=PassRule.COMPOSITE,
                pass_mark=60,
                subjects=[
                    catalogue.SubjectTerms(
                        subject_id=world.ids["subject"],
                        pass_mark=60,
                        weight_percent=100,
                        duration_minutes=90,
                        sessions=[(exam_day, exam_day + timedelta(minutes=90))],
                    )
                ],
            )
        ],
    )


def plan_form() -> declarations.PlanForm:
    return declarations.PlanForm(
        batch_name="2027年第二次",
        year="2027",
        opens_on="2027-03-01",
        closes_on="2027-03-31",
    )


def base_info_in(actor) -> declarations.BaseInfoForm:
    """A valid base-information form in the caller's own province."""
    if actor.province_code == "310000":
        return base_info_form(city_code="310100", district_code="310101")
    return base_info_form()


def photo_archive(session, world: World, name: str) -> bytes:
    """A zip of one photo named by the ID number of one of the owners' candidates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        number = row_of(session, world, name).id_number
        archive.writestr(f"{number}.jpg", candidate_photo())
    return buffer.getvalue()


MATRIX: dict[str, Case] = {
    "accounts.list_accounts": Case(
        lambda s, w, a: accounts.list_accounts(s, actor=a), owner="operator"
    ),
    "accounts.operator_create_account": Case(
        lambda s, w, a: accounts.operator_create_account(
            s,
            actor=a,
            username="x_new",
            role="school_admin",
            organisation_id=w.school.id,
            display_name="x",
        ),
        owner="operator",
    ),
    "audit.search": Case(lambda s, w, a: audit.search(s, actor=a), owner="operator"),
    "people.list_member_accounts": Case(
        lambda s, w, a: people.list_member_accounts(s, actor=a), owned_rows
    ),
    "people.create_member_account": Case(
        lambda s, w, a: [
            people.create_member_account(
                s,
                actor=a,
                username=f"m{a.account_id}",
                display_name="x",
                mobile="13800138000",
            )[0]
        ],
        owned_rows,
    ),
    "people.set_member_active": Case(
        lambda s, w, a: people.set_member_active(
            s, actor=a, account_id=member_of_school(s, w), active=False
        )
    ),
    "people.reset_member_password": Case(
        lambda s, w, a: people.reset_member_password(
            s, actor=a, account_id=member_of_school(s, w)
        )
    ),
    "people.list_staff": Case(
        lambda s, w, a: people.list_staff(s, actor=a), owned_rows
    ),
    "people.add_staff": Case(
        lambda s, w, a: [people.add_staff(s, actor=a, name="x")], owned_rows
    ),
    "people.set_staff_active": Case(
        lambda s, w, a: people.set_staff_active(
            s, actor=a, staff_id=staff_of_school(s, w), active=False
        )
    ),
    "people.import_staff_rows": Case(
        lambda s, w, a: (
            people.import_staff_rows(s, actor=a, rows=[{"姓名": "x"}])
            and people.list_staff(s, actor=a)
        ),
        owned_rows,
    ),
    "todo.school_items": Case(
        lambda s, w, a: todo.school_items(s, actor=a), owned_todo
    ),
    "todo.reviewer_items": Case(
        lambda s, w, a: todo.reviewer_items(s, actor=a),
        owned_todo,
        owner="province_reviewer",
    ),
    "todo.org_items": Case(
        lambda s, w, a: todo.org_items(s, actor=a), owned_todo, owner="org_admin"
    ),
    "todo.items_for": Case(lambda s, w, a: todo.items_for(s, actor=a), owned_todo),
    "dashboard.plans_involving": Case(
        lambda s, w, a: dashboard.plans_involving(s, actor=a), mentions("甲考试计划")
    ),
    "dashboard.school_numbers": Case(
        lambda s, w, a: dashboard.school_numbers(s, actor=a), mentions("乙证书")
    ),
    "dashboard.province_numbers": Case(
        lambda s, w, a: dashboard.province_numbers(s, actor=a),
        mentions("甲校"),
        owner="province_reviewer",
    ),
    "dashboard.org_numbers": Case(
        lambda s, w, a: dashboard.org_numbers(s, actor=a),
        mentions("甲校"),
        owner="org_admin",
    ),
    "notifications.list_for": Case(
        lambda s, w, a: notifications.list_for(s, actor=a), mentions("甲校的通知")
    ),
    "notifications.unread_count": Case(
        lambda s, w, a: notifications.unread_count(s, actor=a), non_empty
    ),
    "notifications.mark_read": Case(
        lambda s, w, a: notifications.mark_read(
            s, actor=a, notification_id=w.notification_id
        )
    ),
    "notifications.sms_for": Case(
        lambda s, w, a: notifications.sms_for(s, actor=a), mentions("甲校的短信")
    ),
    # candidate_space: a candidate sees only its own records.
    "candidate_space.profile": Case(
        lambda s, w, a: candidate_space.profile(s, actor=a),
        mentions("王五"),
        owner="own_candidate",
    ),
    "candidate_space.certificates": Case(
        lambda s, w, a: candidate_space.certificates(s, actor=a),
        mentions("99010115610", "乙证书"),
        owner="own_candidate",
    ),
    "candidate_space.results": Case(
        lambda s, w, a: at(22) or candidate_space.results(s, actor=a),
        mentions("乙证书"),
        owner="own_candidate",
    ),
    "candidate_space.scores": Case(
        lambda s, w, a: at(22) or candidate_space.scores(s, actor=a),
        mentions("甲科目"),
        owner="own_candidate",
    ),
    "candidate_space.tickets": Case(
        lambda s, w, a: at(7) or candidate_space.tickets(s, actor=a),
        mentions("99010100000000000001", *OWNED_PLAN),
        owner="own_candidate",
    ),
    # candidates: a school's candidate list, imports and edits.
    "candidates.check_import": Case(
        lambda s, w, a: candidates.check_import(
            s, actor=a, data=candidate_file(s, w, "王五", "王五"), kind="school"
        ),
        lambda report, _w: report.updated + report.unchanged > 0,
    ),
    "candidates.import_candidates": Case(
        lambda s, w, a: candidates.import_candidates(
            s, actor=a, data=candidate_file(s, w, "王五", "王五改"), kind="school"
        ),
        lambda report, _w: report.updated > 0,
    ),
    "candidates.error_report": Case(
        lambda s, w, a: candidates.error_report(
            s, actor=a, data=candidate_file(s, w, "吴十", "吴十"), kind="school"
        ),
        mentions("已登记为本校"),
    ),
    "candidates.export_candidates": Case(
        lambda s, w, a: candidates.export_candidates(
            s, actor=a, query=candidates.GridQuery()
        ),
        mentions(*OWNED_NAMES),
    ),
    "candidates.filter_options": Case(
        lambda s, w, a: candidates.filter_options(s, actor=a, kind="school"),
        mentions("甲物流专业"),
    ),
    "candidates.get_candidate": Case(
        lambda s, w, a: candidates.get_candidate(s, actor=a, candidate_id=w.ids["王五"])
    ),
    "candidates.confirm_candidate": Case(
        lambda s, w, a: candidates.confirm_candidate(
            s, actor=a, candidate_id=w.candidate.id
        )
    ),
    "candidates.correct_candidate": Case(
        lambda s, w, a: candidates.correct_candidate(
            s, actor=a, candidate_id=w.candidate.id, values={"name": "张三丰"}
        )
    ),
    "candidates.list_candidates": Case(
        lambda s, w, a: candidates.list_candidates(
            s, actor=a, query=candidates.GridQuery()
        ),
        mentions(*OWNED_NAMES),
    ),
    "candidates.save_candidate": Case(
        lambda s, w, a: candidates.save_candidate(
            s,
            actor=a,
            kind="school",
            values=candidate_values(s, w, "王五", "王五改"),
            candidate_id=w.ids["王五"],
        )
    ),
    # catalogue: certificates, subjects and plans of an organisation. The catalogue
    # and published plans are public to pilot schools by design.
    "catalogue.create_certificate": Case(
        lambda s, w, a: catalogue.create_certificate(
            s, actor=a, code="990000009", name="新证书", levels=["初级"]
        ),
        lambda certificate, w: certificate.org_id == w.org.id,
        owner="org_admin",
    ),
    "catalogue.update_certificate": Case(
        lambda s, w, a: catalogue.update_certificate(
            s,
            actor=a,
            certificate_id=w.ids["certificate"],
            name="乙证书改",
            short_name="",
            levels=["初级"],
        ),
        owner="org_admin",
    ),
    "catalogue.list_certificates": Case(
        lambda s, w, a: catalogue.list_certificates(s, actor=a),
        mentions("乙证书"),
        owner="org_admin",
        shared_with=SCHOOLS,
    ),
    "catalogue.search_certificate_levels": Case(
        lambda s, w, a: catalogue.search_certificate_levels(
            s, actor=a, org_id=w.org.id
        ),
        mentions("乙证书"),
        owner="org_admin",
        # Active certificate levels are the public catalogue every reader picks from.
        shared_with=(*SCHOOLS, "other_org"),
    ),
    "catalogue.create_subject": Case(
        lambda s, w, a: catalogue.create_subject(
            s,
            actor=a,
            data=catalogue.SubjectInput(
                code="990102",
                name="甲新科目",
                mode="机考",
                certificate_level_id=w.ids["level"],
            ),
        ),
        owner="org_admin",
        refused_as=(ValidationError,),  # another organisation's level
    ),
    "catalogue.update_subject": Case(
        lambda s, w, a: catalogue.update_subject(
            s,
            actor=a,
            subject_id=w.ids["subject"],
            data=catalogue.SubjectInput(
                code="990101",
                name="甲科目改",
                mode="机考",
                certificate_level_id=w.ids["level"],
            ),
        ),
        owner="org_admin",
    ),
    "catalogue.list_subjects": Case(
        lambda s, w, a: catalogue.list_subjects(s, actor=a),
        mentions("甲科目"),
        owner="org_admin",
        shared_with=SCHOOLS,
    ),
    "catalogue.create_plan": Case(
        lambda s, w, a: catalogue.create_plan(s, actor=a, data=plan_input(s, w)),
        lambda plan, w: plan.org_id == w.org.id,
        owner="org_admin",
        refused_as=(ValidationError,),  # another organisation's level
    ),
    "catalogue.update_plan": Case(
        lambda s, w, a: catalogue.update_plan(
            s,
            actor=a,
            plan_id=w.ids["draft_exam_plan"],
            version=1,
            data=plan_input(s, w),
        ),
        owner="org_admin",
    ),
    "catalogue.get_plan": Case(
        lambda s, w, a: catalogue.get_plan(
            s, actor=a, plan_id=w.ids["draft_exam_plan"]
        ),
        owner="org_admin",
    ),
    "catalogue.list_plans": Case(
        lambda s, w, a: catalogue.list_plans(s, actor=a),
        mentions("甲未发布计划"),
        owner="org_admin",
    ),
    "catalogue.plan_detail": Case(
        lambda s, w, a: catalogue.plan_detail(
            s, actor=a, plan_id=w.ids["draft_exam_plan"]
        ),
        owner="org_admin",
    ),
    # certificates: issued certificates and their PDFs.
    "certificates.issued_record": Case(
        lambda s, w, a: certificates.issued_record(
            s, actor=a, record_id=w.ids["issued_record"]
        )
    ),
    "certificates.certificate_pdf": Case(
        lambda s, w, a: certificates.certificate_pdf(
            s, actor=a, record_id=w.ids["issued_record"]
        ),
        owner="own_candidate",
    ),
    "certificates.batch_contents": Case(
        lambda s, w, a: certificates.batch_contents(
            s, actor=a, record_ids=[w.ids["issued_record"]]
        ),
        owner="org_admin",
    ),
    "certificates.issued_ids": Case(
        lambda s, w, a: certificates.issued_ids(s, actor=a),
        lambda found, w: w.ids["issued_record"] in found,
        owner="org_admin",
    ),
    # declarations: a school's declarations and the province's review.
    "declarations.get_school": Case(
        lambda s, w, a: declarations.get_school(s, actor=a),
        lambda school, w: school.id == w.school.id,
    ),
    "declarations.save_base_info": Case(
        lambda s, w, a: (
            declarations.save_base_info(s, actor=a, form=base_info_in(a))
            or declarations.get_school(s, actor=a)
        ),
        lambda school, w: school.id == w.school.id,
    ),
    "declarations.school_counts": Case(
        lambda s, w, a: declarations.school_counts(s, actor=a),
        lambda counts, _w: sum(counts.values()) > 0,
    ),
    "declarations.school_quotas": Case(
        lambda s, w, a: declarations.school_quotas(s, actor=a, year=2026),
        mentions("乙证书"),
    ),
    "declarations.list_school_declarations": Case(
        lambda s, w, a: declarations.list_school_declarations(s, actor=a),
        mentions("乙证书", "甲证书"),
    ),
    "declarations.save_draft": Case(
        lambda s, w, a: declarations.save_draft(
            s,
            actor=a,
            plan_id=w.ids["declaration_plan"],
            form=declarations.DeclarationForm(
                certificate_id=w.ids["draft_certificate"],
                planned_count="8",
                teacher_description="双师型教师 3 名",
                venue_description="实训室 1 间",
            ),
            declaration_id=w.ids["draft_declaration"],
            version=1,
        )
    ),
    "declarations.submit_declaration": Case(
        lambda s, w, a: declarations.submit_declaration(
            s, actor=a, declaration_id=w.ids["draft_declaration"], version=1
        )
    ),
    "declarations.delete_draft": Case(
        lambda s, w, a: declarations.delete_draft(
            s, actor=a, declaration_id=w.ids["draft_declaration"], version=1
        )
    ),
    "declarations.get_declaration": Case(
        lambda s, w, a: declarations.get_declaration(
            s, actor=a, declaration_id=w.ids["pending_declaration"]
        ),
        owner="province_reviewer",
    ),
    "declarations.evidence_download": Case(
        lambda s, w, a: declarations.evidence_download(
            s, actor=a, declaration_id=w.ids["pending_declaration"]
        )
    ),
    "declarations.list_plans": Case(
        lambda s, w, a: declarations.list_plans(s, actor=a),
        lambda plans, w: any(plan.id == w.ids["declaration_plan"] for plan in plans),
        owner="province_reviewer",
        shared_with=SAME_PROVINCE_SCHOOLS,
    ),
    "declarations.create_plan": Case(
        lambda s, w, a: declarations.create_plan(s, actor=a, form=plan_form()),
        lambda plan, w: plan.province_code == w.province.province_code,
        owner="province_reviewer",
    ),
    "declarations.update_plan": Case(
        lambda s, w, a: declarations.update_plan(
            s, actor=a, plan_id=w.ids["future_declaration_plan"], form=plan_form()
        ),
        owner="province_reviewer",
    ),
    "declarations.close_plan": Case(
        lambda s, w, a: declarations.close_plan(
            s, actor=a, plan_id=w.ids["declaration_plan"]
        ),
        owner="province_reviewer",
    ),
    "declarations.list_for_review": Case(
        lambda s, w, a: declarations.list_for_review(s, actor=a),
        mentions("甲证书"),
        owner="province_reviewer",
    ),
    "declarations.approve_declaration": Case(
        lambda s, w, a: declarations.approve_declaration(
            s,
            actor=a,
            declaration_id=w.ids["pending_declaration"],
            version=1,
            approved_count=8,
        ),
        owner="province_reviewer",
    ),
    "declarations.reject_declaration": Case(
        lambda s, w, a: declarations.reject_declaration(
            s,
            actor=a,
            declaration_id=w.ids["pending_declaration"],
            version=1,
            reason="材料不全",
        ),
        owner="province_reviewer",
    ),
    "declarations.bulk_approve": Case(
        lambda s, w, a: declarations.bulk_approve(
            s, actor=a, items=[(w.ids["pending_declaration"], 1)]
        ),
        lambda result, _w: result.approved > 0,
        owner="province_reviewer",
    ),
    # exam_documents: room sheets and admission tickets.
    "exam_documents.room_documents": Case(
        lambda s, w, a: exam_documents.room_documents(
            s,
            actor=a,
            plan_id=w.ids["exam_plan"],
            room_id=w.ids["room"],
            session_id=w.ids["session"],
            kind="all",
        )
    ),
    "exam_documents.batch_documents": Case(
        lambda s, w, a: exam_documents.batch_documents(
            s, actor=a, plan_id=w.ids["exam_plan"]
        )
    ),
    "exam_documents.ticket_pdf_for_candidate": Case(
        lambda s, w, a: (
            at(7)
            or exam_documents.ticket_pdf_for_candidate(
                s, actor=a, plan_id=w.ids["exam_plan"]
            )
        ),
        owner="own_candidate",
    ),
    # exam_views: where candidates sit, and who watches the rooms.
    "exam_views.visible_plans": Case(
        lambda s, w, a: exam_views.visible_plans(s, actor=a),
        mentions(*OWNED_PLAN),
    ),
    "exam_views.visible_plan": Case(
        # A published plan is public to schools; an unpublished one is not.
        lambda s, w, a: exam_views.visible_plan(
            s, actor=a, plan_id=w.ids["draft_exam_plan"]
        ),
        owner="org_admin",
    ),
    "exam_views.sites_view": Case(
        lambda s, w, a: exam_views.sites_view(s, actor=a, plan_id=w.ids["exam_plan"]),
        mentions("甲校考核站点"),
    ),
    "exam_views.rooms_view": Case(
        lambda s, w, a: exam_views.rooms_view(s, actor=a, plan_id=w.ids["exam_plan"]),
        mentions("甲101机房"),
    ),
    "exam_views.room_detail": Case(
        lambda s, w, a: exam_views.room_detail(
            s,
            actor=a,
            plan_id=w.ids["exam_plan"],
            room_id=w.ids["room"],
            session_id=w.ids["session"],
        ),
        mentions("王五"),
    ),
    "exam_views.staff_roster": Case(
        lambda s, w, a: exam_views.staff_roster(s, actor=a),
        mentions("甲校监考员"),
    ),
    "exam_views.assign_duties": Case(
        lambda s, w, a: exam_views.assign_duties(
            s,
            actor=a,
            room_id=w.ids["room"],
            session_id=w.ids["session"],
            invigilator_ids=[w.ids["staff"]],
            roving_ids=[],
        )
    ),
    # payments: fees, payment orders and their confirmation.
    "payments.create_order": Case(
        lambda s, w, a: payments.create_order(
            s,
            actor=a,
            plan_id=w.ids["exam_plan"],
            data=registration_file(s, w, "周九"),
            file_name="缴费.xlsx",
            kind="subject",
        ),
        lambda created, _w: created[0] is not None,
    ),
    "payments.delete_order": Case(
        lambda s, w, a: payments.delete_order(
            s, actor=a, order_id=w.ids["order"], version=1
        )
    ),
    "payments.confirm_order": Case(
        lambda s, w, a: payments.confirm_order(
            s, actor=a, order_id=w.ids["order"], version=1
        ),
        owner="org_admin",
    ),
    "payments.reject_order": Case(
        lambda s, w, a: payments.reject_order(
            s, actor=a, order_id=w.ids["order"], version=1, reason="金额不符"
        ),
        owner="org_admin",
    ),
    "payments.list_orders": Case(
        lambda s, w, a: payments.list_orders(s, actor=a),
        mentions("JF99010100000001"),
    ),
    "payments.order_lines": Case(
        lambda s, w, a: payments.order_lines(s, actor=a, order_id=w.ids["order"])
    ),
    "payments.fee_table": Case(
        lambda s, w, a: payments.fee_table(s, actor=a),
        mentions("甲科目"),
        owner="org_admin",
    ),
    "payments.set_fee": Case(
        lambda s, w, a: payments.set_fee(
            s, actor=a, key=f"subject:{w.ids['subject']}", amount="150"
        ),
        owner="org_admin",
    ),
    "payments.payment_settings": Case(
        lambda s, w, a: payments.payment_settings(s, actor=a),
        lambda settings, _w: settings["requires_payment"],
        owner="org_admin",
    ),
    "payments.set_payment_settings": Case(
        lambda s, w, a: payments.set_payment_settings(
            s, actor=a, requires_payment=False, fee_basis="subject"
        ),
        lambda org, w: org.id == w.org.id,
        owner="org_admin",
    ),
    # photos: candidates' photos.
    "photos.upload_photo": Case(
        lambda s, w, a: photos.upload_photo(
            s,
            actor=a,
            candidate_id=w.ids["吴十"],
            data=candidate_photo(),
            file_name="吴十.jpg",
        )
    ),
    "photos.import_archive": Case(
        lambda s, w, a: photos.import_archive(
            s, actor=a, data=photo_archive(s, w, "吴十")
        ),
        lambda report, _w: report.matched > 0,
    ),
    # downloads: generated files fetched over HTTP.
    "downloads.locate": Case(
        lambda s, w, a: downloads.locate(s, actor=a, file_id=kept_file(s, w).id)
    ),
    "photos.photo_bytes": Case(
        lambda s, w, a: photos.photo_bytes(s, actor=a, candidate_id=w.ids["王五"])
    ),
    "photos.thumbnails": Case(
        lambda s, w, a: photos.thumbnails(
            s, actor=a, file_ids=[row_of(s, w, "王五").photo_file_id]
        ),
        lambda found, _w: bool(found),
    ),
    # registration_lists: who registered for what.
    "registration_lists.list_registrations": Case(
        lambda s, w, a: registration_lists.list_registrations(
            s, actor=a, filters=registration_lists.RegistrationFilter()
        ),
        mentions(*OWNED_NAMES),
    ),
    "registration_lists.export_registrations": Case(
        lambda s, w, a: registration_lists.export_registrations(
            s, actor=a, filters=registration_lists.RegistrationFilter()
        ),
        mentions(*OWNED_NAMES),
    ),
    "registration_lists.plan_choices": Case(
        lambda s, w, a: registration_lists.plan_choices(s, actor=a),
        mentions("甲未发布计划"),
        owner="org_admin",
    ),
    "registration_lists.summary_by_school_and_subject": Case(
        lambda s, w, a: registration_lists.summary_by_school_and_subject(
            s, actor=a, plan_id=w.ids["exam_plan"]
        ),
        owner="org_admin",
    ),
    # registrations: imports that register and unregister a school's candidates.
    "registrations.import_registrations": Case(
        lambda s, w, a: (
            registrations.import_registrations(
                s,
                actor=a,
                plan_id=w.ids["exam_plan"],
                data=registration_file(s, w, "吴十"),
                file_name="报考.xlsx",
                kind="subject",
            )
            and registered(s, w, "吴十")
        ),
        lambda done, _w: done,
    ),
    "registrations.delete_registrations": Case(
        lambda s, w, a: (
            registrations.delete_registrations(
                s,
                actor=a,
                plan_id=w.ids["exam_plan"],
                data=registration_file(s, w, "周九"),
                file_name="删除.xlsx",
            )
            and not registered(s, w, "周九")
        ),
        lambda done, _w: done,
    ),
    # results: certificate results of a plan.
    "results.list_results": Case(
        lambda s, w, a: (
            at(22) or results.list_results(s, actor=a, filters=results.ResultFilter())
        ),
        mentions(*OWNED_NAMES),
    ),
    "results.export_results": Case(
        lambda s, w, a: (
            at(22) or results.export_results(s, actor=a, filters=results.ResultFilter())
        ),
        mentions(*OWNED_NAMES),
    ),
    "results.freeze_due_plans": Case(
        lambda s, w, a: at(27) or results.freeze_due_plans(s, actor=a),
        lambda frozen, _w: frozen > 0,
        owner="org_admin",
    ),
    "results.recompute": Case(
        lambda s, w, a: (
            at(17)
            or results.recompute(
                s, actor=a, plan=plan_of(s, w), candidate_ids={w.ids["王五"]}
            )
        ),
        owner="org_admin",
    ),
    "results.results_for_candidate": Case(
        lambda s, w, a: at(22) or results.results_for_candidate(s, actor=a),
        mentions("乙证书"),
        owner="own_candidate",
    ),
    # scheduling: seating a plan.
    "scheduling.load_plan_for_org": Case(
        lambda s, w, a: scheduling.load_plan_for_org(
            s, actor=a, plan_id=w.ids["exam_plan"]
        ),
        owner="org_admin",
    ),
    "scheduling.schedule_plan": Case(
        lambda s, w, a: scheduling.schedule_plan(
            s, actor=a, plan_id=w.ids["exam_plan"], seed=1
        ),
        owner="org_admin",
    ),
    "scheduling.scheduling_closed_reason": Case(
        lambda s, w, a: scheduling.scheduling_closed_reason(
            s, actor=a, plan_id=w.ids["exam_plan"]
        ),
        owner="org_admin",
    ),
    "scheduling.latest_run": Case(
        lambda s, w, a: scheduling.latest_run(s, actor=a, plan_id=w.ids["exam_plan"]),
        owner="org_admin",
    ),
    # scores: entry, correction, lists and statistics.
    "scores.load_org_plan": Case(
        lambda s, w, a: scores.load_org_plan(s, actor=a, plan_id=w.ids["exam_plan"]),
        owner="org_admin",
    ),
    "scores.save_score": Case(
        lambda s, w, a: (
            at(17)
            or scores.save_score(
                s,
                actor=a,
                registration_id=w.ids["registration"],
                score="90",
                reason="复核更正",
            )
        ),
        owner="org_admin",
    ),
    "scores.import_scores": Case(
        lambda s, w, a: (
            at(17)
            or scores.import_scores(
                s,
                actor=a,
                plan_id=w.ids["exam_plan"],
                rows=[
                    scores.ScoreRow(
                        row_number=2,
                        ticket_number="99010100000000000001",
                        subject_code="990101",
                        score=90,
                        reason="复核更正",
                    )
                ],
            )
        ),
        owner="org_admin",
    ),
    "score_lists.list_scores": Case(
        lambda s, w, a: (
            at(22)
            or score_lists.list_scores(s, actor=a, filters=score_lists.ScoreFilter())
        ),
        mentions(*OWNED_NAMES),
    ),
    "score_lists.export_scores": Case(
        lambda s, w, a: (
            at(22)
            or score_lists.export_scores(s, actor=a, filters=score_lists.ScoreFilter())
        ),
        mentions(*OWNED_NAMES),
    ),
    "score_lists.site_statistics": Case(
        lambda s, w, a: score_lists.site_statistics(
            s, actor=a, plan_id=w.ids["exam_plan"]
        ),
        owner="org_admin",
    ),
    "score_lists.score_distribution": Case(
        lambda s, w, a: (
            at(22)
            or score_lists.score_distribution(
                s, actor=a, plan_id=w.ids["exam_plan"], subject_id=w.ids["subject"]
            )
        ),
        lambda bands, _w: any(band["count"] for band in bands),
    ),
    "scores.score_history": Case(
        lambda s, w, a: scores.score_history(
            s, actor=a, registration_id=w.ids["registration"]
        ),
        owner="org_admin",
    ),
    "scores.scores_for_candidate": Case(
        lambda s, w, a: at(22) or scores.scores_for_candidate(s, actor=a),
        mentions("甲科目"),
        owner="own_candidate",
    ),
    "score_lists.plan_options": Case(
        lambda s, w, a: at(22) or score_lists.plan_options(s, actor=a),
        mentions(*OWNED_PLAN),
    ),
    "score_lists.subject_options": Case(
        lambda s, w, a: (
            at(22)
            or score_lists.subject_options(s, actor=a, plan_id=w.ids["exam_plan"])
        )
    ),
    "scores.window_summary": Case(
        lambda s, w, a: scores.window_summary(s, actor=a, plan_id=w.ids["exam_plan"]),
        owner="org_admin",
    ),
    # seals: a school head's seal.
    "seals.save_seal": Case(
        lambda s, w, a: seals.save_seal(
            s, actor=a, data=seal_png(), filename="seal.png", authorised=True
        ),
        lambda seal, w: seal.school_id == w.school.id,
    ),
    "seals.seal_for_head": Case(
        lambda s, w, a: seals.seal_for_head(s, actor=a),
        lambda image, _w: image is not None,
    ),
    "seals.seal_history": Case(
        lambda s, w, a: seals.seal_history(s, actor=a),
        lambda history, w: any(seal.school_id == w.school.id for seal in history),
    ),
    # signing: both sides sign certificate records.
    "signing.list_records": Case(
        lambda s, w, a: signing.list_records(s, actor=a, status=""),
        mentions(*OWNED_NAMES),
    ),
    # Certificates are signed once publication (12-21..24) has locked the scores.
    "signing.sign": Case(
        lambda s, w, a: (
            at(25)
            or signing.sign(
                s,
                actor=a,
                versions={w.ids["pending_record"]: 1},
                signature_data_url=signature_data_url(),
            )
        )
    ),
    "signing.refuse": Case(
        lambda s, w, a: signing.refuse(
            s, actor=a, record_id=w.ids["pending_record"], version=1, reason="姓名有误"
        )
    ),
    "signing.resubmit": Case(
        lambda s, w, a: signing.resubmit(
            s, actor=a, record_id=w.ids["refused_record"], version=1
        ),
        owner="org_admin",
    ),
    "signing.signatures_of": Case(
        lambda s, w, a: signing.signatures_of(
            s, actor=a, record_id=w.ids["issued_record"]
        )
    ),
    # sites: exam sites, their review, rooms and loans.
    "sites.suggested_site_name": Case(
        lambda s, w, a: sites.suggested_site_name(
            s, actor=a, certificate_id=w.ids["certificate"]
        ),
        mentions("甲校"),
    ),
    "sites.declare_site": Case(
        lambda s, w, a: sites.declare_site(s, actor=a, data=site_input(w)),
        lambda site, w: site.school_id == w.school.id,
        refused_as=(ValidationError,),  # a school not piloting the certificate
    ),
    "sites.update_site": Case(
        lambda s, w, a: sites.update_site(
            s,
            actor=a,
            site_id=w.ids["pending_site"],
            version=1,
            data=site_input(w),
        )
    ),
    "sites.get_site_for_edit": Case(
        lambda s, w, a: sites.get_site_for_edit(
            s, actor=a, site_id=w.ids["pending_site"]
        )
    ),
    "sites.read_evidence": Case(
        lambda s, w, a: sites.read_evidence(s, actor=a, site_id=w.ids["pending_site"])
    ),
    "sites.list_sites": Case(
        lambda s, w, a: sites.list_sites(s, actor=a), mentions("甲校考核站点")
    ),
    "sites.approved_sites": Case(
        lambda s, w, a: sites.approved_sites(s, actor=a), mentions("甲校考核站点")
    ),
    "sites.approve_site": Case(
        lambda s, w, a: sites.approve_site(
            s, actor=a, site_id=w.ids["pending_site"], version=1
        ),
        owner="org_admin",
    ),
    "sites.reject_site": Case(
        lambda s, w, a: sites.reject_site(
            s, actor=a, site_id=w.ids["pending_site"], version=1, reason="材料不全"
        ),
        owner="org_admin",
    ),
    "sites.schools_without_site": Case(
        lambda s, w, a: sites.schools_without_site(s, actor=a),
        mentions("丁校"),
        owner="org_admin",
    ),
    "sites.assign_loan": Case(
        lambda s, w, a: sites.assign_loan(
            s, actor=a, school_id=w.ids["borrower"], site_id=w.ids["approved_site"]
        ),
        owner="org_admin",
    ),
    "sites.remove_loan": Case(
        lambda s, w, a: sites.remove_loan(s, actor=a, loan_id=w.ids["loan"]),
        owner="org_admin",
    ),
    "sites.list_loans": Case(
        lambda s, w, a: sites.list_loans(s, actor=a),
        mentions("丁校"),
        owner="org_admin",
    ),
    "sites.create_room": Case(
        lambda s, w, a: sites.create_room(s, actor=a, data=room_input(w)),
        refused_as=(ValidationError,),  # another school's site
    ),
    "sites.update_room": Case(
        lambda s, w, a: sites.update_room(
            s, actor=a, room_id=w.ids["room"], data=room_input(w, "甲101机房")
        )
    ),
    "sites.delete_room": Case(
        lambda s, w, a: sites.delete_room(s, actor=a, room_id=w.ids["empty_room"])
    ),
    "sites.get_room_for_edit": Case(
        lambda s, w, a: sites.get_room_for_edit(s, actor=a, room_id=w.ids["room"])
    ),
    "sites.plans_for_rooms": Case(
        lambda s, w, a: sites.plans_for_rooms(s, actor=a),
        lambda result, w: any(plan.id == w.ids["exam_plan"] for plan in result),
    ),
    "sites.list_rooms": Case(
        lambda s, w, a: sites.list_rooms(s, actor=a, plan_id=w.ids["exam_plan"]),
        mentions("甲101机房"),
    ),
    "sites.preview_room_copy": Case(
        lambda s, w, a: sites.preview_room_copy(
            s,
            actor=a,
            source_plan_id=w.ids["exam_plan"],
            target_plan_id=w.ids["next_exam_plan"],
            site_id=w.ids["approved_site"],
        )
    ),
    "sites.copy_rooms": Case(
        lambda s, w, a: sites.copy_rooms(
            s,
            actor=a,
            source_plan_id=w.ids["exam_plan"],
            target_plan_id=w.ids["next_exam_plan"],
            site_id=w.ids["approved_site"],
        )
    ),
    "sites.capacity_by_mode": Case(
        lambda s, w, a: sites.capacity_by_mode(s, actor=a, plan_id=w.ids["exam_plan"]),
        lambda rows, _w: any(row.candidates for row in rows),
    ),
}

# Functions that take an actor but touch no other organisation's data, with the reason.
NOT_SCOPED: dict[str, str] = {
    "pilot_years.pilot_year": "returns a year read only from the caller's own data",
    "accounts.change_password": "acts only on the caller's own account",
    "accounts.must_change_password": "reads only the caller's own account",
    "audit.record": "writes the caller's own entry; called by services, not pages",
    "downloads.keep": "stores a file for the caller's own organisation only",
    "actor.require_role": "the check itself",
    "actor.require_school": "the check itself",
    "actor.require_org": "the check itself",
    "actor.require_same_org": "the check itself",
    "signing.signing_side": "reads only the caller's role",
}


def actor_functions() -> list[str]:
    """Return ``module.function`` for every public service function with an ``actor`` parameter."""
    found = []
    for module_info in pkgutil.iter_modules(services_package.__path__):
        module = importlib.import_module(
            f"{services_package.__name__}.{module_info.name}"
        )
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if "actor" in inspect.signature(function).parameters:
                found.append(f"{module_info.name}.{name}")
    return sorted(found)


def test_every_actor_function_is_in_the_matrix():
    missing = [
        name
        for name in actor_functions()
        if name not in MATRIX and name not in NOT_SCOPED
    ]
    assert missing == [], f"add these to the isolation matrix: {missing}"


@pytest.fixture
def world(session):
    return build_world(session)


OUTSIDERS = [
    "other_school_head",
    "other_school_admin",
    "far_school_head",
    "other_org",
    "other_province",
    "candidate",
]


@pytest.mark.parametrize("function_name", sorted(MATRIX))
def test_outsiders_are_refused_and_owner_is_not(session, world, function_name):
    case = MATRIX[function_name]
    let_through = []
    for outsider in OUTSIDERS:
        if outsider in case.shared_with:
            continue
        savepoint = session.begin_nested()
        try:
            if not refused(case, session, world, world.outsiders[outsider]):
                let_through.append(outsider)
        finally:
            if savepoint.is_active:
                savepoint.rollback()
    assert let_through == []
    assert not refused(case, session, world, getattr(world, case.owner))
