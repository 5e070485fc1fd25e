"""Offline deployment: build the bundle, then install it with pip's network
disabled (--no-index and an unreachable proxy) into a fresh virtualenv."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # builds the offline bundle and installs it into a fresh virtualenv


def test_bundle_installs_without_network(tmp_path):
    dest = tmp_path / "bundle"
    out = subprocess.run(
        [sys.executable, "manage.py", "bundle", str(dest)], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (dest / "app" / "app.py").is_file() and (dest / "install.sh").is_file()
    assert not (dest / "app" / ".venv").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(
        {
            "PIP_NO_INDEX": "1",
            "https_proxy": "http://127.0.0.1:9",
            "http_proxy": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "PIP_CONFIG_FILE": os.devnull,
        }
    )
    out = subprocess.run(["bash", str(dest / "install.sh")], capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    py = dest / "app" / ".venv" / "bin" / "python"
    check = subprocess.run(
        [str(py), "manage.py", "--help"],
        cwd=dest / "app",
        capture_output=True,
        text=True,
        env={**env, "SGLD_DB": str(tmp_path / "x.duckdb"), "SGLD_DATA_DIR": str(tmp_path / "d")},
    )
    assert check.returncode == 0 and "verify-audit" in check.stdout
    imp = subprocess.run(
        [
            str(py),
            "-c",
            "import streamlit, duckdb, streamlit_authenticator, docx, plotly, chinese_calendar; print('ok')",
        ],
        capture_output=True,
        text=True,
    )
    assert imp.stdout.strip() == "ok", imp.stderr
