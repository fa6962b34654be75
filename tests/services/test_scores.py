import io
import json
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from tests.factories import make_actor, make_organisation
from tests.factories_scores import (
    ENTRY_END,
    ENTRY_START,
    PUBLICATION_END,
    PUBLICATION_START,
    add_candidate,
    candidate_actor,
    make_world,
    ticket_of,
)
from tests.factories_xlsx import with_cells
from xcert_app import cli
from xcert_app.models.accounts import Role
from xcert_app.models.orgs import OrgKind
from xcert_app.models.scores import ScoreChange, ScoreStatus, SubjectScore
from xcert_app.models.system import AuditEntry
from xcert_app.services import score_lists, scores
from xcert_app.services.errors import (
    AccessDenied,
    Conflict,
    ServiceError,
    ValidationError,
)
from xcert_app.services.score_lists import ScoreFilter
from xcert_app.services.scores import ScoreFormatError, ScoreRow
from xcert_app.spreadsheets.scores import read_score_file, rows_xlsx, template_xlsx

HEADER = ["准考证号", "证件号码", "科目编码", "成绩"]


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _score_of(session, registration) -> SubjectScore | None:
    session.expire_all()
    return session.exec(
        select(SubjectScore).where(SubjectScore.registration_id == registration.id)
    ).first()


def _import(session, world, rows, reason=""):
    return scores.import_scores(
        session,
        actor=world.org_actor,
        plan_id=world.plan.id,
        rows=rows,
        reason=reason,
    )


# Parsing a score value.


@pytest.mark.parametrize(
    ("raw", "status", "tenths"),
    [
        ("86.5", ScoreStatus.SCORED, 865),
        (86.5, ScoreStatus.SCORED, 865),
        (100, ScoreStatus.SCORED, 1000),
        (0, ScoreStatus.SCORED, 0),
        ("８６", ScoreStatus.SCORED, 860),
        ("60.0", ScoreStatus.SCORED, 600),
        ("缺考", ScoreStatus.ABSENT, None),
        ("违纪", ScoreStatus.DISQUALIFIED, None),
    ],
)
def test_parse_score_accepts(session, raw, status, tenths):
    world = make_world(session)
    value = scores.parse_score(raw, plan=world.plan)
    assert value.status == status
    assert value.tenths == tenths


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (100.5, "超出 0–100 分的范围"),
        ("-1", "超出 0–100 分的范围"),
        ("60.55", "小数位数超过 1 位"),
        (60.25, "小数位数超过 1 位"),
        ("优秀", "不是数字"),
        ("", "成绩为空"),
        (None, "成绩为空"),
    ],
)
def test_parse_score_refuses(session, raw, message):
    world = make_world(session)
    with pytest.raises(ScoreFormatError, match=message):
        scores.parse_score(raw, plan=world.plan)


def test_plan_without_decimals_refuses_tenths(session):
    world = make_world(session)
    world.plan.score_decimals = 0
    with pytest.raises(ScoreFormatError, match="小数位数超过 0 位"):
        scores.parse_score("60.5", plan=world.plan)
    assert scores.parse_score("61", plan=world.plan).tenths == 610


# Reading the import file.


