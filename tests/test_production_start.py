"""Production refuses to start without its keys: one line, non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

GOOD = "k" * 40


def _run(tmp_path, args, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_") and k != "PYTEST_CURRENT_TEST"}
    env.update(
        {
            "SGLD_MODE": "production",
            "SGLD_DB": str(tmp_path / "p.duckdb"),
            "SGLD_DATA_DIR": str(tmp_path / "data"),
            "SGLD_MAINTENANCE": "off",
            "SGLD_CONFIG": str(tmp_path / "none.toml"),
        },
        **env_extra,
    )
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


CASES = [
    ({}, "SGLD_COOKIE_KEY"),
    ({"SGLD_COOKIE_KEY": "short"}, "SGLD_COOKIE_KEY"),
    ({"SGLD_COOKIE_KEY": GOOD}, "SGLD_AUDIT_KEY"),
    ({"SGLD_COOKIE_KEY": GOOD, "SGLD_AUDIT_KEY": "short"}, "SGLD_AUDIT_KEY"),
]


@pytest.mark.parametrize("env,named", CASES)
def test_check_config_refuses(tmp_path, env, named):
    out = _run(tmp_path, ["manage.py", "check-config"], **env)
    lines = out.stderr.strip().splitlines()
    assert out.returncode != 0 and len(lines) == 1 and named in lines[0]
    assert not (tmp_path / "p.duckdb").exists()


def test_check_config_passes_with_both_keys(tmp_path):
    out = _run(tmp_path, ["manage.py", "check-config"], SGLD_COOKIE_KEY=GOOD, SGLD_AUDIT_KEY="a" * 40)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("env,named", [CASES[0], CASES[2]])
def test_app_script_refuses(tmp_path, env, named):
    """The server's script itself exits with one line (the service unit and
    scripts/run.sh also run check-config before the server starts)."""
    out = _run(tmp_path, ["-c", "import runpy; runpy.run_path('app.py', run_name='__main__')"], **env)
    # (bare-mode warnings of streamlit itself aside: no server runs here)
    lines = [ln for ln in out.stderr.splitlines() if "拒绝启动" in ln or "Traceback" in ln]
    assert out.returncode == 2 and len(lines) == 1 and named in lines[0], out.stderr
    assert not (tmp_path / "data" / ".audit_key").exists()
