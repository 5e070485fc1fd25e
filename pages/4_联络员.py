"""联络员 page."""
import streamlit as st

from ui.auth import page_guard
from ui.widgets import page_header, under_construction

actor = page_guard("liaison")
page_header("联络员")
under_construction("联络员")
