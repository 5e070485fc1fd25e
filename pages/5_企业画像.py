"""企业画像 page."""
from ui.auth import page_guard
from ui.widgets import page_header, under_construction

actor = page_guard("profile")
page_header("企业画像")
under_construction("企业画像")