def test_file_rows_refused_row_by_row(session):
    world = make_world(session, code_prefix="00")
    candidate, registrations = add_candidate(session, world)
    other, other_registrations = add_candidate(session, world)
    outsider, _none = add_candidate(session, world, subjects=[world.subjects[0]])
    code = [subject.code for subject in world.subjects]
    data = _xlsx(
        [
            HEADER,
            [ticket_of(session, registrations[0]), "", code[0], 86.5],
            ["", candidate.id_number, code[1], "缺考"],
            [ticket_of(session, registrations[2]), "", code[2], "违纪"],
            [ticket_of(session, other_registrations[0]), "", int(code[0]), 70],
            [ticket_of(session, other_registrations[1]), "", code[1], "=50+10"],
            [ticket_of(session, other_registrations[2]), "", code[2], 105],
            ["", other.id_number, code[0], 60.55],
            ["20600002250000000000", "", code[0], 60],
            ["", outsider.id_number, code[1], 60],
            [ticket_of(session, registrations[0]), "", code[1], 60],
        ]
    )

    rows = read_score_file(data, file_name="成绩.xlsx")
    report = _import(session, world, rows)

    assert report.total == 10
    assert report.created == 3
    messages = {problem["row"]: problem["message"] for problem in report.refused}
    assert sorted(messages) == [5, 6, 7, 8, 9, 10, 11]
    assert "被存成了数字，开头的 0 可能已丢失" in messages[5]
    assert messages[6] == (
        "第 6 行「成绩」是公式（=50+10），文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    )
    assert "超出 0–100 分的范围" in messages[7]
    assert "小数位数超过 1 位" in messages[8]
    assert "准考证号 20600002250000000000 在考试计划" in messages[9]
    assert f"未报考科目 {code[1]}" in messages[10]
    assert "与科目编码" in messages[11]
    assert _score_of(session, registrations[0]).score_tenths == 865
    assert _score_of(session, registrations[1]).status == ScoreStatus.ABSENT
    assert _score_of(session, registrations[2]).status == ScoreStatus.DISQUALIFIED
    assert _score_of(session, other_registrations[0]) is None


def test_file_formula_cells_named_per_row():
    data = with_cells(
        _xlsx(
            [
                HEADER,
                ["20600002250000000001", "", "043194", 60],
                ["20600002250000000002", "", "043194", 60],
                ["20600002250000000003", "", "043194", 60],
                ["", "", "", ""],
            ]
        ),
        {
            "D2": '<c r="D2"><f>50+10</f><v>60</v></c>',
            "D3": '<c r="D3" t="e"><f>VLOOKUP(A3,Sheet2!A:B,2,0)</f><v>#N/A</v></c>',
            "A4": '<c r="A4"><f>Sheet2!A4</f></c>',
            "C5": '<c r="C5" t="e"><v>#REF!</v></c>',
        },
    )

    rows = read_score_file(data, file_name="成绩.xlsx")

    assert [row.row_number for row in rows] == [2, 3, 4, 5]
    assert rows[0].problem == ""
    assert rows[0].score == 60
    assert rows[1].problem == (
        "第 3 行「成绩」是公式（=VLOOKUP(A3,Sheet2!A:B,2,0)），计算结果是错误值 #N/A。"
        "请在 Excel 中改正公式，或直接填写正确的内容后再导入"
    )
    assert rows[2].problem == (
        "第 4 行「准考证号」是公式（=Sheet2!A4），文件中没有它的计算结果。"
        "请在 Excel 中打开并保存，或把该列复制后“选择性粘贴-数值”再导入"
    )
    assert rows[3].problem == (
        "第 5 行「科目编码」是错误值 #REF!，请填写正确的内容后再导入"
    )


def test_file_header_found_below_title_with_invisible_characters():
    data = _xlsx(
        [
            ["2026年12月成绩导入"],
            ["\ufeff准考证号\u00a0", " 科目编码", "成绩 "],
            ["20600002250000000001", "043194", "88"],
            [None, None, None],
        ]
    )
    rows = read_score_file(data, file_name="成绩.xlsx")
    assert len(rows) == 1
    assert rows[0].row_number == 3
    assert rows[0].subject_code == "043194"
    assert rows[0].ticket_number == "20600002250000000001"
    assert rows[0].problem == ""


def test_file_ticket_number_stored_as_number_is_refused():
    data = _xlsx([HEADER, [2.06000022537004e19, "", "043194", 80]])
    rows = read_score_file(data, file_name="成绩.xlsx")
    assert "准考证号被存成了数字" in rows[0].problem


def test_file_without_header_is_refused():
    data = _xlsx([["姓名", "分数"], ["张三", 80]])
    with pytest.raises(ServiceError, match="找不到表头"):
        read_score_file(data, file_name="成绩.xlsx")


def test_file_gbk_csv_is_read():
    data = "准考证号,科目编码,成绩\n20600002250000000001,043194,缺考\n".encode("gbk")
    rows = read_score_file(data, file_name="成绩.xlsx")
    assert rows[0].score == "缺考"
    assert rows[0].subject_code == "043194"


def test_file_binary_garbage_is_refused():
    with pytest.raises(ServiceError, match="无法"):
        read_score_file(b"\xd0\xcf\x11\xe0garbage" * 10, file_name="成绩.xls")


# The score-entry window.


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (ENTRY_START - timedelta(seconds=1), False),
        (ENTRY_START, True),
        (ENTRY_END, True),
        (ENTRY_END + timedelta(seconds=1), False),
    ],
)
def test_import_window_edges(session, frozen_clock, moment, allowed):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    row = ScoreRow(
        row_number=2,
        ticket_number=ticket_of(session, registrations[0]),
        subject_code=world.subjects[0].code,
        score="80",
    )
    frozen_clock.set(moment)

    if allowed:
        assert _import(session, world, [row]).created == 1
    else:
        with pytest.raises(ServiceError, match="成绩登记"):
            _import(session, world, [row])


