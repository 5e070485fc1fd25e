"""Issue 16 item 20: one fixed colour per department, the same in every chart,
and a separate palette for states (未超时 never shares a department's colour)."""

from __future__ import annotations

from ui import home


def test_state_and_department_palettes_share_no_colour():
    states = set(home.STATE_COLOURS.values()) | set(home.STATE_FALLBACK)
    assert not states & set(home.DEPT_PALETTE)
    assert len(set(home.DEPT_PALETTE)) == len(home.DEPT_PALETTE)


def test_each_department_keeps_its_colour_whatever_the_chart():
    ids = {f"部门{i}": i for i in range(1, 21)}
    colours = {home.series_colour(n, 0, ids) for n in ids}
    assert len(colours) == 20  # twenty departments, twenty colours
    # the position of a series in a chart does not change its colour
    assert home.series_colour("部门3", 0, ids) == home.series_colour("部门3", 7, ids)
    assert home.series_colour("未超时", 0, ids) == home.series_colour("未超时", 5, ids)
    assert home.series_colour("未超时", 1, ids) not in set(home.DEPT_PALETTE)


def test_work_view_chart_colours_departments_and_states_apart(empty_db):
    from sgld.services import dashboard

    wv_chart = __import__("pandas").DataFrame(
        [
            {"提醒类型": "逾期未签收推送", "分布": "市卫健委", "数量": 3},
            {"提醒类型": "逾期未签收推送", "分布": "市场监管局", "数量": 2},
            {"提醒类型": "待签收推送", "分布": "未超时", "数量": 4},
            {"提醒类型": "待签收推送", "分布": "超时 1–3 天", "数量": 1},
        ]
    )
    ids = {"市卫健委": 5, "市场监管局": 2}
    colours = [home.series_colour(n, i, ids) for i, (n, _) in enumerate(wv_chart.groupby("分布", sort=False))]
    assert len(set(colours)) == 4
    assert isinstance(dashboard.department_ids(), dict)
