"""Admin tab 推送队列: the departments' webhooks (register, change the
address, rotate the signing secret, pause/resume), the outbox events by
delivery state, and retrying failed ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sgld import webhook
from sgld.services import outbox
from ui import admin_forms as forms
from ui.widgets import action, data_table, md_text

TAB_TITLE = "推送队列"
SECRET_KEY = "ob_new_secret"  # (department, secret) shown once after registering/rotating


def _secret_once() -> None:
    shown = st.session_state.pop(SECRET_KEY, None)
    if shown:
        dept, secret = shown
        st.warning(
            f"{md_text(dept)}的事件推送签名密钥如下，只显示这一次：请立即复制并通过安全渠道交给该部门"
            "系统的管理员（接收方用它校验 X-SGLD-Signature）。离开本页后无法再次查看，只能更换。",
            icon=":material/key:",
        )
        st.code(secret, language=None)


def _subscriptions(actor) -> list[dict]:
    st.subheader("部门事件接收地址")
    st.caption(
        "每个监管部门（或其他许可部门）可登记一个接收地址。推送审批结果、证照状态变更、协同处理决定"
        "等事件在业务数据保存的同一事务中写入推送队列，由后台线程按部门顺序逐条投递（签名、失败重试、"
        "至少投递一次）。未登记的部门事件仅供其系统拉取；停用后事件继续排队，启用后按顺序补投。"
    )
    _secret_once()
    subs: list[dict] = []
    with action():
        subs = outbox.list_subscriptions(actor)
    frame = pd.DataFrame(
        [
            {
                "部门": s["department"],
                "接收地址": s["url"] or "（未登记）",
                "状态": "未登记" if s["subscription_id"] is None else ("在用" if s["active"] else "停用"),
                "密钥指纹": s["secret_hint"] or "",
                "待投递": s["pending"],
                "投递失败": s["failed"],
                "已投递": s["delivered"],
                "最近投递": s["last_delivered_at"],
                "最早未投递事件": s["oldest_pending_at"],
            }
            for s in subs
        ],
        columns=["部门", "接收地址", "状态", "密钥指纹", "待投递", "投递失败", "已投递", "最近投递", "最早未投递事件"],
    )
    data_table(frame, key="ob_subs", file_name="部门事件接收地址")
    return subs


def _manage(actor, subs: list[dict]) -> None:
    if not subs:
        return
    by_id = {s["department_id"]: s for s in subs}
    did = st.selectbox(
        "部门", list(by_id), format_func=lambda i: by_id[i]["department"], key="ob_dept", placeholder="请选择"
    )
    if did is None:
        return
    s = by_id[did]
    with st.form(f"ob_url_{did}"):
        url = st.text_input(
            "接收地址",
            value=s["url"] or "",
            placeholder="https://部门系统/接收路径",
            help="http:// 或 https:// 开头；不跟随重定向，不经代理。",
        )
        label = "登记接收地址" if s["subscription_id"] is None else "保存接收地址并启用"
        if st.form_submit_button(label, type="primary"):
            with action("已保存接收地址"):
                secret = outbox.register_webhook(actor, did, url)
                if secret:
                    st.session_state[SECRET_KEY] = (s["department"], secret)
                st.rerun()
    if s["subscription_id"] is None:
        return
    c = st.columns(2)
    if s["active"]:
        with c[0]:
            if forms.confirmed(
                f"ob_off_{did}",
                "停用推送",
                f"停用后不再向{md_text(s['department'])}投递，事件继续排队，启用后按顺序补投。",
                "确认停用",
            ):
                with action("已停用"):
                    outbox.set_webhook_active(actor, did, False)
                    st.rerun()
    else:
        if c[0].button("启用推送", key=f"ob_on_{did}"):
            with action("已启用"):
                outbox.set_webhook_active(actor, did, True)
                st.rerun()
    with c[1]:
        if forms.confirmed(
            f"ob_rot_{did}", "更换签名密钥", "更换后旧密钥立即失效，对方系统须改用新密钥才能校验签名。", "确认更换"
        ):
            with action("已更换签名密钥"):
                secret = outbox.rotate_secret(actor, did)
                st.session_state[SECRET_KEY] = (s["department"], secret)
                st.rerun()


def _events(actor, subs: list[dict]) -> None:
    st.subheader("推送事件")
    counts = {}
    with action():
        counts = outbox.state_counts(actor)
    cols = st.columns(len(outbox.STATES))
    for col, (state, name) in zip(cols, outbox.STATES.items()):
        col.metric(name, counts.get(state, 0))
    if not webhook.running():
        st.caption(
            "本进程的投递线程未运行（配置项 SGLD_WEBHOOK 为关闭，或服务尚未完成启动）：事件保存在队列中，"
            "线程运行后按顺序投递。"
        )
    c = st.columns(2)
    states = ["failed", "pending", "delivered", "skipped", None]
    state = c[0].selectbox(
        "投递状态", states, format_func=lambda s: "全部" if s is None else outbox.STATES[s], key="ob_state"
    )
    names = {s["department_id"]: s["department"] for s in subs}
    dept = c[1].selectbox(
        "部门", [None, *names], format_func=lambda i: "全部部门" if i is None else names[i], key="ob_ev_dept"
    )
    rows: list[dict] = []
    with action():
        rows = outbox.list_events(actor, state=state, department_id=dept, limit=500)
    frame = pd.DataFrame(
        [
            {
                "编号": r["id"],
                "部门": r["department"],
                "事件": outbox.KINDS.get(r["kind"], r["kind"]),
                "对象": f"{r['object_type']} {r['object_id']}",
                "产生时间": r["created_at"],
                "状态": outbox.STATES.get(r["state"], r["state"]),
                "尝试次数": r["attempts"],
                "下次重试": r["next_attempt_at"],
                "最近错误": r["last_error"] or "",
                "投递时间": r["delivered_at"],
            }
            for r in rows
        ],
        columns=["编号", "部门", "事件", "对象", "产生时间", "状态", "尝试次数", "下次重试", "最近错误", "投递时间"],
    )
    st.caption("最多显示最近 500 条。同一部门的事件按顺序投递：一条投递失败后，其后的事件等待它重试成功。")
    _, picked = data_table(frame, key="ob_events", file_name="推送事件", selection="multi-row")
    if st.button(
        "重试所选事件",
        key="ob_retry",
        disabled=picked is None or not len(picked),
        help="投递失败的事件重新排队（重新计数），等待重试的事件立即重试。",
    ):
        with action():
            n = outbox.retry(actor, picked["编号"].tolist())
            st.session_state["sgld_flash"] = f"已重新排队 {n} 条事件"
            st.rerun()


def render(actor) -> None:
    subs = _subscriptions(actor)
    _manage(actor, subs)
    _events(actor, subs)
