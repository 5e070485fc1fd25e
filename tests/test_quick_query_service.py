"""快速查询: every kind of number finds its record, results are grouped, and a
supervisor never sees hits outside their department's scope (hand-built data
of tests/test_dashboard_service.py)."""

from __future__ import annotations

import pytest

from sgld.errors import PermissionDenied, ValidationError
from sgld.services import quick_query as qq
from tests.test_dashboard_service import E1, E2, E3, NAMES, SCJG, STHJ, USCC, actor, build


@pytest.fixture
def data(empty_db):
    build(empty_db)
    return empty_db


def found(who, text) -> dict[str, list[str]]:
    return {g.kind: [h.title for h in g.hits] for g in qq.search(who, text)}


LEADER = actor("leader")
SUP = actor("supervisor", SCJG, uid=7)  # 市场监管局: cases 1, 2, 6 (item SC-001); E1, E2


def test_each_kind_of_number(data):
    assert found(LEADER, "甲乙食品")["enterprise"] == [NAMES[E1]]
    assert found(LEADER, USCC[E2][:12])["enterprise"] == [NAMES[E2]]
    assert found(LEADER, "SPT0003")["case"] == ["SPT0003"]
    assert found(LEADER, "2026-320602-00-03-000005")["project"] == ["2026-320602-00-03-000005"]
    assert found(LEADER, "LIC-T-002")["licence"] == ["LIC-T-002"]
    assert found(LEADER, "通水罚〔2026〕2号")["penalty"] == ["通水罚〔2026〕2号"]
    assert found(LEADER, "专审〔2026〕2")["review"] == ["专审〔2026〕2号"]


def test_code_finds_the_enterprise_and_its_penalties(data):
    hits = found(LEADER, USCC[E3].lower())  # normalised: lower case is fine
    assert hits["enterprise"] == [NAMES[E3]] and hits["penalty"] == ["通水罚〔2026〕2号"]


def test_hits_link_to_records_and_the_profile(data):
    groups = {g.kind: g for g in qq.search(LEADER, "SPT0001")}
    hit = groups["case"].hits[0]
    assert hit.page == qq.PAGE_PUSH and hit.params == {"case": "1"}
    assert hit.profile == {"enterprise": E1}
    ent = qq.search(LEADER, NAMES[E2])[0]
    assert ent.kind == "enterprise" and ent.hits[0].page == qq.PAGE_PROFILE
    assert ent.hits[0].params == {"enterprise": str(E2)}


def test_supervisor_scope(data):
    # E3 is neither supervised (no SC-001 case) nor inspected by 市场监管局
    assert "enterprise" not in found(SUP, NAMES[E3])
    assert set(found(SUP, "南通")["enterprise"]) == {NAMES[E1], NAMES[E2]}
    # cases pushed or opened to the department (case 6 was never pushed)
    assert found(SUP, "SPT000") == {"case": ["SPT0002", "SPT0001"]}
    assert found(SUP, "2026-320602")["project"] == ["2026-320602-00-03-000001", "2026-320602-00-03-000002"]
    assert "licence" not in found(SUP, "LIC-T-002")  # case 5: 水利局's
    assert found(SUP, "LIC-T-00")["licence"] == ["LIC-T-001"]
    assert "penalty" not in found(SUP, "通水罚")  # E3's penalty
    assert found(SUP, "罚〔2026〕")["penalty"] == ["通市监罚〔2026〕1号", "通环罚〔2026〕3号"]
    assert "review" not in found(SUP, "专审〔2026〕1号")  # 生态环境局's review
    other = actor("supervisor", STHJ, uid=8)
    assert found(other, "SPT000")["case"] == ["SPT0003", "SPT0004"]
    assert "review" in found(other, "专审〔2026〕1号")


def test_leader_sees_everything(data):
    assert len(found(LEADER, "SPT000")["case"]) == 6
    assert set(found(LEADER, "南通")["enterprise"]) == set(NAMES.values())


def test_many_hits_are_capped(data):
    groups = qq.search(LEADER, "2026-320602")
    proj = next(g for g in groups if g.kind == "project")
    assert len(proj.hits) == 6 and not proj.more
    qq_limit = qq.LIMIT
    try:
        qq.LIMIT = 4
        proj = next(g for g in qq.search(LEADER, "2026-320602") if g.kind == "project")
        assert len(proj.hits) == 4 and proj.more
    finally:
        qq.LIMIT = qq_limit


def test_like_wildcards_are_literal(data):
    assert qq.search(LEADER, "%%") == []
    assert qq.search(LEADER, "S_T0") == []


def test_bad_input(data):
    with pytest.raises(ValidationError, match="至少输入 2 个字符"):
        qq.search(LEADER, "S")
    with pytest.raises(ValidationError):
        qq.search(LEADER, "   ")
    with pytest.raises(ValidationError):
        qq.search(LEADER, "x" * 101)
    with pytest.raises(PermissionDenied):
        qq.search(None, "SPT")


def test_nothing_found(data):
    assert qq.search(LEADER, "不存在的企业") == []
