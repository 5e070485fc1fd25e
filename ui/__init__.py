"""Streamlit-side helpers: the login gate and shared widgets."""
