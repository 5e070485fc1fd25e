"""Own account: details and password change."""
import streamlit as st

from sgld.services import accounts
from ui.auth import page_guard
from ui.widgets import action, page_header

actor = page_guard("account")
page_header("账号设置", f"{actor.display_name}（{actor.username}） · {actor.department_name} · {actor.role_names}")

st.subheader("修改密码")
st.caption("新密码至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。修改后需重新登录。")
with st.form("change_password", clear_on_submit=True):
    old = st.text_input("原密码", type="password")
    new = st.text_input("新密码", type="password")
    confirm = st.text_input("确认新密码", type="password")
    if st.form_submit_button("修改密码", type="primary"):
        with action():
            accounts.change_own_password(actor, old, new, confirm)
            st.success("密码已修改，请使用新密码重新登录。")
