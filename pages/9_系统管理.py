"""System administration: departments, users, item catalogue, settings, audit log."""

import pandas as pd
import streamlit as st

from sgld import settings as app_settings
from sgld.errors import SgldError, ValidationError
from sgld.security import DEPT_KINDS, ROLES
from sgld.services import org
from ui import admin_forms as forms
from ui.auth import page_guard
from ui.widgets import (
    action,
    admin_tabs,
    data_table,
    download_xlsx,
    lazy_tabs,
    md_text,
    page_header,
    show_table,
    upload,
)

actor = page_guard("admin")
page_header("系统管理", "部门、用户、事项目录、系统设置与操作日志")

departments = org.list_departments(actor, include_inactive=True)
dept_name = {d["id"]: d["name"] for d in departments}
active_depts = [d["id"] for d in departments if d["active"]]

NEW_USER_FIELDS = ("nu_username", "nu_display", "nu_dept", "nu_roles", "nu_phone")
# ValidationError.field of org.create_user / update_user -> the input it is about
USER_FIELD = {"username": "username", "姓名": "display", "department_id": "dept", "roles": "roles", "联系电话": "phone"}


def users_tab() -> None:
    users = org.list_users(actor)
    frame = pd.DataFrame(
        [
            {
                "编号": u["id"],
                "用户名": u["username"],
                "姓名": u["display_name"],
                "部门": u["department"],
                "角色": "、".join(ROLES[r] for r in u["roles"]),
                "状态": "锁定" if u["locked"] else ("在用" if u["active"] else "停用"),
                "连续失败": u["failed_attempts"],
                "联系电话": u["phone"] or "",
            }
            for u in users
        ]
    )
    data_table(frame, key="users", file_name="用户")
    by_id = {u["id"]: u for u in users}
    left, right = st.columns(2)
    with left:
        st.subheader("新建用户")
        forms.show_done("new_user")
        # not clear_on_submit: a refused form keeps what was typed
        with st.form("new_user"):
            place = {}
            username = st.text_input("用户名", key="nu_username", help="小写字母开头，2–32 位")
            place["username"] = st.empty()
            display = st.text_input("姓名", key="nu_display")
            place["display"] = st.empty()
            dept = st.selectbox(
                "所属部门", active_depts, format_func=dept_name.get, key="nu_dept", placeholder="请选择"
            )
            place["dept"] = st.empty()
            roles = st.multiselect(
                "角色",
                list(ROLES),
                format_func=ROLES.get,
                key="nu_roles",
                placeholder="请选择（可多选）",
                select_all=False,
            )
            place["roles"] = st.empty()
            phone = st.text_input("联系电话", key="nu_phone")
            place["phone"] = st.empty()
            if st.form_submit_button("创建", type="primary"):
                with action():
                    try:
                        uid, pw = org.create_user(actor, username, display, dept, roles, phone=phone)
                    except SgldError as exc:
                        forms.mark_field(place, exc, USER_FIELD)
                        raise
                    forms.done(
                        "new_user",
                        f"已创建用户 {username.strip().lower()}。初始密码（只显示这一次，"
                        f"用户首次登录后须修改）：`{pw}`",
                    )
                    forms.clear_fields(*NEW_USER_FIELDS)
                    st.rerun()
    with right:
        st.subheader("修改用户")
        forms.show_done("edit_user")
        uid = st.selectbox(
            "选择用户",
            list(by_id),
            index=None,
            placeholder="选择要修改的用户",
            format_func=lambda i: f"{by_id[i]['display_name']}（{by_id[i]['username']}）",
            on_change=forms.cancel_confirm,
        )
        if uid is not None:
            u = by_id[uid]
            own = uid == actor.user_id
            with st.form(f"edit_user_{uid}"):
                place = {}
                display = st.text_input("姓名", u["display_name"])
                place["display"] = st.empty()
                dept = st.selectbox(
                    "所属部门",
                    active_depts,
                    format_func=dept_name.get,
                    index=active_depts.index(u["department_id"]) if u["department_id"] in active_depts else 0,
                    placeholder="请选择",
                )
                place["dept"] = st.empty()
                roles = st.multiselect(
                    "角色",
                    list(ROLES),
                    default=u["roles"],
                    format_func=ROLES.get,
                    placeholder="请选择（可多选）",
                    select_all=False,
                )
                place["roles"] = st.empty()
                phone = st.text_input("联系电话", u["phone"] or "")
                place["phone"] = st.empty()
                sure = st.checkbox("确认收回被移除的角色", help="从“角色”中移除已有角色时须勾选")
                if st.form_submit_button("保存修改", type="primary"):
                    removed = [ROLES[r] for r in u["roles"] if r not in roles]
                    with action():
                        if removed and not sure:
                            raise ValidationError(
                                f"将收回角色：{'、'.join(removed)}。请勾选“确认收回被移除的角色”后再保存。",
                                field="roles",
                            )
                        try:
                            org.update_user(
                                actor, uid, display_name=display, department_id=dept, roles=roles, phone=phone
                            )
                        except SgldError as exc:
                            forms.mark_field(place, exc, USER_FIELD)
                            raise
                        forms.done("edit_user", f"已保存 {u['username']} 的修改。")
                        st.rerun()
            c1, c2, c3 = st.columns(3)
            if u["active"]:
                if forms.confirmed(
                    f"deact_{uid}",
                    "停用",
                    f"停用后 {md_text(u['display_name'])}（{u['username']}）立即退出并不能再登录。确定停用该账号？",
                    "确认停用该账号",
                    where=c1,
                    disabled=own,
                    help="不能停用自己的账号" if own else None,
                ):
                    with action("已停用"):
                        org.set_user_active(actor, uid, False)
                        st.rerun()
            elif c1.button("启用", key=f"act_{uid}"):
                with action("已启用"):
                    org.set_user_active(actor, uid, True)
                    st.rerun()
            with c2:
                if forms.confirmed(
                    f"reset_{uid}",
                    "重置密码",
                    f"重置后 {md_text(u['display_name'])}（{u['username']}）"
                    "的原密码失效、立即退出，须用新密码登录并修改密码。确定重置？",
                    "确认重置密码",
                ):
                    with action():
                        pw = org.reset_password(actor, uid)
                        forms.done("edit_user", f"{u['username']} 的新密码（只显示这一次，用户登录后须修改）：`{pw}`")
                        st.rerun()
            if c3.button("解锁", key=f"unlock_{uid}", disabled=not u["locked"]):
                with action("已解锁"):
                    org.unlock_user(actor, uid)
                    st.rerun()
            if own:
                st.caption("这是您自己的账号：不能停用，也不能取消自己的系统管理员角色（请由其他系统管理员操作）。")