def test_form_edit_refused_before_entry_window(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    frozen_clock.set(ENTRY_START - timedelta(seconds=1))
    with pytest.raises(ServiceError, match="成绩登记时间为"):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="80",
        )


# Re-import and form edits.


def test_reimport_replacing_a_score_needs_a_reason(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    ticket = ticket_of(session, registrations[0])
    code = world.subjects[0].code
    _import(session, world, [ScoreRow(2, ticket, "", code, "80")])

    same = _import(session, world, [ScoreRow(2, ticket, "", code, "80")])
    refused = _import(session, world, [ScoreRow(2, ticket, "", code, "85")])
    replaced = _import(
        session, world, [ScoreRow(2, ticket, "", code, "85")], reason="阅卷复核"
    )

    assert same.unchanged == 1
    assert "替换为 85.0 须填写更正原因" in refused.refused[0]["message"]
    assert replaced.replaced == 1
    change = session.exec(select(ScoreChange)).one()
    assert (change.before_tenths, change.after_tenths) == (800, 850)
    assert change.reason == "阅卷复核"
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.action == "score.correct")
    ).one()
    assert audit.after["reason"] == "阅卷复核"


def test_reimport_reason_column_is_used(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    ticket = ticket_of(session, registrations[0])
    code = world.subjects[0].code
    _import(session, world, [ScoreRow(2, ticket, "", code, "80")])

    report = _import(
        session, world, [ScoreRow(2, ticket, "", code, "缺考", reason="考生未到场")]
    )

    assert report.replaced == 1
    assert session.exec(select(ScoreChange)).one().reason == "考生未到场"


def test_duplicate_rows_in_one_file_are_refused(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    ticket = ticket_of(session, registrations[0])
    code = world.subjects[0].code
    report = _import(
        session,
        world,
        [ScoreRow(2, ticket, "", code, "80"), ScoreRow(3, ticket, "", code, "90")],
    )
    assert report.created == 1
    assert report.refused == [
        {"row": 3, "message": "与第 2 行是同一考生同一科目，已跳过"}
    ]


# Registrations without a seat.


def test_import_refuses_row_without_seat(session):
    world = make_world(session)
    _seated, seated_registrations = add_candidate(
        session, world, subjects=[world.subjects[0]]
    )
    unseated, unseated_registrations = add_candidate(
        session, world, subjects=[world.subjects[0]], seat=False
    )
    code = world.subjects[0].code

    report = _import(
        session,
        world,
        [
            ScoreRow(2, ticket_of(session, seated_registrations[0]), "", code, "80"),
            ScoreRow(3, "", unseated.id_number, code, "70"),
        ],
    )

    assert report.created == 1
    assert report.refused == [
        {"row": 3, "message": "该考生未安排考场（未缴费或未排考），不能录入成绩"}
    ]
    assert _score_of(session, unseated_registrations[0]) is None
    assert _score_of(session, seated_registrations[0]).score_tenths == 800


def test_form_entry_refuses_registration_without_seat(session):
    world = make_world(session)
    unseated, registrations = add_candidate(
        session, world, name="李明月", subjects=[world.subjects[0]], seat=False
    )

    with pytest.raises(ServiceError) as raised:
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="70",
        )

    assert str(raised.value) == (
        f"考生 李明月 的科目 {world.subjects[0].code} 未安排考场（未缴费或未排考），"
        "不能录入成绩"
    )
    assert _score_of(session, registrations[0]) is None


def test_score_list_leaves_out_registrations_without_seat(session):
    world = make_world(session)
    _seated, seated_registrations = add_candidate(session, world)
    add_candidate(session, world, name="李明月", seat=False)
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=seated_registrations[0].id,
        score="80",
    )

    page = score_lists.list_scores(
        session, actor=world.org_actor, filters=ScoreFilter(plan_id=world.plan.id)
    )
    missing = score_lists.list_scores(
        session,
        actor=world.org_actor,
        filters=ScoreFilter(plan_id=world.plan.id, status="missing"),
    )
    exported = score_lists.export_scores(
        session, actor=world.org_actor, filters=ScoreFilter(plan_id=world.plan.id)
    )

    assert page.total == 3
    assert page.counts["all"] == 3
    assert page.counts["missing"] == 2
    assert missing.total == 2
    assert "李明月" not in {row["candidate_name"] for row in page.rows}
    assert all(row["ticket_number"] for row in page.rows)
    assert len(exported) == 3


def test_form_change_during_entry_needs_reason(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    scores.save_score(
        session, actor=world.org_actor, registration_id=registrations[0].id, score="80"
    )
    with pytest.raises(ValidationError) as refused:
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="81",
        )
    assert "reason" in refused.value.errors


