"""监管录入 page."""
import streamlit as st

from ui.auth import page_guard
from ui.widgets import page_header, under_construction

actor = page_guard("supervise")
page_header("监管录入")
under_construction("监管录入")
