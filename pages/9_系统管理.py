"""System administration: departments, users, item catalogue, settings, audit log."""
import pandas as pd
import streamlit as st

from sgld import settings as app_settings
from sgld.security import DEPT_KINDS, ROLES
from sgld.services import org
from ui.auth import page_guard
from ui.widgets import action, admin_tabs, data_table, download_xlsx, page_header, show_table

actor = page_guard("admin")
page_header("系统管理", "部门、用户、事项目录、系统设置与操作日志")

# feature modules add admin tabs as ui/admin_<name>.py with TAB_TITLE and render(actor)
extra = admin_tabs()
t_users, t_depts, t_items, t_settings, t_audit, *t_extra = st.tabs(
    ["用户", "部门", "事项目录", "系统设置", "操作日志"] + [m.TAB_TITLE for m in extra])
for tab, module in zip(t_extra, extra):
    with tab:
        module.render(actor)

departments = org.list_departments(actor, include_inactive=True)
dept_name = {d["id"]: d["name"] for d in departments}
active_depts = [d["id"] for d in departments if d["active"]]

with t_users:
    users = org.list_users(actor)
    frame = pd.DataFrame([{
        "编号": u["id"], "用户名": u["username"], "姓名": u["display_name"],
        "部门": u["department"], "角色": "、".join(ROLES[r] for r in u["roles"]),
        "状态": "锁定" if u["locked"] else ("在用" if u["active"] else "停用"),
        "连续失败": u["failed_attempts"], "联系电话": u["phone"] or ""} for u in users])
    data_table(frame, key="users", file_name="用户")
    by_id = {u["id"]: u for u in users}
    left, right = st.columns(2)
    with left:
        st.subheader("新建用户")
        with st.form("new_user", clear_on_submit=True):
            username = st.text_input("用户名", help="小写字母开头，2–32 位")
            display = st.text_input("姓名")
            dept = st.selectbox("所属部门", active_depts, format_func=dept_name.get, placeholder="请选择")
            roles = st.multiselect("角色", list(ROLES), format_func=ROLES.get, placeholder="请选择（可多选）", select_all=False)
            phone = st.text_input("联系电话")
            if st.form_submit_button("创建", type="primary"):
                with action():
                    uid, pw = org.create_user(actor, username, display, dept, roles, phone=phone)
                    st.success(f"已创建用户 {username}。初始密码（只显示这一次）：`{pw}`")
    with right:
        st.subheader("修改用户")
        uid = st.selectbox("选择用户", list(by_id), format_func=lambda i: f"{by_id[i]['display_name']}（{by_id[i]['username']}）", placeholder="请选择")
        if uid is not None:
            u = by_id[uid]
            with st.form(f"edit_user_{uid}"):
                display = st.text_input("姓名", u["display_name"])
                dept = st.selectbox("所属部门", active_depts, format_func=dept_name.get,
                                    index=active_depts.index(u["department_id"]) if u["department_id"] in active_depts else 0, placeholder="请选择")
                roles = st.multiselect("角色", list(ROLES), default=u["roles"], format_func=ROLES.get, placeholder="请选择（可多选）", select_all=False)
                phone = st.text_input("联系电话", u["phone"] or "")
                if st.form_submit_button("保存修改", type="primary"):
                    with action("已保存"):
                        org.update_user(actor, uid, display_name=display, department_id=dept,
                                        roles=roles, phone=phone)
                        st.rerun()
            c1, c2, c3 = st.columns(3)
            if c1.button("停用" if u["active"] else "启用", key=f"act_{uid}"):
                with action("已停用" if u["active"] else "已启用"):
                    org.set_user_active(actor, uid, not u["active"])
                    st.rerun()
            if c2.button("重置密码", key=f"reset_{uid}"):
                with action():
                    pw = org.reset_password(actor, uid)
                    st.success(f"新密码（只显示这一次）：`{pw}`")
            if c3.button("解锁", key=f"unlock_{uid}", disabled=not u["locked"]):
                with action("已解锁"):
                    org.unlock_user(actor, uid)
                    st.rerun()

with t_depts:
    frame = pd.DataFrame([{"编号": d["id"], "部门名称": d["name"], "类型": d["kind_label"],
                           "上级部门": d["parent_name"] or "", "状态": "在用" if d["active"] else "停用"}
                          for d in departments])
    data_table(frame, key="depts", file_name="部门")
    dept_by_id = {d["id"]: d for d in departments}
    edit_id = st.selectbox("修改部门", list(dept_by_id), format_func=lambda i: dept_by_id[i]["name"],
                           index=None, placeholder="选择要修改的部门")
    if edit_id is not None:
        d = dept_by_id[edit_id]
        with st.form(f"edit_dept_{edit_id}"):
            c1, c2, c3, c4 = st.columns([3, 2, 3, 1])
            name = c1.text_input("部门名称", d["name"])
            kinds = list(DEPT_KINDS)
            kind = c2.selectbox("类型", kinds, index=kinds.index(d["kind"]), format_func=DEPT_KINDS.get, placeholder="请选择")
            parents = [None] + [i for i in active_depts if i != edit_id]
            parent = c3.selectbox("上级部门", parents, index=parents.index(d["parent_id"]) if d["parent_id"] in parents else 0,
                                  format_func=lambda i: "（无）" if i is None else dept_name[i], placeholder="请选择")
            active = c4.checkbox("在用", d["active"])
            if st.form_submit_button("保存修改", type="primary"):
                with action("部门已保存"):
                    org.update_department(actor, edit_id, name=name, kind=kind, parent_id=parent, active=active)
                    st.rerun()
    with st.form("new_dept", clear_on_submit=True):
        st.subheader("新建部门")
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("部门名称")
        kind = c2.selectbox("类型", list(DEPT_KINDS), format_func=DEPT_KINDS.get, placeholder="请选择")
        parent = c3.selectbox("上级部门（审批局处室填写）", [None] + active_depts,
                              format_func=lambda i: "（无）" if i is None else dept_name[i], placeholder="全部")
        if st.form_submit_button("创建", type="primary"):
            with action(f"已创建部门：{name.strip()}"):
                org.create_department(actor, name, kind, parent)
                st.rerun()