def test_form_edit_with_stale_version_conflicts(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    first = scores.save_score(
        session, actor=world.org_actor, registration_id=registrations[0].id, score="80"
    )
    shown_version = first.version
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[0].id,
        score="82",
        reason="复核",
        expected_version=shown_version,
    )
    with pytest.raises(Conflict):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="84",
            reason="再次复核",
            expected_version=shown_version,
        )


# Publication and the lock.


def test_school_sees_scores_only_from_publication(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    scores.save_score(
        session, actor=world.org_actor, registration_id=registrations[0].id, score="80"
    )
    before = score_lists.list_scores(
        session, actor=world.school_actor, filters=ScoreFilter()
    )
    frozen_clock.set(PUBLICATION_START)
    after = score_lists.list_scores(
        session, actor=world.school_actor, filters=ScoreFilter()
    )

    assert before.total == 0
    assert after.total == 3
    assert after.counts == {
        "all": 3,
        "missing": 2,
        "scored": 1,
        "absent": 0,
        "disqualified": 0,
    }
    assert after.rows[0]["score"] == "80.0"


def test_school_never_sees_another_schools_scores(session, frozen_clock):
    world = make_world(session)
    other_school = make_organisation(session, name="另一所院校")
    add_candidate(session, world, school=other_school)
    frozen_clock.set(PUBLICATION_START)
    page = score_lists.list_scores(
        session, actor=world.school_actor, filters=ScoreFilter()
    )
    assert page.total == 0


def test_candidate_sees_only_own_published_scores(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    _other, other_registrations = add_candidate(session, world)
    for registration in registrations + other_registrations:
        scores.save_score(
            session, actor=world.org_actor, registration_id=registration.id, score="75"
        )
    actor = candidate_actor(session, candidate)

    assert scores.scores_for_candidate(session, actor=actor) == []
    frozen_clock.set(PUBLICATION_START)
    visible = scores.scores_for_candidate(session, actor=actor)

    assert [row["subject_code"] for row in visible] == [
        subject.code for subject in world.subjects
    ]
    assert {row["score"] for row in visible} == {"75.0"}
    assert {row["corrected"] for row in visible} == {False}


def test_candidate_scores_refuse_other_roles(session):
    world = make_world(session)
    with pytest.raises(AccessDenied):
        scores.scores_for_candidate(session, actor=world.school_actor)


def test_correction_during_publication_needs_reason_and_shows(session, frozen_clock):
    world = make_world(session)
    candidate, registrations = add_candidate(session, world)
    scores.save_score(
        session, actor=world.org_actor, registration_id=registrations[0].id, score="58"
    )
    frozen_clock.set(PUBLICATION_START + timedelta(days=2))

    with pytest.raises(ValidationError):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="62",
        )
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[0].id,
        score="62",
        reason="考生申请复核，第 3 题漏判",
    )

    visible = scores.scores_for_candidate(
        session, actor=candidate_actor(session, candidate)
    )
    assert visible[0]["score"] == "62.0"
    assert visible[0]["corrected"] is True
    history = scores.score_history(
        session, actor=world.org_actor, registration_id=registrations[0].id
    )
    assert history[-1]["before"] == "58.0"
    assert history[-1]["after"] == "62.0"
    assert history[-1]["reason"] == "考生申请复核，第 3 题漏判"


def test_import_refused_during_publication(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    frozen_clock.set(PUBLICATION_START)
    row = ScoreRow(2, ticket_of(session, registrations[0]), "", world.subjects[0].code)
    with pytest.raises(ServiceError, match="公示期内只能逐条更正成绩"):
        _import(session, world, [row])


def test_every_path_refused_after_publication(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    scores.save_score(
        session, actor=world.org_actor, registration_id=registrations[0].id, score="58"
    )
    frozen_clock.set(PUBLICATION_END)
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[0].id,
        score="59",
        reason="最后一天更正",
    )
    frozen_clock.set(PUBLICATION_END + timedelta(seconds=1))

    with pytest.raises(ServiceError, match="永久锁定"):
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score="60",
            reason="再改",
        )
    with pytest.raises(ServiceError, match="永久锁定"):
        _import(
            session,
            world,
            [
                ScoreRow(
                    2,
                    ticket_of(session, registrations[1]),
                    "",
                    world.subjects[1].code,
                    "70",
                )
            ],
        )
    assert _score_of(session, registrations[0]).score_tenths == 590


# Scope.


