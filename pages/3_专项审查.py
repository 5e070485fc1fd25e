"""专项审查 page."""
import streamlit as st

from ui.auth import page_guard
from ui.widgets import page_header, under_construction

actor = page_guard("review")
page_header("专项审查")
under_construction("专项审查")