with t_items:
    items = org.list_items(actor, include_inactive=True)
    frame = pd.DataFrame([{"编号": i["id"], "事项编码": i["code"], "事项名称": i["name"],
                           "分类": i["category"], "集中审批": "是" if i["centralised"] else "否",
                           "签收时限（工作日）": i["sign_limit_days"],
                           "关联部门": "、".join(i["departments"]),
                           "状态": "在用" if i["active"] else "停用"} for i in items])
    data_table(frame, key="items", file_name="事项目录")
    linkable = [d["id"] for d in departments if d["active"] and d["kind"] in ("supervision", "licensing")]
    item_by_id = {i["id"]: i for i in items}
    choice = st.selectbox("新建或修改事项", [None] + list(item_by_id),
                          format_func=lambda i: "＋ 新建事项" if i is None else f"{item_by_id[i]['code']} {item_by_id[i]['name']}", placeholder="全部")
    cur_item = item_by_id.get(choice, {})
    with st.form(f"item_{choice}"):
        c1, c2, c3 = st.columns(3)
        code = c1.text_input("事项编码", cur_item.get("code", ""))
        name = c2.text_input("事项名称", cur_item.get("name", ""))
        category = c3.text_input("事项分类", cur_item.get("category", ""))
        c4, c5, c6 = st.columns(3)
        centralised = c4.checkbox("集中至审批局（推送；否则由部门领取）", cur_item.get("centralised", True))
        limit = c5.number_input("签收时限（工作日）", 1, 60, int(cur_item.get("sign_limit_days", 3)))
        active = c6.checkbox("在用", cur_item.get("active", True))
        depts = st.multiselect("监管（或领取）部门", linkable, default=[d for d in cur_item.get("department_ids", []) if d in linkable],
                               format_func=dept_name.get, placeholder="请选择（可多选）", select_all=False)
        if st.form_submit_button("保存", type="primary"):
            with action("事项已保存"):
                org.save_item(actor, code=code, name=name, category=category, centralised=centralised,
                              sign_limit_days=limit, department_ids=depts, item_id=choice, active=active)
                st.rerun()
    with st.expander("从 Excel 导入事项目录"):
        template = pd.DataFrame([{"事项编码": "SC-101", "事项名称": "示例事项", "事项分类": "市场准入",
                                  "是否集中审批": "是", "签收时限": 3, "关联部门": "市场监管局、应急管理局"}])
        download_xlsx("下载导入模板", template, "事项目录导入模板", key="item_tpl")
        upload = st.file_uploader("选择 .xlsx 文件", type=["xlsx"], key="item_upload")
        if upload is not None:
            with action():
                sheet = pd.read_excel(upload, dtype=str).fillna("")
                preview = org.import_items(actor, sheet, commit=False)
                st.write(f"可导入 {preview['ok']} 行，有问题 {len(preview['errors'])} 行。")
                if preview["errors"]:
                    show_table(pd.DataFrame(preview["errors"]), hide_index=True)
                if preview["ok"] and st.button("确认导入", type="primary"):
                    result = org.import_items(actor, sheet, commit=True)
                    st.success(f"已导入 {result['ok']} 个事项。")

with t_settings:
    cfg = app_settings.get()
    st.subheader("业务参数")
    for s in org.list_settings(actor):
        with st.form(f"setting_{s['key']}"):
            value = st.text_input(s["label"], s["value"], help=f"默认值：{s['default']}")
            if st.form_submit_button("保存"):
                with action("已保存"):
                    org.set_setting(actor, s["key"], value)
    st.subheader("部署配置（环境变量，只读）")
    show_table(pd.DataFrame([
        {"配置项": f"SGLD_{k}", "说明": desc,
         "当前值": "******" if k == "COOKIE_KEY" else str(cfg.raw.get(k, ""))}
        for k, (_, desc) in app_settings.SPEC.items()]), hide_index=True, width="stretch")

with t_audit:
    opts = org.audit_filter_options(actor)
    c1, c2, c3, c4 = st.columns(4)
    who = c1.selectbox("操作人", [""] + opts["actor"], placeholder="请选择")
    dept = c2.selectbox("部门", [""] + opts["department"], placeholder="请选择")
    act = c3.selectbox("操作", [""] + opts["action"], placeholder="请选择")
    otype = c4.selectbox("对象类型", [""] + opts["object_type"], placeholder="请选择")
    c5, c6, c7 = st.columns(3)
    oid = c5.text_input("对象编号")
    dfrom = c6.date_input("起始日期", value=None, format="YYYY-MM-DD")
    dto = c7.date_input("结束日期", value=None, format="YYYY-MM-DD")
    with action():
        log = org.query_audit(actor, username=who or None, department=dept or None,
                              action=act or None, object_type=otype or None,
                              object_id=oid or None, date_from=dfrom, date_to=dto)
        data_table(log, key="audit", file_name="操作日志", search=False)