def departments_tab() -> None:
    frame = pd.DataFrame(
        [
            {
                "编号": d["id"],
                "部门名称": d["name"],
                "类型": d["kind_label"],
                "上级部门": d["parent_name"] or "",
                "状态": "在用" if d["active"] else "停用",
            }
            for d in departments
        ]
    )
    data_table(frame, key="depts", file_name="部门")
    dept_by_id = {d["id"]: d for d in departments}
    forms.show_done("dept")
    edit_id = st.selectbox(
        "修改部门",
        list(dept_by_id),
        format_func=lambda i: dept_by_id[i]["name"],
        index=None,
        placeholder="选择要修改的部门",
    )
    if edit_id is not None:
        d = dept_by_id[edit_id]
        with st.form(f"edit_dept_{edit_id}"):
            c1, c2, c3, c4 = st.columns([3, 2, 3, 1])
            name = c1.text_input("部门名称", d["name"])
            kinds = list(DEPT_KINDS)
            kind = c2.selectbox(
                "类型", kinds, index=kinds.index(d["kind"]), format_func=DEPT_KINDS.get, placeholder="请选择"
            )
            parents = [None] + [i for i in active_depts if i != edit_id]
            parent = c3.selectbox(
                "上级部门",
                parents,
                index=parents.index(d["parent_id"]) if d["parent_id"] in parents else 0,
                format_func=lambda i: "（无）" if i is None else dept_name[i],
                placeholder="请选择",
            )
            active = c4.checkbox("在用", d["active"])
            sure = st.checkbox("确认停用该部门", help="取消“在用”时须勾选") if d["active"] else True
            if st.form_submit_button("保存修改", type="primary"):
                with action():
                    if d["active"] and not active and not sure:
                        raise ValidationError("停用部门须勾选“确认停用该部门”后再保存。")
                    org.update_department(actor, edit_id, name=name, kind=kind, parent_id=parent, active=active)
                    forms.done("dept", f"部门“{md_text(name.strip())}”已保存。")
                    st.rerun()
    with st.form("new_dept"):
        st.subheader("新建部门")
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("部门名称", key="nd_name")
        kind = c2.selectbox("类型", list(DEPT_KINDS), format_func=DEPT_KINDS.get, key="nd_kind", placeholder="请选择")
        parent = c3.selectbox(
            "上级部门（审批局处室填写）",
            [None] + active_depts,
            key="nd_parent",
            format_func=lambda i: "（无）" if i is None else dept_name[i],
            placeholder="请选择",
        )
        if st.form_submit_button("创建", type="primary"):
            with action():
                org.create_department(actor, name, kind, parent)
                forms.done("dept", f"已创建部门：{md_text(name.strip())}")
                forms.clear_fields("nd_name", "nd_kind", "nd_parent")
                st.rerun()


