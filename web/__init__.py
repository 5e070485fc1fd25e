"""HTTP routes served in the Streamlit process (``server.py`` mounts them
with ``st.App``).  Adapters only: they find the user of the request and call
the same services, with the same checks, as the pages."""
