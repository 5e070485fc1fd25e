"""Security review checks (docs/security.md lists them with these tests)."""

import ast
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from sgld import clock, settings
from sgld.errors import ConfigError
from tests.apptest_util import login, nav_pages, page_source
from tests.conftest import ROOT

UI_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
DOMAIN_FILES = [*sorted((ROOT / "sgld").rglob("*.py")), *sorted((ROOT / "db").rglob("*.py"))]


def test_no_html_rendering_of_user_text():
    for f in UI_FILES + DOMAIN_FILES:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"unsafe_allow_html\s*=\s*True", text), f
        if f.name == "widgets.py":
            # the one exception: a static style block that puts Streamlit's own
            # English texts into Chinese; _ui_css takes no argument, so no data
            # can reach it
            text = text.replace("st.html(_ui_css())", "", 1)
            assert "def _ui_css() -> str:" in text
        assert "st.html(" not in text and "components.html(" not in text, f


def test_every_page_checks_its_role_first():
    for f in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        body = [
            n
            for n in tree.body
            if not isinstance(n, (ast.Import, ast.ImportFrom))
            and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        ]
        first = body[0]
        assert isinstance(first, ast.Assign) and isinstance(first.value, ast.Call), f
        assert getattr(first.value.func, "id", None) == "page_guard", f


def test_domain_and_storage_do_not_import_streamlit():
    for f in DOMAIN_FILES:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] == "streamlit" for n in names), f


def test_no_sql_in_pages():
    """app.py, pages/ and ui/ hold no SQL and do not reach the database
    themselves: they call services."""
    pat = re.compile(r"\b(SELECT .+ FROM|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b", re.I)
    assert len(UI_FILES) > 20 and any(f.parent.name == "ui" for f in UI_FILES)
    for f in UI_FILES:
        text = f.read_text(encoding="utf-8")
        assert not pat.search(text), f
        tree = ast.parse(text)
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] in ("db", "duckdb", "sqlalchemy", "sqlite3") for n in names), f


def test_no_code_path_changes_or_deletes_audit_rows():
    pat = re.compile(
        r"(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|DROP\s+TABLE\s+audit_log"
        r"|TRUNCATE\s+audit_log)",
        re.I,
    )
    for f in DOMAIN_FILES + UI_FILES + sorted((ROOT / "db" / "migrations").glob("*.sql")):
        assert not pat.search(f.read_text(encoding="utf-8")), f


def test_no_secrets_in_the_repository():
    assert settings.SPEC["COOKIE_KEY"][0] == ""
    # What git tracks is what the repository holds (work trees, venvs and data
    # folders next to the checkout are not part of it).
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    )
    tracked = [
        ROOT / name
        for name in listed
        if name and Path(name).suffix in {".py", ".toml", ".md", ".sh", ".conf", ".example", ".txt"}
    ]
    for f in tracked:
        text = f.read_text(encoding="utf-8", errors="ignore")
        assert not re.search(r"cookie_secret\s*=\s*\"[A-Za-z0-9_\-]{24,}\"", text) or "example" in f.name, f
    assert (
        not (ROOT / ".streamlit" / "secrets.toml").exists()
        or ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()
    )


def test_production_requires_a_cookie_key(monkeypatch):
    monkeypatch.setenv("SGLD_MODE", "production")
    monkeypatch.delenv("SGLD_COOKIE_KEY", raising=False)
    settings.reset()
    with pytest.raises(ConfigError, match="SGLD_COOKIE_KEY"):
        settings.load()
    monkeypatch.setenv("SGLD_COOKIE_KEY", "short")
    with pytest.raises(ConfigError, match="32"):
        settings.load()
    settings.reset()


def test_idle_session_expires(db):
    at = login("supervisor")
    assert nav_pages(at)
    clock.freeze(clock.now() + timedelta(minutes=settings.get().idle_minutes + 1))
    at.run()
    assert nav_pages(at) == set()
    assert "未操作" in page_source(at)


def test_passwords_are_stored_as_bcrypt_hashes(db):
    from tests.conftest import DEMO_PASSWORD

    for (h,) in db.all("SELECT password_hash FROM app_user WHERE password_hash IS NOT NULL"):
        assert h.startswith("$2b$") and DEMO_PASSWORD not in h
    dump = " ".join(str(r) for r in db.all("SELECT * FROM audit_log"))
    assert DEMO_PASSWORD not in dump and "$2b$" not in dump  # never in the audit trail
