"""快速查询 at scale: a complete number is looked up exactly (index point
lookup) and answers the query on its own, within the data scope; partial
numbers match from their beginning, 决定书文号 and names anywhere (hand-built
data of tests/test_dashboard_service.py)."""

from __future__ import annotations

from tests.test_dashboard_service import E1, E3, NAMES, USCC
from tests.test_quick_query_service import LEADER, SUP, data, found  # noqa: F401 - data is a fixture


def test_complete_numbers_answer_alone(data):
    assert found(LEADER, "SPT0001") == {"case": ["SPT0001"]}
    assert found(LEADER, "LIC-T-002") == {"licence": ["LIC-T-002"]}
    assert found(LEADER, "2026-320602-00-03-000005") == {"project": ["2026-320602-00-03-000005"]}


def test_complete_number_outside_the_scope_finds_nothing(data):
    # case 5 is 水利局's, licence LIC-T-002 hangs off it: 市场监管局 sees neither,
    # and the exact miss is not widened into a partial search
    assert found(SUP, "SPT0005") == {}
    assert found(SUP, "LIC-T-002") == {}
    assert found(SUP, "SPT0001") == {"case": ["SPT0001"]}


def test_code_exact_gives_enterprise_and_penalties_in_scope(data):
    assert found(LEADER, USCC[E3])["enterprise"] == [NAMES[E3]]
    assert "enterprise" not in found(SUP, USCC[E3])
    assert found(SUP, USCC[E1])["enterprise"] == [NAMES[E1]]


def test_numbers_match_from_their_beginning(data):
    assert "case" not in found(LEADER, "PT0001")  # not the start of SPT0001
    assert "licence" not in found(LEADER, "T-001")
    assert "project" not in found(LEADER, "320602-00-03")
    # 决定书文号 and names are matched anywhere
    assert "penalty" in found(LEADER, "罚〔2026〕")
    assert found(LEADER, "甲乙")["enterprise"] == [NAMES[E1]]
