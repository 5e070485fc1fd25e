"""The command line refuses bad arguments and bad import files with a
Chinese reason, never a traceback."""

from __future__ import annotations

import pytest

from sgld.cli import main


@pytest.mark.parametrize("scale", ["0", "-1", "abc"])
def test_demo_bad_scale_is_a_message(empty_db, capsys, scale):
    assert main(["demo", "--scale", scale]) == 2
    err = capsys.readouterr().err
    assert "--scale 应为不小于 1 的整数" in err and "Traceback" not in err


def test_demo_load_refuses_bad_scale_in_chinese(empty_db):
    from sgld import demo
    from sgld.errors import ValidationError

    with pytest.raises(ValidationError, match="不小于 1"):
        demo.load(scale=0)


def test_refused_imports_say_why(empty_db, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["import-penalties", str(tmp_path / "empty")]) == 1
    assert "中没有 .csv 或 .xlsx 文件" in capsys.readouterr().err
    (tmp_path / "a.txt").write_text("x")
    assert main(["import-penalties", str(tmp_path / "a.txt")]) == 1
    assert "类型不支持" in capsys.readouterr().err
    assert main(["import-penalties", str(tmp_path / "missing.csv")]) == 1
    assert "文件不存在" in capsys.readouterr().err
    (tmp_path / "b.xlsx").write_bytes(b"not a workbook")
    assert main(["import-penalties", str(tmp_path / "b.xlsx")]) == 1
    out = capsys.readouterr()
    assert "不是有效的 .xlsx" in out.err
    assert out.out.strip().splitlines()[-1] == "read=0 imported=0 duplicates=0 quarantined=0"
