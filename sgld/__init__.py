"""审管联动系统 domain package: plain Python, no Streamlit import."""
