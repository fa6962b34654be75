from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.factories import make_account, make_organisation
from xcert_app.api import api
from xcert_app.models.accounts import Role
from xcert_app.models.orgs import OrgKind
from xcert_app.services import accounts, downloads
from xcert_app.services.errors import AccessDenied, NotFound


@pytest.fixture
def two_schools(session):
    signed_in = {}
    for name, code in (
        ("北京财贸职业学院", "4111012565"),
        ("首都师范大学", "4111010028"),
    ):
        school = make_organisation(
            session, kind=OrgKind.SCHOOL, name=name, institution_code=code
        )
        account = make_account(
            session, username=f"head_{code}", role=Role.SCHOOL_HEAD, organisation=school
        )
        actor = accounts.actor_for_account(session, account)
        token = accounts.open_session(session, account=account)
        signed_in[code] = (actor, token)
    session.commit()
    return signed_in


def test_kept_file_downloads_with_name(session, two_schools):
    actor, token = two_schools["4111012565"]
    kept = downloads.keep(
        session, actor=actor, data=b"%PDF-1.4 tickets", filename="K2026 考场资料.pdf"
    )
    session.commit()
    response = TestClient(api).get(
        f"/api/downloads/{kept.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 tickets"
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "%E8%80%83%E5%9C%BA" in disposition


def test_other_school_gets_not_found(session, two_schools):
    owner, _token = two_schools["4111012565"]
    outsider, token = two_schools["4111010028"]
    kept = downloads.keep(session, actor=owner, data=b"%PDF", filename="a.pdf")
    session.commit()
    with pytest.raises(NotFound):
        downloads.locate(session, actor=outsider, file_id=kept.id)
    response = TestClient(api).get(
        f"/api/downloads/{kept.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert "重新生成" in response.json()["message"]


def test_download_without_login_refused(session, two_schools):
    owner, _token = two_schools["4111012565"]
    kept = downloads.keep(session, actor=owner, data=b"%PDF", filename="a.pdf")
    session.commit()
    response = TestClient(api).get(f"/api/downloads/{kept.id}")
    assert response.status_code == 403
    response = TestClient(api).get("/api/downloads/abc")
    assert response.status_code == 400


def test_keep_needs_organisation():
    from xcert_app.services.actor import Actor

    with pytest.raises(AccessDenied):
        downloads.keep(
            None,
            actor=Actor(
                account_id=1,
                username="operator",
                display_name="运营",
                role=Role.PLATFORM_ADMIN,
            ),
            data=b"",
            filename="a",
        )


def test_signed_link_works_without_login(session, two_schools, frozen_clock):
    owner, _token = two_schools["4111012565"]
    kept = downloads.keep(session, actor=owner, data=b"%PDF-1.4 x", filename="a.pdf")
    session.commit()
    path = downloads.signed_path(kept.id)
    client = TestClient(api)
    assert client.get(path).content == b"%PDF-1.4 x"
    tampered = path.replace(f"/{kept.id}?", f"/{kept.id + 1}?")
    assert client.get(tampered).status_code == 404
    frozen_clock.shift(downloads.LINK_LIFETIME + timedelta(seconds=1))
    assert client.get(path).status_code == 404
