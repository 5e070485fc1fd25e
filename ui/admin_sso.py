"""Admin tab 统一身份认证: the SSO configuration as the server sees it, and
which unified-identity value belongs to which local account."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld.errors import ValidationError
from sgld.services import sso
from ui import auth
from ui.widgets import action, data_table, show_table

TAB_TITLE = "统一身份认证"


def _status() -> None:
    state = auth.sso_status()
    c: sso.SsoConfig = state["cfg"]
    rows = [
        ("统一身份认证登录（SGLD_SSO_MODE）", f"{c.mode}：{sso.MODES[c.mode]}"),
        ("对应本地账号的声明（SGLD_SSO_CLAIM）", c.claim),
        ("身份提供方", state["provider"] or "未配置或配置有误"),
        (
            "自动创建账号（SGLD_SSO_AUTO_CREATE）",
            f"开启（无角色，所属部门：{c.department or '审批局'}）" if c.auto_create else "关闭",
        ),
        (
            "可信请求头（SGLD_TRUSTED_HEADER）",
            (f"{c.header}（{'已启用' if state['header_on'] else '已拒绝启用'}）") if c.header else "关闭",
        ),
        ("Streamlit server.address", state["address"] or "未设置（监听所有网卡）"),
        ("未开通时提示联系（SGLD_SSO_CONTACT）", c.contact),
    ]
    show_table(pd.DataFrame(rows, columns=["项目", "当前值"]), hide_index=True, width="stretch")
    if state["problems"]:
        for p in state["problems"]:
            st.error(p, icon=":material/report:")
    else:
        st.success("统一身份认证配置检查通过。", icon=":material/verified_user:")
    st.caption(
        "配置方法见 docs/deployment.md：[auth] 写在服务器的 .streamlit/secrets.toml，"
        "SGLD_ 开头的设置写在环境变量或 sgld.toml，修改后需重启服务。"
    )


def render(actor) -> None:
    st.subheader("配置状态")
    _status()

    st.subheader("账号对应关系")
    st.caption(
        "统一身份认证的标识（上面的声明值，或可信请求头的值）默认按用户名对应本地账号；"
        "标识与用户名不同（如邮箱、工号）时，在此为账号绑定标识。绑定后该账号只按绑定的标识对应。"
        "角色和所属部门始终以本系统为准；停用账号后其统一身份认证登录也被拒绝。"
    )
    rows: list[dict] = []
    with action():
        rows = sso.list_bindings(actor)
    frame = pd.DataFrame(
        [
            {
                "编号": r["id"],
                "用户名": r["username"],
                "姓名": r["display_name"],
                "部门": r["department"],
                "状态": "在用" if r["active"] else "停用",
                "统一身份认证标识": r["sso_subject"] or "（按用户名）",
                "本地密码": "有" if r["has_password"] else "无",
                "角色": "待分配" if not r["role_count"] else f"{r['role_count']} 个",
                "最近统一认证登录": r["last_sso"],
            }
            for r in rows
        ],
        columns=["编号", "用户名", "姓名", "部门", "状态", "统一身份认证标识", "本地密码", "角色", "最近统一认证登录"],
    )
    data_table(frame, key="sso_bindings", file_name="统一身份认证账号对应")
    if not rows:
        return
    by_id = {r["id"]: r for r in rows}
    with st.form("sso_bind"):
        uid = st.selectbox(
            "账号",
            list(by_id),
            format_func=lambda i: f"{by_id[i]['display_name']}（{by_id[i]['username']}）",
            placeholder="请选择",
        )
        subject = st.text_input("统一身份认证标识", placeholder="留空表示解除绑定、按用户名对应")
        sure = st.checkbox("确认解除绑定", help="标识留空、解除已有绑定时须勾选")
        submitted = st.form_submit_button("保存对应关系", type="primary")
    if submitted:
        saved = False
        with action():
            if not (subject or "").strip() and by_id[uid]["sso_subject"] and not sure:
                raise ValidationError("解除绑定须勾选“确认解除绑定”。")
            sso.bind_identity(actor, uid, subject)
            saved = True
        if saved:
            st.toast("已保存对应关系", icon=":material/check_circle:")
            st.rerun()
