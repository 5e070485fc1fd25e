"""A penalty import whose first rows are mostly unreadable stops as a failed
run (nothing imported, nothing quarantined) instead of quarantining it all."""

from __future__ import annotations

import pytest

from sgld.errors import ValidationError
from sgld.services import penalty
from tests.test_penalty_import import csv_bytes, row


def garbage(n_bad: int, n_good: int) -> bytes:
    good = csv_bytes([row(no=f"通市监处罚〔2025〕{i}号") for i in range(n_good)], encoding="utf-8")
    junk = "".join(f"乱码{i},x\n" for i in range(n_bad)).encode("utf-8")  # wrong column count
    return good + junk


def test_mostly_garbage_stops_the_run(db, tmp_path):
    f = tmp_path / "坏文件.csv"
    f.write_bytes(garbage(30_000, 100))
    before = db.scalar("SELECT count(*) FROM penalty_quarantine")
    with pytest.raises(ValidationError, match="无法读取或无效"):
        penalty.import_files(None, [(f.name, str(f))])
    assert db.scalar("SELECT count(*) FROM penalty_quarantine") == before
    status, err = db.one("SELECT status, error FROM penalty_run ORDER BY id DESC LIMIT 1")
    assert status == "失败" and "超过允许的 50%" in err


def test_share_is_configurable(db, tmp_path, monkeypatch):
    from sgld import settings

    monkeypatch.setenv("SGLD_PENALTY_MAX_BAD_SHARE", "1")
    settings.reset()
    f = tmp_path / "a.csv"
    f.write_bytes(garbage(12_000, 10))
    r = penalty.import_files(None, [(f.name, str(f))])
    assert r["quarantined"] == 12_000 and r["imported"] == 10


def test_bad_setting_is_refused(db, monkeypatch):
    from sgld import settings
    from sgld.errors import ConfigError

    monkeypatch.setenv("SGLD_PENALTY_MAX_BAD_SHARE", "2")
    settings.reset()
    with pytest.raises(ConfigError, match="0 到 1"):
        penalty.max_bad_share()


def test_cli_says_why(db, tmp_path, capsys):
    from sgld.cli import main

    f = tmp_path / "b.csv"
    f.write_bytes(garbage(20_000, 1))
    assert main(["import-penalties", str(f)]) == 1
    assert "无法读取或无效" in capsys.readouterr().err