def items_tab() -> None:
    items = org.list_items(actor, include_inactive=True)
    frame = pd.DataFrame(
        [
            {
                "编号": i["id"],
                "事项编码": i["code"],
                "事项名称": i["name"],
                "分类": i["category"],
                "集中审批": "是" if i["centralised"] else "否",
                "签收时限（工作日）": i["sign_limit_days"],
                "关联部门": "、".join(i["departments"]),
                "状态": "在用" if i["active"] else "停用",
            }
            for i in items
        ]
    )
    data_table(frame, key="items", file_name="事项目录")
    linkable = [d["id"] for d in departments if d["active"] and d["kind"] in ("supervision", "licensing")]
    item_by_id = {i["id"]: i for i in items}
    forms.show_done("item")
    choice = st.selectbox(
        "新建或修改事项",
        [None] + list(item_by_id),
        format_func=lambda i: "＋ 新建事项" if i is None else f"{item_by_id[i]['code']} {item_by_id[i]['name']}",
        placeholder="请选择",
    )
    cur_item = item_by_id.get(choice, {})
    # a new item's form gets a fresh key after each save: the next one starts empty
    gen = st.session_state.get("item_form_gen", 0) if choice is None else 0
    with st.form(f"item_{choice}_{gen}"):
        c1, c2, c3 = st.columns(3)
        code = c1.text_input("事项编码", cur_item.get("code", ""))
        name = c2.text_input("事项名称", cur_item.get("name", ""))
        category = c3.text_input("事项分类", cur_item.get("category", ""))
        c4, c5, c6 = st.columns(3)
        centralised = c4.checkbox("集中至审批局（推送；否则由部门领取）", cur_item.get("centralised", True))
        limit = c5.number_input("签收时限（工作日）", 1, 60, int(cur_item.get("sign_limit_days", 3)))
        active = c6.checkbox("在用", cur_item.get("active", True))
        depts = st.multiselect(
            "监管（或领取）部门",
            linkable,
            default=[d for d in cur_item.get("department_ids", []) if d in linkable],
            format_func=dept_name.get,
            placeholder="请选择（可多选）",
            select_all=False,
        )
        was_active = bool(cur_item.get("active"))
        sure = st.checkbox("确认停用该事项", help="取消“在用”时须勾选") if was_active else True
        if st.form_submit_button("保存", type="primary"):
            with action():
                if was_active and not active and not sure:
                    raise ValidationError("停用事项须勾选“确认停用该事项”后再保存。")
                org.save_item(
                    actor,
                    code=code,
                    name=name,
                    category=category,
                    centralised=centralised,
                    sign_limit_days=limit,
                    department_ids=depts,
                    item_id=choice,
                    active=active,
                )
                forms.done("item", f"事项“{md_text(code.strip())}”已保存。")
                if choice is None:
                    st.session_state["item_form_gen"] = gen + 1
                st.rerun()
    with st.expander("从 Excel 导入事项目录"):
        template = pd.DataFrame(
            [
                {
                    "事项编码": "SC-101",
                    "事项名称": "示例事项",
                    "事项分类": "市场准入",
                    "是否集中审批": "是",
                    "签收时限": 3,
                    "关联部门": "市场监管局、应急管理局",
                }
            ]
        )
        download_xlsx("下载导入模板", template, "事项目录导入模板", key="item_tpl")
        item_file = upload("选择 .xlsx 文件", ["xlsx"], key="item_upload", multiple=False, for_import=True)
        if item_file is not None:
            with action():
                sheet = pd.read_excel(item_file, dtype=str).fillna("")
                preview = org.import_items(actor, sheet, commit=False)
                st.write(f"可导入 {preview['ok']} 行，有问题 {len(preview['errors'])} 行。")
                if preview["errors"]:
                    show_table(pd.DataFrame(preview["errors"]), hide_index=True)
                if preview["ok"] and st.button("确认导入", type="primary"):
                    result = org.import_items(actor, sheet, commit=True)
                    st.success(f"已导入 {result['ok']} 个事项。")


