"""联络员 page: the tables shown (and exported) — the services' rows with
Chinese column labels.  Plain pandas, no Streamlit: the lists of
``sgld.services.liaison`` become these tables only here."""

from __future__ import annotations

import pandas as pd

# the columns of a letter row that letters_table reads (rows of
# services.liaison.list_letters, or the frame of letters_overview)
_LETTER_SOURCE = [
    "id",
    "letter_no",
    "title",
    "kind",
    "applicant",
    "review_date",
    "place",
    "department",
    "sent_at",
    "state",
    "liaison_name",
    "dispatched_at",
    "on_time",
    "recommendation",
]


def letters_table(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """The table of letters (rows of ``list_letters`` or the frame of
    ``letters_overview``) with Chinese column labels."""
    src = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=_LETTER_SOURCE)
    out = pd.DataFrame(
        {
            "编号": src["id"],
            "函号": src["letter_no"],
            "审查事项": src["title"],
            "审查类型": src["kind"],
            "申请人": src["applicant"].fillna(""),
            "审查日期": src["review_date"],
            "审查地点": src["place"],
            "监管部门": src["department"],
            "发函时间": src["sent_at"],
            "状态": src["state"],
            "联络员": src["liaison_name"].fillna(""),
            "派员时间": src["dispatched_at"],
            "按时派员": src["on_time"].map({True: "是", False: "否"}).where(src["dispatched_at"].notna(), ""),
            "建议": src["recommendation"].fillna(""),
        }
    )
    return out.reset_index(drop=True)


def roster_table(rows: list[dict]) -> pd.DataFrame:
    """The roster (rows of ``list_roster``, id kept as 编号)."""
    cols = [
        "编号",
        "姓名",
        "资格",
        "不符合原因",
        "可派员",
        "人员类别",
        "到本部门日期",
        "满2年日期",
        "部门确认熟悉监管工作",
        "职务",
        "系统账号",
        "联系方式",
        "状态",
        "部门",
    ]
    return pd.DataFrame(
        [
            {
                "编号": r["id"],
                "姓名": r["name"],
                "资格": "符合" if r["qualified"] else "不符合",
                "不符合原因": "；".join(r["problems"]),
                "可派员": "是" if r["dispatchable"] else "否",
                "人员类别": r["employment_type"],
                "到本部门日期": r["joined_on"],
                "满2年日期": r["years_from"],
                "部门确认熟悉监管工作": "已确认" if r["familiar_confirmed"] else "未确认",
                "职务": r["position"] or "",
                "系统账号": r["username"] or "",
                "联系方式": r["contact"] or "",
                "状态": "在用" if r["active"] else "停用",
                "部门": r["department"],
            }
            for r in rows
        ],
        columns=cols,
    )


def assignments_table(rows: list[dict]) -> pd.DataFrame:
    """The liaison's assignments (rows of ``my_assignments``)."""
    return pd.DataFrame(
        [
            {
                "编号": r["id"],
                "审查日期": r["review_date"],
                "审查事项": r["title"],
                "审查类型": r["kind"],
                "申请人": r["applicant"] or "",
                "审查地点": r["place"],
                "函号": r["letter_no"],
                "状态": r["state"],
                "待办": r["todo"],
                "建议": r["recommendation"] or "",
            }
            for r in rows
        ],
        columns=["编号", "审查日期", "审查事项", "审查类型", "申请人", "审查地点", "函号", "状态", "待办", "建议"],
    )


def rects_table(rows: list[dict]) -> pd.DataFrame:
    """Rectification items (rows of ``list_rectifications``)."""
    return pd.DataFrame(
        [
            {
                "编号": r["id"],
                "状态": r["state"],
                "整改期限": r["deadline"],
                "问题": r["problem"],
                "整改要求": r["requirement"] or "",
                "涉及硬件设施": "是" if r["hardware"] else "否",
                "申请人": r["applicant"] or "",
                "审查事项": r["title"],
                "部门": r["department"],
                "联络员": r["liaison_name"],
                "复查次数": r["checks"],
                "最近复查": r["last_check"],
                "关闭时间": r["closed_at"],
            }
            for r in rows
        ],
        columns=[
            "编号",
            "状态",
            "整改期限",
            "问题",
            "整改要求",
            "涉及硬件设施",
            "申请人",
            "审查事项",
            "部门",
            "联络员",
            "复查次数",
            "最近复查",
            "关闭时间",
        ],
    )


def feedback_table(rows: list[dict]) -> pd.DataFrame:
    """Feedback received from the liaisons (rows of ``department_feedback``)."""
    return pd.DataFrame(
        [
            {
                "编号": r["id"],
                "反馈时间": r["feedback_at"],
                "部门": r["department"],
                "联络员": r["liaison_name"],
                "审查日期": r["review_date"],
                "审查事项": r["title"],
                "申请人": r["applicant"] or "",
                "建议": r["recommendation"] or "",
                "报告签字": "已签字" if r["signed_at"] else "未签字",
                "反馈内容": r["feedback_text"],
            }
            for r in rows
        ],
        columns=[
            "编号",
            "反馈时间",
            "部门",
            "联络员",
            "审查日期",
            "审查事项",
            "申请人",
            "建议",
            "报告签字",
            "反馈内容",
        ],
    )


# the columns of services.liaison.statistics (STAT_COLUMNS) as the page shows them
STAT_HEADERS = {
    "department": "部门",
    "roster": "名册人数",
    "qualified": "符合资格",
    "letters": "收到商请函",
    "on_time": "按时派员",
    "on_time_rate": "按时派员率",
    "overdue": "逾期未派员",
    "attended": "参加审查",
    "signed": "报告签字",
    "feedback": "已反馈",
    "rects": "整改事项",
    "rects_open": "整改中",
    "rects_overdue": "已逾期",
    "rects_closed": "已整改",
}


def statistics_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The statistics per department (``statistics``): the rate as a
    percentage, — while no answer is due."""
    out = frame.copy()
    out["on_time_rate"] = out["on_time_rate"].map(lambda x: "—" if pd.isna(x) else f"{x:.0%}")
    return out.rename(columns=STAT_HEADERS)


REVIEW_HEADERS = {
    "id": "编号",
    "title": "审查事项",
    "kind": "审查类型",
    "applicant": "申请人",
    "review_date": "审查日期",
    "place": "审查地点",
    "letters": "商请函",
    "dispatched": "已派员",
    "signed": "已签字",
    "has_report": "审查报告",
}


def reviews_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The reviews with their letters' progress (``list_reviews``)."""
    out = frame.copy()
    out["has_report"] = out["has_report"].map({True: "已起草", False: "未起草"})
    return out.rename(columns=REVIEW_HEADERS)
