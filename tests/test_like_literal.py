"""`%` and `_` typed into a search box match literally, not as LIKE wildcards."""

from __future__ import annotations

import pytest

from sgld import likes
from sgld.services import enterprises, inspection, penalty, profile, warning
from tests.test_dashboard_service import E1, NAMES, actor, build

LEADER = actor("leader")


@pytest.fixture
def data(empty_db):
    build(empty_db)
    return empty_db


def test_helper_escapes_wildcards_and_the_escape_char():
    assert likes.contains("a%b_c\\") == "%a\\%b\\_c\\\\%"
    assert likes.prefix("9_") == "9\\_%"


@pytest.mark.parametrize("typed", ["%", "_", "南通%", "南通_", "%_%"])
def test_wildcards_find_nothing(data, typed):
    assert enterprises.search(LEADER, typed) == []
    assert profile.search(LEADER, typed) == []
    assert len(penalty.list_penalties(LEADER, text=typed)) == 0
    assert len(inspection.list_inspections(LEADER, text=typed)) == 0
    assert len(warning.list_entries(LEADER, status=None, text=typed)) == 0


def test_a_name_with_percent_is_found_literally(data):
    with data.transaction() as cur:
        cur.execute("UPDATE enterprise SET name = '南通100%_食品' WHERE id = ?", [E1])
    assert [r["name"] for r in enterprises.search(LEADER, "100%_")] == ["南通100%_食品"]
    assert enterprises.search(LEADER, "100%食") == []
    assert NAMES[E1] not in [r["name"] for r in enterprises.search(LEADER, "_")]