def settings_tab() -> None:
    cfg = app_settings.get()
    st.subheader("业务参数")
    st.caption("警示名单列入规则在“协同处理与警示规则”中设置（保存时重新计算警示名单）。")
    forms.show_done("settings")
    with st.form("business_settings"):  # one 保存 for the group; a refused value stays typed
        place, typed = {}, {}
        for s in org.list_settings(actor):
            typed[s["key"]] = st.text_input(s["label"], s["value"], help=f"默认值：{s['default']}")
            place[s["key"]] = st.empty()
        if st.form_submit_button("保存业务参数", type="primary"):
            with action():
                try:
                    n = org.set_settings(actor, typed)
                except SgldError as exc:
                    forms.mark_field(place, exc)
                    raise
                forms.done("settings", f"已保存 {n} 项修改。" if n else "没有修改。")
                st.rerun()
    st.subheader("部署配置（环境变量，只读）")
    show_table(
        pd.DataFrame(
            [
                {
                    "配置项": f"SGLD_{k}",
                    "说明": desc,
                    "当前值": "******" if k == "COOKIE_KEY" else str(cfg.raw.get(k, "")),
                }
                for k, (_, desc) in app_settings.SPEC.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def audit_tab() -> None:
    opts = org.audit_filter_options(actor)
    c1, c2, c3, c4 = st.columns(4)
    every = lambda labels: lambda x: "全部" if not x else labels.get(x, x)  # noqa: E731
    who = c1.selectbox("操作人", [""] + opts["actor"], format_func=every({}), placeholder="全部")
    dept = c2.selectbox("部门", [""] + opts["department"], format_func=every({}), placeholder="全部")
    act = c3.selectbox("操作", [""] + opts["action"], format_func=every(org.ACTION_LABELS), placeholder="全部")
    otype = c4.selectbox(
        "对象类型", [""] + opts["object_type"], format_func=every(org.OBJECT_LABELS), placeholder="全部"
    )
    c5, c6, c7 = st.columns(3)
    oid = c5.text_input("对象编号")
    dfrom = c6.date_input("起始日期", value=None, format="YYYY-MM-DD")
    dto = c7.date_input("结束日期", value=None, format="YYYY-MM-DD")
    with action():
        log = org.query_audit(
            actor,
            username=who or None,
            department=dept or None,
            action=act or None,
            object_type=otype or None,
            object_id=oid or None,
            date_from=dfrom,
            date_to=dto,
        )
        data_table(log, key="audit", file_name="操作日志", search=False)


# only the open tab runs (each lists a table: users, the audit log, the
# feature tabs' queues…); the features' tabs are listed in ui/registry.py
views = {
    "用户": users_tab,
    "部门": departments_tab,
    "事项目录": items_tab,
    "系统设置": settings_tab,
    "操作日志": audit_tab,
}
views.update({m.TAB_TITLE: (lambda m=m: m.render(actor)) for m in admin_tabs()})
lazy_tabs(views, key="admin_tab")
