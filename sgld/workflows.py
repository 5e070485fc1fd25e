"""The workflows as data: each one's states and transitions in one table.

A :class:`Workflow` lists its states (the value stored in the record's
status column, or — for the liaison assignment — derived from its
timestamps, see ``services.liaison.assignments.assignment_state``) and its
transitions: ``Transition(action, from_states, to_state, roles, label)``.  ``to_state``
None means the action is allowed there but leaves the state as it is (a
correction, a signature, an opinion).  One action may have several rows:
disjoint ``from_states`` (the row of the current state decides where it
goes) or the same ``from_states`` with alternative outcomes that the service
chooses (a conclusion reaches consensus or goes to the city government).

The services call :func:`check` before every state change instead of writing
the state rule by hand, and derive what the page offers from :func:`allowed`.
Department and data-scope rules are not here: they stay in the services
(``sgld.policy``, ``sgld.security.require_department``) — this module answers
only "may this action happen in this state, by someone with these roles".

``python -m sgld workflows`` writes ``docs/workflows.md`` (one state diagram
per workflow, :func:`markdown`); a test keeps it equal to these tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sgld.errors import StateError
from sgld.security import ROLES, Actor, require

T = TypeVar("T")


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[str, ...]
    to_state: str | None  # None: the state stays as it is
    roles: tuple[str, ...]
    label: str  # Chinese: "签收", "撤回" … (also the end of the refusal sentence)


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str  # Chinese, e.g. "推送—签收"
    noun: str  # what the refusal sentence calls the record: "该推送"
    states: dict[str, str]  # code (stored value) -> Chinese label
    initial: str  # the state a new record starts in
    transitions: tuple[Transition, ...]

    def rows(self, action: str) -> tuple[Transition, ...]:
        found = tuple(t for t in self.transitions if t.action == action)
        if not found:
            raise KeyError(f"workflow {self.name!r} has no action {action!r}")
        return found

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.action for t in self.transitions))


def _same(*codes: str) -> dict[str, str]:
    return {c: c for c in codes}


# -- the tables --------------------------------------------------------------
PUSH = Workflow(
    "push",
    "推送—签收",
    "该推送",
    _same("待签收", "已签收"),
    "待签收",
    (Transition("sign", ("待签收",), "已签收", ("supervisor",), "签收"),),
)

CLAIM = Workflow(
    "claim",
    "开放—领取",
    "该审批结果",
    _same("待领取", "已领取"),
    "待领取",
    (Transition("claim", ("待领取",), "已领取", ("supervisor",), "领取"),),
)

REVOCATION = Workflow(
    "revocation",
    "协同处理申请",
    "该申请",
    _same("已提交", "核实中", "已撤销", "不予撤销", "已撤回"),
    "已提交",
    (
        Transition("withdraw", ("已提交",), "已撤回", ("supervisor",), "撤回"),
        Transition("start_verification", ("已提交",), "核实中", ("approver",), "开始核实"),
        Transition("save_notes", ("核实中",), None, ("approver",), "记录核实情况"),
        Transition("revoke", ("已提交", "核实中"), "已撤销", ("approver",), "作出撤销（吊销）决定"),
        Transition("refuse", ("已提交", "核实中"), "不予撤销", ("approver",), "作出不予撤销决定"),
        Transition("sign_explanation", ("不予撤销",), None, ("supervisor",), "签收书面说明"),
    ),
)

# special review: who "manages" a review (approvers of the proposing
# division), the bureau's and the city's leader in charge and the
# participating departments are the service's rules on top of these roles
SPECIAL_REVIEW = Workflow(
    "special_review",
    "专项审查",
    "该专项审查",
    _same("待审察", "已退回", "已撤回", "已通知", "已召开", "已达成一致", "待市政府决定", "市政府已决定", "纪要已印发"),
    "待审察",
    (
        Transition("approve", ("待审察",), "已通知", ("leader",), "审察同意"),
        Transition("send_back", ("待审察",), "已退回", ("leader",), "退回"),
        Transition("resubmit", ("已退回",), "待审察", ("approver",), "重新提交"),
        Transition("withdraw", ("待审察", "已退回"), "已撤回", ("approver",), "撤回"),
        Transition("name_attendees", ("已通知",), None, ("supervisor",), "确认参会人员"),
        Transition("submit_opinion", ("已通知", "已召开"), None, ("supervisor",), "提交部门意见"),
        Transition("record_meeting", ("已通知", "已召开"), "已召开", ("approver",), "录入会议情况"),
        Transition("conclude", ("已召开",), "已达成一致", ("approver",), "形成审查结论"),
        Transition("conclude", ("已召开",), "待市政府决定", ("approver",), "形成审查结论"),
        Transition("record_decision", ("待市政府决定",), "市政府已决定", ("approver", "leader"), "录入市政府决定"),
        Transition("issue_minutes", ("已达成一致", "市政府已决定"), "纪要已印发", ("approver",), "印发纪要"),
        Transition("follow_up", ("纪要已印发",), None, ("approver", "supervisor"), "登记落实情况"),
    ),
)

LIAISON_LETTER = Workflow(
    "liaison_letter",
    "商请函—派员",
    "该商请函",
    _same("待派员", "已派员", "已撤回"),
    "待派员",
    (
        Transition("dispatch", ("待派员",), "已派员", ("supervisor",), "派员"),
        Transition("dispatch", ("已派员",), "已派员", ("supervisor",), "更换联络员"),
        Transition("withdraw", ("待派员",), "已撤回", ("approver",), "撤回"),
    ),
)

# a dispatched letter (已派员) is the liaison's assignment; its state is
# derived from when the record, the signature and the feedback were made
LIAISON_ASSIGNMENT = Workflow(
    "liaison_assignment",
    "联络员审查任务",
    "该审查任务",
    _same("待记录", "已记录", "已签字", "已反馈", "已签字并反馈"),
    "待记录",
    (
        Transition("record", ("待记录", "已记录"), "已记录", ("liaison",), "填写审查记录"),
        Transition("sign_report", ("已记录",), "已签字", ("liaison",), "在审查报告上签字"),
        Transition("sign_report", ("已反馈",), "已签字并反馈", ("liaison",), "在审查报告上签字"),
        Transition("feedback", ("已记录",), "已反馈", ("liaison",), "向本部门反馈"),
        Transition("feedback", ("已签字",), "已签字并反馈", ("liaison",), "向本部门反馈"),
    ),
)

RECTIFICATION = Workflow(
    "rectification",
    "整改跟踪",
    "该整改事项",
    _same("整改中", "已整改"),
    "整改中",
    (
        Transition("check", ("整改中",), "整改中", ("liaison",), "登记复查（未整改）"),
        Transition("check", ("整改中",), "已整改", ("liaison",), "登记复查（已整改）"),
    ),
)

WORKFLOWS: tuple[Workflow, ...] = (
    PUSH,
    CLAIM,
    REVOCATION,
    SPECIAL_REVIEW,
    LIAISON_LETTER,
    LIAISON_ASSIGNMENT,
    RECTIFICATION,
)


# -- checks ------------------------------------------------------------------
# called with (workflow name, action, state) after every successful check:
# the tests record which transitions the service tests exercise
_observers: list[Callable[[str, str, str], None]] = []


def observe(fn: Callable[[str, str, str], None]) -> Callable[[], None]:
    """Call ``fn`` after each passed :func:`check`; returns the undo."""
    _observers.append(fn)
    return lambda: _observers.remove(fn)


def can(workflow: Workflow, action: str, state: str, actor: Actor | None = None) -> bool:
    """May ``action`` happen in ``state`` (and, with ``actor``, by one of its roles)?"""
    return any(state in t.from_states and (actor is None or actor.has(*t.roles)) for t in workflow.rows(action))


def check(
    workflow: Workflow,
    action: str,
    state: str,
    actor: Actor | None = None,
    *,
    subject: str | None = None,
    refused: Mapping[str, str | Callable[[], str]] | None = None,
) -> Transition:
    """The transition ``action`` takes from ``state``; raises otherwise.

    With ``actor``, first :class:`PermissionDenied` unless they hold one of
    the action's roles (``security.require``'s sentence).  Then
    :class:`StateError`: ``refused[state]`` (a sentence, or a callable
    making it) when given, else "``subject``当前状态为“…”，不能…。"."""
    rows = workflow.rows(action)
    if actor is not None:
        roles = tuple(dict.fromkeys(r for t in rows for r in t.roles))
        require(actor, *roles, action=rows[0].label)
    for t in rows:
        if state in t.from_states:
            for fn in tuple(_observers):
                fn(workflow.name, action, state)
            return t
    msg = (refused or {}).get(state)
    if msg is None:
        label = workflow.states.get(state, state)
        raise StateError(f"{subject or workflow.noun}当前状态为“{label}”，不能{rows[0].label}。")
    raise StateError(msg() if callable(msg) else msg)


def check_some(
    workflow: Workflow,
    action: str,
    items: Iterable[T],
    state: Callable[[T], str],
    actor: Actor | None = None,
    *,
    subject: str | None = None,
    refused: Mapping[str, str | Callable[[], str]] | None = None,
) -> list[T]:
    """Of ``items`` (a batch: several pushes signed at once), those ``action``
    may move on; when none may, :func:`check`'s error for the first one."""
    items = list(items)
    ok = [i for i in items if can(workflow, action, state(i))]
    if not ok and items:
        check(workflow, action, state(items[0]), actor, subject=subject, refused=refused)
    for i in ok:
        check(workflow, action, state(i), actor)
    return ok