def test_other_organisation_cannot_import(session):
    world = make_world(session)
    other_org = make_organisation(session, kind=OrgKind.ASSESSMENT_ORG)
    stranger = make_actor(session, role=Role.ORG_ADMIN, organisation=other_org)
    with pytest.raises(AccessDenied):
        scores.import_scores(session, actor=stranger, plan_id=world.plan.id, rows=[])


def test_school_cannot_enter_scores(session):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    with pytest.raises(AccessDenied):
        scores.save_score(
            session,
            actor=world.school_actor,
            registration_id=registrations[0].id,
            score="99",
        )


# Views.


def test_site_statistics_count_and_average(session):
    world = make_world(session)
    _first, first_registrations = add_candidate(session, world)
    _second, second_registrations = add_candidate(session, world)
    _unseated, _registrations = add_candidate(
        session, world, subjects=[world.subjects[0]], seat=False
    )
    for registration, mark in zip(
        first_registrations + second_registrations,
        ("80", "缺考", "55", "61", "违纪", "70"),
        strict=True,
    ):
        scores.save_score(
            session, actor=world.org_actor, registration_id=registration.id, score=mark
        )

    rows = score_lists.site_statistics(
        session, actor=world.org_actor, plan_id=world.plan.id
    )

    by_site = {row["site"]: row for row in rows}
    site = by_site[world.site.name]
    assert site["registered"] == "6"
    assert site["scored"] == "4"
    assert site["absent"] == "1"
    assert site["disqualified"] == "1"
    assert site["average"] == "66.5"
    assert site["passed"] == "3"
    assert site["missing"] == "0"
    assert list(by_site) == [world.site.name]


def test_score_distribution_bands(session):
    world = make_world(session)
    for mark in ("0", "9.9", "10", "61", "100", "缺考"):
        _candidate, registrations = add_candidate(
            session, world, subjects=[world.subjects[0]]
        )
        scores.save_score(
            session,
            actor=world.org_actor,
            registration_id=registrations[0].id,
            score=mark,
        )
    bands = score_lists.score_distribution(
        session,
        actor=world.org_actor,
        plan_id=world.plan.id,
        subject_id=world.subjects[0].id,
    )
    assert [band["count"] for band in bands] == [2, 1, 0, 0, 0, 0, 1, 0, 0, 1]
    assert bands[0]["band"] == "0–10"
    assert bands[9]["band"] == "90–100"


# The operator command.


def test_scores_import_command_prints_json(session, tmp_path, capsys):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    code = world.subjects[0].code
    path = tmp_path / "scores.xlsx"
    path.write_bytes(
        _xlsx(
            [
                HEADER,
                [ticket_of(session, registrations[0]), "", code, 77],
                [ticket_of(session, registrations[1]), "", int(code), 70],
            ]
        )
    )
    session.commit()

    exit_code = cli.main(
        ["scores", "import", str(path), "--plan", world.plan.code, "--json"]
    )

    output = json.loads(capsys.readouterr().out)
    assert exit_code == 1
    assert output["ok"] is True
    assert output["created"] == 1
    assert output["refused"][0]["row"] == 3
    assert _score_of(session, registrations[0]).score_tenths == 770


def test_scores_import_command_unknown_plan(session, tmp_path, capsys):
    path = tmp_path / "scores.xlsx"
    path.write_bytes(_xlsx([HEADER]))
    exit_code = cli.main(
        ["scores", "import", str(path), "--plan", "K000000000000", "--json"]
    )
    assert exit_code == 1
    assert json.loads(capsys.readouterr().out) == {
        "ok": False,
        "error": "考试计划 K000000000000 不存在",
    }


def test_export_scores_writes_filtered_rows(session, frozen_clock):
    world = make_world(session)
    _candidate, registrations = add_candidate(session, world)
    scores.save_score(
        session,
        actor=world.org_actor,
        registration_id=registrations[0].id,
        score="缺考",
    )
    frozen_clock.set(PUBLICATION_START)

    exported = score_lists.export_scores(
        session, actor=world.school_actor, filters=ScoreFilter(status="absent")
    )
    data = rows_xlsx(
        "科目成绩", [("subject_code", "科目编码"), ("score", "成绩")], exported
    )

    sheet = load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[1]] == ["科目编码", "成绩"]
    assert [cell.value for cell in sheet[2]] == [world.subjects[0].code, "缺考"]
    assert sheet.max_row == 2


def test_template_example_row_reads_back():
    rows = read_score_file(template_xlsx(), file_name="成绩导入模板.xlsx")
    assert len(rows) == 1
    assert rows[0].subject_code == "043194"
    assert rows[0].ticket_number == "20600002253700400057"
    assert rows[0].score == "86.5"
    assert rows[0].problem == ""
