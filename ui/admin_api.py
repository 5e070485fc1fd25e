"""Admin tab 接口管理: the API clients of other systems (docs/api.md) —
register one (its secret is shown once), change roles / scopes / rate,
rotate the secret, disable, enable, revoke."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld.errors import SgldError
from sgld.security import DEPT_KINDS, ROLES
from sgld.services import api_clients as ac
from sgld.services import org
from ui import admin_forms as forms
from ui.widgets import action, data_table, md_text

TAB_TITLE = "接口管理"
SECRET_KEY = "api_secret_shown"  # {name, key_id, secret, fingerprint} until the admin closes it
NEW_FIELDS = ("api_name", "api_dept", "api_roles", "api_scopes", "api_rate", "api_note")


def _secret_box() -> None:
    shown = st.session_state.get(SECRET_KEY)
    if not shown:
        return
    box = st.container(border=True)
    box.warning(
        f"接口客户端“{md_text(shown['name'])}”的密钥只显示这一次：请立即复制并安全地交给对接系统的"
        "管理员；关闭后无法再查看，遗失只能更换密钥。",
        icon=":material/key:",
    )
    box.text("X-Sgld-Key（客户端标识）")
    box.code(shown["key_id"], language=None)
    box.text("密钥")
    box.code(shown["secret"], language=None)
    box.caption(f"密钥指纹：{shown['fingerprint']}（列表中显示，用于核对对方持有的是否为当前密钥）")
    if box.button("我已保存密钥，关闭", key="api_secret_close", type="primary"):
        st.session_state.pop(SECRET_KEY, None)
        st.rerun()


def _new_client(actor, departments) -> None:
    forms.show_done("api_new")
    dept_name = {d["id"]: f"{d['name']}（{DEPT_KINDS[d['kind']]}）" for d in departments}
    with st.form("api_new"):
        place = {}
        name = st.text_input("名称", key="api_name", help="如 省审批平台、市场监管业务系统；审计日志记为 api:名称")
        place["name"] = st.empty()
        dept = st.selectbox(
            "所属部门",
            list(dept_name),
            format_func=dept_name.get,
            key="api_dept",
            placeholder="请选择",
            help="客户端按该部门人员的数据范围办理",
        )
        place["department_id"] = st.empty()
        roles = st.multiselect(
            "角色",
            list(ac.CLIENT_ROLES),
            format_func=ROLES.get,
            key="api_roles",
            placeholder="请选择",
            select_all=False,
            help="审批局经办人：推送审批结果、行政处罚；监管部门工作人员：签收、领取、检查、协同处理申请",
        )
        place["roles"] = st.empty()
        scopes = st.multiselect(
            "接口权限",
            list(ac.SCOPES),
            format_func=ac.SCOPES.get,
            key="api_scopes",
            placeholder="请选择",
            select_all=False,
        )
        place["scopes"] = st.empty()
        rate = st.number_input(
            "每分钟请求上限", min_value=1, max_value=1_000_000, value=ac.DEFAULT_RATE, step=60, key="api_rate"
        )
        note = st.text_input("备注", key="api_note")
        submitted = st.form_submit_button("登记并生成密钥", type="primary")
    if submitted:
        made = None
        try:
            made = ac.create(
                actor, name=name, department_id=dept, roles=roles, scopes=scopes, rate_per_minute=int(rate), note=note
            )
        except SgldError as exc:
            st.error(md_text(str(exc)), icon=":material/error:")
            forms.mark_field(place, exc)
        if made:
            st.session_state[SECRET_KEY] = made
            forms.clear_fields(*NEW_FIELDS)
            forms.done("api_new", f"已登记接口客户端“{made['name']}”。")
            st.rerun()


def _manage(actor, rows) -> None:
    by_id = {r["id"]: r for r in rows}
    cid = st.selectbox(
        "选择客户端",
        list(by_id),
        key="api_pick",
        placeholder="请选择",
        format_func=lambda i: f"{by_id[i]['name']}（{ac.STATUSES[by_id[i]['status']]}）",
    )
    if cid is None:
        return
    c = by_id[cid]
    if c["status"] == "revoked":
        st.info("该客户端已吊销，不能再变更；如需重新对接请重新登记。", icon=":material/block:")
        return
    with st.form(f"api_edit_{cid}"):
        roles = st.multiselect(
            "角色",
            list(ac.CLIENT_ROLES),
            default=c["roles"],
            format_func=ROLES.get,
            placeholder="请选择",
            select_all=False,
        )
        scopes = st.multiselect(
            "接口权限",
            list(ac.SCOPES),
            default=c["scopes"],
            format_func=ac.SCOPES.get,
            placeholder="请选择",
            select_all=False,
        )
        rate = st.number_input(
            "每分钟请求上限", min_value=1, max_value=1_000_000, value=int(c["rate_per_minute"]), step=60
        )
        note = st.text_input("备注", value=c["note"] or "")
        if st.form_submit_button("保存修改"):
            with action("已保存"):
                ac.update(actor, cid, roles=roles, scopes=scopes, rate_per_minute=int(rate), note=note)
                st.rerun()
    left, mid, right = st.columns(3)
    with left:
        if forms.confirmed(
            f"api_rotate_{cid}",
            "更换密钥",
            f"更换后“{md_text(c['name'])}”的旧密钥立即失效，对接系统须换用新密钥。",
            "确认更换密钥",
        ):
            with action():
                st.session_state[SECRET_KEY] = ac.rotate(actor, cid)
                st.rerun()
    with mid:
        if c["status"] == "active":
            if forms.confirmed(
                f"api_disable_{cid}", "停用", f"停用后“{md_text(c['name'])}”的请求立即被拒绝，可再启用。", "确认停用"
            ):
                with action("已停用"):
                    ac.set_status(actor, cid, "disabled")
                    st.rerun()
        elif st.button("启用", key=f"api_enable_{cid}"):
            with action("已启用"):
                ac.set_status(actor, cid, "active")
                st.rerun()
    with right:
        if forms.confirmed(
            f"api_revoke_{cid}", "吊销", f"吊销后“{md_text(c['name'])}”永久不能再调用接口，不能恢复。", "确认吊销"
        ):
            with action("已吊销"):
                ac.revoke(actor, cid)
                st.rerun()


def render(actor) -> None:
    st.caption(
        "审批平台、行权系统和各部门业务系统通过对接接口（/api/v1/，说明见 docs/api.md）调用本系统。"
        "每个客户端按所属部门和角色办理，与该部门人员的权限和数据范围相同；每次调用都须签名，"
        "记入操作日志（操作人为 api:名称）。"
    )
    _secret_box()
    rows: list[dict] = []
    with action():
        rows = ac.list_clients(actor)
    frame = pd.DataFrame(
        [
            {
                "编号": r["id"],
                "名称": r["name"],
                "X-Sgld-Key": r["key_id"],
                "所属部门": r["department"],
                "角色": "、".join(ROLES[x] for x in r["roles"]),
                "接口权限": "、".join(ac.SCOPES.get(x, x) for x in r["scopes"]),
                "每分钟上限": r["rate_per_minute"],
                "状态": ac.STATUSES[r["status"]],
                "密钥指纹": r["fingerprint"],
                "登记时间": r["created_at"],
                "登记人": r["created_by"],
                "最近更换密钥": r["rotated_at"],
                "备注": r["note"] or "",
            }
            for r in rows
        ],
        columns=[
            "编号",
            "名称",
            "X-Sgld-Key",
            "所属部门",
            "角色",
            "接口权限",
            "每分钟上限",
            "状态",
            "密钥指纹",
            "登记时间",
            "登记人",
            "最近更换密钥",
            "备注",
        ],
    )
    data_table(frame, key="api_clients", file_name="接口客户端")
    left, right = st.columns(2)
    with left:
        st.subheader("登记客户端")
        departments = [d for d in org.list_departments(actor) if d["kind"] != "government"]
        _new_client(actor, departments)
    with right:
        st.subheader("管理客户端")
        if rows:
            _manage(actor, rows)
        else:
            st.caption("尚未登记接口客户端。")