def allowed(workflow: Workflow, state: str, actor: Actor | None = None) -> set[str]:
    """The actions possible in ``state`` (for ``actor``'s roles, when given)."""
    return {t.action for t in workflow.transitions if state in t.from_states and (actor is None or actor.has(*t.roles))}


# -- diagrams ----------------------------------------------------------------
def _state_id(workflow: Workflow, code: str) -> str:
    return f"s{list(workflow.states).index(code)}"


def mermaid(workflow: Workflow) -> str:
    """A mermaid ``stateDiagram-v2`` of the table."""
    lines = ["stateDiagram-v2"]
    for code, label in workflow.states.items():
        lines.append(f'    state "{label}" as {_state_id(workflow, code)}')
    lines.append(f"    [*] --> {_state_id(workflow, workflow.initial)}")
    for t in workflow.transitions:
        roles = "、".join(ROLES[r] for r in t.roles)
        for s in t.from_states:
            to = t.to_state or s
            lines.append(f"    {_state_id(workflow, s)} --> {_state_id(workflow, to)}: {t.label}（{roles}）")
    ends = [
        c
        for c in workflow.states
        if not any(c in t.from_states and (t.to_state or c) != c for t in workflow.transitions)
    ]
    for c in ends:
        lines.append(f"    {_state_id(workflow, c)} --> [*]")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """``docs/workflows.md``: every workflow's table and diagram."""
    out = [
        "# 业务流程状态图 (workflow state diagrams)",
        "",
        "Generated from the tables in `sgld/workflows.py` by `python -m sgld workflows`;",
        "do not edit by hand (a test compares this file with the tables).",
        "Department and data-scope rules come on top of the roles shown (`sgld/policy.py`, the services).",
        "",
    ]
    for wf in WORKFLOWS:
        out += [
            f"## {wf.title} (`{wf.name}`)",
            "",
            "```mermaid",
            mermaid(wf).rstrip("\n"),
            "```",
            "",
            "| action | 操作 | from | to | roles |",
            "|---|---|---|---|---|",
        ]
        for t in wf.transitions:
            roles = "、".join(ROLES[r] for r in t.roles)
            out.append(
                f"| `{t.action}` | {t.label} | {'、'.join(t.from_states)} | {t.to_state or '（不变）'} | {roles} |"
            )
        out.append("")
    return "\n".join(out)
