from xcert_app.pages.home import chart_rows, chart_series


def test_reviewer_chart_label_names_certificate():
    rows = [
        {
            "school": "首都师范大学",
            "certificate": certificate,
            "planned": 100,
            "approved_count": 80,
        }
        for certificate in (
            "物流管理职业技能等级证书",
            "汽车运用与维修职业技能等级证书",
        )
    ]

    chart = chart_rows("reviewer", rows)

    assert [row["label"] for row in chart] == [
        "首都师范大学 物流管理",
        "首都师范大学 汽车运用与维修",
    ]
    assert chart[0]["name"] == "首都师范大学 物流管理职业技能等级证书"
    assert chart[1]["name"] == "首都师范大学 汽车运用与维修职业技能等级证书"
    assert chart[0]["planned"] == 100
    assert chart[0]["approved_count"] == 80


def test_school_chart_label_drops_certificate_suffix():
    row = {"certificate": "物流管理职业技能等级证书", "quota": 5, "candidates": 3}

    [chart] = chart_rows("school", [{**row, "passed": 1}])

    assert chart["label"] == "物流管理"
    assert chart["name"] == "物流管理职业技能等级证书"


def test_chart_series_keep_bar_order_and_colours():
    series = chart_series("reviewer")

    assert [item["name"] for item in series] == ["拟培训人数", "批准人数"]
    assert [item["colour"] for item in series] == ["#3e63dd", "#30a46c"]


def test_long_chart_label_is_cut_with_ellipsis():
    row = {"school": "北京电子科技职业学院附属高级技工学校", "registrations": 1}

    [chart] = chart_rows("org", [{**row, "seats": 2, "passed": 0}])

    assert chart["label"] == "北京电子科技职业学院附属高…"
    assert len(chart["label"]) == 14
    assert chart["name"] == "北京电子科技职业学院附属高级技工学校"
