"""联络员 page, supervision department side: letters received and dispatch,
the department's roster (qualification shown with reasons)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from sgld import clock
from sgld.security import Actor
from sgld.services import liaison as svc
from ui import liaison_tables as tables
from ui.liaison_common import done, form_key, letter_detail, letter_label, pick, renew
from ui.widgets import action, data_table, md_text, show_table

LETTER_FILTERS = ["待派员", "已派员", "逾期未派员", "已撤回", "全部"]


def letters_tab(actor: Actor) -> None:
    """商请函与派员 (a supervisor's own department)."""
    with action():
        rows = svc.list_letters(actor, department_id=actor.department_id)
    if rows is None:
        return
    today = clock.today()
    waiting = [r for r in rows if r["state"] == "待派员"]
    urgent = [r for r in waiting if (r["review_date"] - today).days <= 1]
    c1, c2, c3 = st.columns(3)
    c1.metric("待派员商请函", len(waiting))
    c2.metric("明天（或今天）审查、尚未派员", len(urgent))
    c3.metric("累计收到商请函", len([r for r in rows if r["state"] != "已撤回"]))
    if urgent:
        st.warning("有商请函的审查就在明天（或今天），请尽快确认派出的联络员。", icon=":material/alarm:")
    choice = st.segmented_control("状态", LETTER_FILTERS, default="待派员", key="lz_dept_filter")
    shown = (
        rows
        if choice in (None, "全部")
        else [r for r in rows if (r["state"] == choice if choice != "已派员" else r["status"] == "已派员")]
    )
    if choice == "待派员":  # the most urgent first
        shown = sorted(shown, key=lambda r: (r["review_date"], r["id"]))
    frame, _ = data_table(tables.letters_table(shown), key="lz_dept_letters", file_name="商请函")
    st.divider()
    d = pick("选择商请函", shown, letter_label, key="lz_dept_pick", frame=frame, pool=rows)
    if d is None:
        return
    detail = None
    with action():
        detail = svc.get_letter(actor, d["id"])
    if detail is None:
        return
    can_dispatch = detail["status"] != "已撤回" and detail["recorded_at"] is None and detail["review_date"] >= today
    if can_dispatch:
        dispatch_form(actor, detail)
    with st.expander("商请函详情", expanded=not can_dispatch):
        letter_detail(actor, detail, "lz_dept")


def dispatch_form(actor: Actor, d: dict) -> None:
    st.markdown(f"#### 派出联络员：{md_text(d['title'])}（{d['review_date']:%Y-%m-%d}）")
    cands = []
    with action():
        cands = svc.dispatch_candidates(actor, d["id"])
    ok = [c for c in cands if c["dispatchable"]]
    st.caption(f"按审查日 {d['review_date']:%Y-%m-%d} 核验资格：本部门名册 {len(cands)} 人，可派出 {len(ok)} 人。")
    with st.expander("名册资格核验（审查日）", expanded=not ok):
        show_table(
            tables.roster_table(cands)[
                ["姓名", "人员类别", "到本部门日期", "满2年日期", "资格", "可派员", "不符合原因"]
            ],
            hide_index=True,
            width="stretch",
        )
    if not ok:
        st.error("本部门名册中没有在审查日符合条件并开通账号的联络员，请先维护联络员名册。")
        return
    base = f"lz_dispatch_{d['id']}"
    gen = st.session_state.get(f"{base}_gen", 0)
    sfx = f"_{gen}" if gen else ""  # fresh widgets after each dispatch (explicit choice again)
    with st.form(f"{base}{sfx}"):
        current = d["liaison_id"]
        ids = [c["id"] for c in ok]
        names = {c["id"]: f"{c['name']}（{c['position'] or c['employment_type']}，{c['username']}）" for c in ok}
        # an explicit choice: nobody is preselected (not even the current one)
        lid = st.selectbox(
            "联络员",
            ids,
            format_func=names.get,
            key=f"lz_dispatch_who_{d['id']}{sfx}",
            index=None,
            placeholder="请选择",
        )
        note = st.text_input("派员说明（可选）", key=f"lz_dispatch_note_{d['id']}{sfx}")
        label = "更换联络员并告知审批局" if current else "确认派员并告知审批局"
        if st.form_submit_button(label, type="primary", icon=":material/how_to_reg:"):
            with action():
                svc.dispatch(actor, d["id"], lid, note or None)
                renew(base)
                done("已派员并告知审批局。")


def roster_tab(actor: Actor) -> None:
    """联络员名册: a supervisor keeps their own department's; others read all."""
    c1, c2 = st.columns([1, 3])
    on = c1.date_input(
        "资格核验日期",
        value=clock.today(),
        key="lz_roster_on",
        help="资格按该日期核验：从事本部门工作满 2 年（含当日）",
        format="YYYY-MM-DD",
    )
    rows = []
    with action():
        rows = svc.list_roster(actor, on=on)
    ok = sum(1 for r in rows if r["qualified"] and r["active"])
    c2.caption(
        f"共 {len(rows)} 人，{on:%Y-%m-%d} 符合资格 {ok} 人。资格条件（附件3 二）："
        "本部门在职公务员、在职参照公务员法管理人员或事业单位人员；熟悉本部门监管工作要求，"
        "具有一定的组织协调能力（由部门确认）；从事本部门工作 2 年以上。"
    )
    own_only = not (actor.sees_everything or actor.has("approver"))
    data_table(
        tables.roster_table(rows),
        key="lz_roster",
        file_name="联络员名册",
        hide=["编号", "部门"] if own_only else ["编号"],
        column_config={"不符合原因": st.column_config.TextColumn(width="large")},
    )
    if not actor.has("supervisor"):
        return
    st.divider()
    mode = st.segmented_control("维护名册", ["新增联络员", "修改联络员"], default="新增联络员", key="lz_roster_mode")
    entry = None
    if mode == "修改联络员":
        if not rows:
            st.info("名册为空。")
            return
        entry = pick("选择联络员", rows, lambda r: f"{r['name']}（{r['position'] or ''}）", key="lz_roster_pick")
    roster_form(actor, entry)


def roster_form(actor: Actor, e: dict | None) -> None:
    accounts = []
    with action():
        accounts = svc.liaison_accounts(actor)
    # a new entry's form gets fresh keys after each save: every widget
    # (checkboxes included) starts empty instead of keeping the saved person
    key = f"lz_rf_{e['id']}" if e else form_key("lz_rf_new")
    # 0 = no account (a None option would show Streamlit's English placeholder)
    acc_ids = [0] + [a["id"] for a in accounts if a["liaison_id"] in (None, e and e["id"])]
    acc_label = {0: "（不关联系统账号）"} | {a["id"]: f"{a['display_name']}（{a['username']}）" for a in accounts}
    with st.form(key):
        c1, c2 = st.columns(2)
        name = c1.text_input("姓名", value=e["name"] if e else "", key=f"{key}_name")
        user_id = c2.selectbox(
            "系统账号（具有联络员角色的本部门账号）",
            acc_ids,
            index=acc_ids.index(e["user_id"]) if e and e["user_id"] in acc_ids else 0,
            format_func=acc_label.get,
            key=f"{key}_user",
            placeholder="请选择",
        )
        position = c1.text_input("职务", value=(e["position"] or "") if e else "", key=f"{key}_pos")
        et = c2.selectbox(
            "人员类别",
            svc.EMPLOYMENT_TYPES,
            index=svc.EMPLOYMENT_TYPES.index(e["employment_type"]) if e else 0,
            key=f"{key}_et",
            placeholder="请选择",
        )
        joined = c1.date_input(
            "到本部门日期",
            value=e["joined_on"] if e else None,
            min_value=date(1970, 1, 1),
            key=f"{key}_joined",
            format="YYYY-MM-DD",
        )
        contact = c2.text_input("联系方式", value=(e["contact"] or "") if e else "", key=f"{key}_contact")
        fam = st.checkbox(
            "本部门确认：熟悉本部门监管工作要求，具有一定的组织协调能力",
            value=bool(e["familiar_confirmed"]) if e else False,
            key=f"{key}_fam",
        )
        active = st.checkbox(
            "在用（取消勾选即从名册停用）", value=bool(e["active"]) if e else True, key=f"{key}_active"
        )
        if st.form_submit_button("保存", type="primary", icon=":material/save:"):
            with action():
                svc.save_liaison(
                    actor,
                    liaison_id=e["id"] if e else None,
                    name=name,
                    employment_type=et,
                    joined_on=joined,
                    familiar_confirmed=fam,
                    position=position,
                    contact=contact,
                    user_id=user_id or None,
                    active=active,
                )
                if e is None:
                    renew("lz_rf_new")
                done(f"联络员“{name}”已保存。")
