"""Own account: details and password change."""

import streamlit as st

from ui.auth import page_guard, password_form
from ui.widgets import md_text, page_header

actor = page_guard("account")
page_header(
    "账号设置",
    f"{md_text(actor.display_name)}（{actor.username}） · {md_text(actor.department_name)} · {actor.role_names}",
)

st.subheader("修改密码")
password_form(actor, key="change_password")
