"""审批推送 page."""
import streamlit as st

from ui.auth import page_guard
from ui.widgets import page_header, under_construction

actor = page_guard("push")
page_header("审批推送")
under_construction("审批推送")
