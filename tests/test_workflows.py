"""The workflow tables (``sgld/workflows.py``): each renders, is consistent
and reachable, the checks refuse what the table does not allow, the
committed docs/workflows.md equals the generated text, and every transition
— each action from each of its from-states — is taken by a service test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from dataclasses import replace

import pytest

from sgld import workflows as wf
from sgld.errors import PermissionDenied, StateError
from sgld.security import ROLES, Actor
from tests.conftest import ROOT

# the service tests whose run must take every transition
SERVICE_TESTS = (
    "tests/test_push_service.py",
    "tests/test_revocation_service.py",
    "tests/test_special_review_service.py",
    "tests/test_liaison_service.py",
)

NAMES = [w.name for w in wf.WORKFLOWS]


def edges(w: wf.Workflow) -> set[tuple[str, str, str]]:
    return {(w.name, t.action, s) for t in w.transitions for s in t.from_states}


def missing(recorded: set[tuple[str, str, str]], workflows=wf.WORKFLOWS) -> list[str]:
    """The transitions of ``workflows`` absent from ``recorded``."""
    return sorted(f"{n}.{a} from {s}" for w in workflows for (n, a, s) in edges(w) if (n, a, s) not in recorded)


@pytest.mark.parametrize("w", wf.WORKFLOWS, ids=NAMES)
def test_table_is_consistent(w):
    assert w.initial in w.states
    assert all(w.states.values())
    for t in w.transitions:
        assert t.from_states, f"{t.action}: no from-state (creations are `initial`)"
        assert set(t.from_states) <= set(w.states), t
        assert t.to_state is None or t.to_state in w.states, t
        assert t.roles and set(t.roles) <= set(ROLES), t
        assert t.label
    # rows of one action: disjoint from-states, or the same ones with other outcomes
    for action in w.actions:
        rows = w.rows(action)
        for a in rows:
            for b in rows:
                common = set(a.from_states) & set(b.from_states)
                assert a is b or not common or a.from_states == b.from_states, (a, b)


@pytest.mark.parametrize("w", wf.WORKFLOWS, ids=NAMES)
def test_every_state_is_reachable(w):
    seen, todo = {w.initial}, deque([w.initial])
    while todo:
        s = todo.popleft()
        for t in w.transitions:
            if s in t.from_states and t.to_state and t.to_state not in seen:
                seen.add(t.to_state)
                todo.append(t.to_state)
    assert seen == set(w.states)


@pytest.mark.parametrize("w", wf.WORKFLOWS, ids=NAMES)
def test_mermaid_renders_every_state_and_transition(w):
    text = wf.mermaid(w)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for label in w.states.values():
        assert f'state "{label}" as ' in text
    arrows = [x for x in lines if "-->" in x and "[*]" not in x]
    assert len(arrows) == len({(t.action, t.to_state, s) for t in w.transitions for s in t.from_states})
    for t in w.transitions:
        assert f": {t.label}（" in text
    assert f"[*] --> s{list(w.states).index(w.initial)}" in text


def person(*roles: str) -> Actor:
    return Actor(1, "u", "某人", 2, "市场监管局", "supervision", frozenset(roles))


def test_check_allowed_and_refused():
    sup, ap = person("supervisor"), person("approver")
    assert wf.check(wf.REVOCATION, "withdraw", "已提交", sup).to_state == "已撤回"
    with pytest.raises(StateError, match="^该申请当前状态为“已撤销”，不能撤回。$"):
        wf.check(wf.REVOCATION, "withdraw", "已撤销", sup)
    with pytest.raises(StateError, match="^另说$"):
        wf.check(wf.REVOCATION, "withdraw", "核实中", sup, refused={"核实中": lambda: "另说"})
    with pytest.raises(StateError, match="^专项审查“X”当前状态为“已召开”，不能撤回。$"):
        wf.check(wf.SPECIAL_REVIEW, "withdraw", "已召开", subject="专项审查“X”")
    with pytest.raises(PermissionDenied, match="需要监管部门"):
        wf.check(wf.REVOCATION, "withdraw", "已提交", ap)
    # the row of the current state decides where the action goes
    assert wf.check(wf.LIAISON_ASSIGNMENT, "sign_report", "已反馈").to_state == "已签字并反馈"
    assert wf.allowed(wf.REVOCATION, "已提交", ap) == {"start_verification", "revoke", "refuse"}
    assert wf.allowed(wf.REVOCATION, "已提交", sup) == {"withdraw"}
    assert wf.allowed(wf.REVOCATION, "已撤销") == set()
    assert wf.can(wf.PUSH, "sign", "待签收", sup) and not wf.can(wf.PUSH, "sign", "已签收")
    with pytest.raises(KeyError):
        wf.check(wf.PUSH, "unsign", "已签收")
    rows = [("a", "已签收"), ("b", "待签收")]
    assert wf.check_some(wf.PUSH, "sign", rows, lambda r: r[1]) == [("b", "待签收")]
    with pytest.raises(StateError, match="已签收"):
        wf.check_some(wf.PUSH, "sign", rows[:1], lambda r: r[1])


def test_observers_see_passed_checks_only():
    seen: list[tuple[str, str, str]] = []
    undo = wf.observe(lambda *x: seen.append(x))
    try:
        wf.check(wf.CLAIM, "claim", "待领取")
        with pytest.raises(StateError):
            wf.check(wf.CLAIM, "claim", "已领取")
    finally:
        undo()
    wf.check(wf.CLAIM, "claim", "待领取")
    assert seen == [("claim", "claim", "待领取")]


def test_coverage_check_can_fail():
    """A transition no service test takes is reported."""
    extra = replace(
        wf.PUSH,
        transitions=wf.PUSH.transitions + (wf.Transition("unsign", ("已签收",), "待签收", ("admin",), "撤销签收"),),
    )
    recorded = edges(wf.PUSH)
    assert missing(recorded, (wf.PUSH,)) == []
    assert missing(recorded, (extra,)) == ["push.unsign from 已签收"]


@pytest.mark.docs
def test_docs_equal_the_tables():
    doc = ROOT / "docs" / "workflows.md"
    assert doc.read_text(encoding="utf-8") == wf.markdown(), "docs/workflows.md is stale: run python -m sgld workflows"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/workflows.md" in readme


def test_command_writes_and_checks(tmp_path):
    from sgld.cli import main

    out = tmp_path / "workflows.md"
    assert main(["workflows", "--out", str(out), "--check"]) == 1
    assert main(["workflows", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == wf.markdown()
    assert main(["workflows", "--out", str(out), "--check"]) == 0


@pytest.mark.slow
def test_every_transition_is_taken_by_a_service_test(tmp_path):
    """Runs the service test modules with tests/workflow_recorder.py, which
    records each passed ``workflows.check``; every (action, from-state) of
    every table must be among them."""
    record = tmp_path / "record.json"
    env = dict(os.environ, SGLD_WORKFLOW_RECORD=str(record))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.workflow_recorder",
            "--basetemp",
            str(tmp_path / "inner"),
            *SERVICE_TESTS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    recorded = {tuple(x) for x in json.loads(record.read_text(encoding="utf-8"))}
    assert missing(recorded) == [], "transitions no service test takes"
    # and nothing is recorded that the tables do not declare
    declared = set().union(*(edges(w) for w in wf.WORKFLOWS))
    assert recorded <= declared
