"""The pilot year an organisation works in: the current year, or the year that just
ended while the organisation has data of that year and none of the current one.

A pilot year's exams and certificates can run into the next year, so a school
approved for 2026 still works in 2026 on 2027-01-10. A year older than that no
longer applies."""

from sqlalchemy import Subquery, exists
from sqlmodel import Session, func, select

from xcert_app.clock import clock
from xcert_app.models.accounts import Role
from xcert_app.models.catalogue import ExamPlan
from xcert_app.models.declarations import (
    Declaration,
    DeclarationPlan,
    DeclarationStatus,
)
from xcert_app.models.orgs import Organisation
from xcert_app.models.registrations import Registration
from xcert_app.services.actor import REVIEWER_ROLES, SCHOOL_ROLES, Actor
from xcert_app.services.registrations import plan_year


def pilot_year(session: Session, *, actor: Actor) -> int:
    """Return the pilot year of the caller's organisation.

    It is the current calendar year or the year before, the later of the two in
    which the caller's organisation has data. For a school that is a year with an
    approved declaration, for a province or city a year with declarations submitted
    by its schools, and for an assessment organisation the year of a plan with
    registrations. Without such data, and for other roles, it is the current
    calendar year.
    """
    if actor.role in SCHOOL_ROLES:
        return school_pilot_year(session, school_id=actor.organisation_id)
    if actor.role in REVIEWER_ROLES:
        years = _reviewer_pilot_years(session, actor)
    elif actor.role == Role.ORG_ADMIN:
        years = _org_pilot_years(session, org_id=actor.organisation_id)
    else:
        years = []
    this_year = clock.today().year
    return max(
        (year for year in years if this_year - 1 <= year <= this_year),
        default=this_year,
    )


def school_pilot_year(session: Session, *, school_id: int) -> int:
    """Return the school's pilot year: the current or the previous year, the later
    of the two with an approved declaration, else the current year."""
    latest = school_pilot_years()
    year = session.exec(
        select(latest.c.year).where(latest.c.school_id == school_id)
    ).first()
    return year if year is not None else clock.today().year


def school_pilot_years() -> Subquery:
    """Return a subquery of ``(school_id, year)``: each school's pilot year.

    Schools without an approved declaration of the current or the previous year
    have no row, and their pilot year is the current calendar year.
    """
    return (
        select(
            Declaration.school_id.label("school_id"),
            func.max(DeclarationPlan.year).label("year"),
        )
        .join(DeclarationPlan, DeclarationPlan.id == Declaration.plan_id)
        .where(
            Declaration.status == DeclarationStatus.APPROVED,
            DeclarationPlan.year.between(clock.today().year - 1, clock.today().year),
        )
        .group_by(Declaration.school_id)
        .subquery()
    )


def _reviewer_pilot_years(session: Session, actor: Actor) -> list[int]:
    query = (
        select(DeclarationPlan.year)
        .distinct()
        .join(Declaration, Declaration.plan_id == DeclarationPlan.id)
        .where(
            DeclarationPlan.province_code == actor.province_code,
            Declaration.status != DeclarationStatus.DRAFT,
        )
    )
    if actor.role == Role.CITY_REVIEWER:
        query = query.join(
            Organisation, Organisation.id == Declaration.school_id
        ).where(Organisation.city_code == actor.city_code)
    return session.exec(query).all()


def _org_pilot_years(session: Session, *, org_id: int) -> list[int]:
    plans = session.exec(
        select(ExamPlan).where(
            ExamPlan.org_id == org_id,
            exists().where(Registration.plan_id == ExamPlan.id),
        )
    ).all()
    return [plan_year(plan) for plan in plans]
