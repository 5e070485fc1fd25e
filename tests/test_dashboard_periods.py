"""Issue 16 item 20: statistics a leader can trust — the comparison period of
each preset, 近12个月 as the twelve months ending today, and the warning list
counted by the date of the record that caused each entry (the clock frozen)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sgld import clock
from sgld.services import dashboard
from tests.test_dashboard_service import E1, E2, E3, NOW, actor, build, head, ts


@pytest.fixture
def frozen():
    clock.freeze(datetime(2026, 12, 3, 10, 0))
    yield
    clock.freeze(None)


def preset(name: str) -> dashboard.Filters:
    return dashboard.make_filters(*dashboard.period_range(name), preset=name)


def test_this_year_is_compared_with_the_same_period_last_year(frozen):
    f = preset("本年")
    assert (f.date_from, f.date_to) == (date(2026, 1, 1), date(2026, 12, 3))
    assert f.basis == "去年同期"
    assert f.previous == (date(2025, 1, 1), date(2025, 12, 3))


def test_month_and_quarter_to_date_compare_with_the_same_days_before(frozen):
    assert preset("本月").previous == (date(2026, 11, 1), date(2026, 11, 3))
    assert preset("本季度").previous == (date(2026, 7, 1), date(2026, 9, 3))
    # a custom period: the one of the same length just before
    f = dashboard.make_filters(date(2026, 3, 1), date(2026, 3, 20))
    assert f.basis == "上期" and f.previous == (date(2026, 2, 9), date(2026, 2, 28))


def test_last_twelve_months_end_today_and_differ_from_this_year_in_december(frozen):
    assert dashboard.period_range("近12个月") == (date(2025, 12, 4), date(2026, 12, 3))
    assert dashboard.period_range("近12个月") != dashboard.period_range("本年")
    f = preset("近12个月")
    assert f.days == 365 and f.previous == (date(2024, 12, 4), date(2025, 12, 3))


def test_leap_day_a_year_back_is_the_end_of_february():
    assert dashboard.shift_months(date(2028, 2, 29), -12) == date(2027, 2, 28)
    clock.freeze(datetime(2028, 2, 29, 9, 0))
    try:
        assert preset("本年").previous == (date(2027, 1, 1), date(2027, 2, 28))
    finally:
        clock.freeze(None)


def _add_cases(db, created: list[str]) -> None:
    def tx(cur):
        for n, at in enumerate(created, 100):
            pno = f"2025-320602-00-03-{n:06d}"
            cur.execute(
                "INSERT INTO project (project_no, name, enterprise_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [pno, f"项目{n}", E1, NOW, NOW],
            )
            cur.execute(
                "INSERT INTO approval_case (id, case_no, item_id, enterprise_id, project_no,"
                " stage, reply, decided_on, created_at, updated_at)"
                " VALUES (?, ?, 1, ?, ?, '需监管部门参与环节', '准予', ?, ?, ?)",
                [n, f"SPT{n:04d}", E1, pno, ts(at).date(), ts(at), ts(at)],
            )

    db.write(tx)


@pytest.fixture
def data(empty_db):
    build(empty_db)
    clock.freeze(NOW)  # 2026-03-20
    yield empty_db
    clock.freeze(None)


def test_the_days_between_last_years_period_and_this_one_count_in_neither(data):
    # last year's 1 Jan … 20 Mar holds one case; three more fall in the gap
    # (21 Mar … 31 Dec 2025), which the old "same length just before" counted
    _add_cases(data, ["2025-02-01 09:00", "2025-06-01 09:00", "2025-12-30 09:00", "2025-12-31 09:00"])
    d = dashboard.leader_figures(actor("leader"), preset("本年"))
    assert d.previous == (date(2025, 1, 1), date(2025, 3, 20))
    assert head(d)["录入办件"] == (6, 1)  # cases 1–6 of 2026 / the one of 2025-02-01
    month = d.figure("cases_by_month").frame
    assert list(month["月份"]) == ["2026-01", "2026-02", "2026-03"]


def _warning_entries(db) -> None:
    """Three entries the system computed on 2026-03-15 (one by hand), caused
    by records of 20 January, 10 February and the day itself."""
    listed = ts("2026-03-15 02:00")

    def tx(cur):
        cur.execute("DELETE FROM warning_hit")
        cur.execute("DELETE FROM warning_entry")
        for wid, e, manual in [(11, E1, False), (12, E2, False), (13, E3, True)]:
            cur.execute(
                "INSERT INTO warning_entry (id, enterprise_id, status, listed_at, manual) VALUES (?, ?, '在列', ?, ?)",
                [wid, e, listed, manual],
            )
        for entry, rule, rtype, rid, on, added in [
            (11, "big_penalty", "penalty", 1, "2026-01-20", listed),
            (12, "inspection", "inspection", 1, "2026-02-10", listed),
            # found later on the open entry: not what caused it
            (11, "penalty_count", "penalty", 2, "2025-11-02", ts("2026-03-18 02:00")),
        ]:
            cur.execute(
                "INSERT INTO warning_hit (entry_id, rule, record_type, record_id, hit_on,"
                " added_at) VALUES (?, ?, ?, ?, ?, ?)",
                [entry, rule, rtype, rid, date.fromisoformat(on), added],
            )

    db.write(tx)


def test_warning_list_counts_entries_by_the_date_of_their_cause(data):
    _warning_entries(data)
    d = dashboard.leader_figures(actor("leader"), preset("本年"))
    assert d.figure("warning").frame.to_dict("records") == [
        {"月份": "2026-01", "新列入": 1, "解除": 0, "月末在列": 1},
        {"月份": "2026-02", "新列入": 1, "解除": 0, "月末在列": 2},
        {"月份": "2026-03", "新列入": 1, "解除": 0, "月末在列": 3},
    ]
    assert head(d)["警示名单在列"] == (3, 0)
    # a period after the causes: the entries are in the base, none newly listed
    clock.freeze(datetime(2026, 4, 20, 10, 0))
    d = dashboard.leader_figures(actor("leader"), preset("本月"))
    assert d.figure("warning").frame.to_dict("records") == [{"月份": "2026-04", "新列入": 0, "解除": 0, "月末在列": 3}]
