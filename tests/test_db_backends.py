"""Backend selection by SGLD_DB and the PostgreSQL cursor's translation of
the services' SQL (issue 20)."""

import pytest

from db import sql as dsql
from db.postgres_backend import translate
from sgld import settings


def test_a_file_path_selects_duckdb_and_a_url_postgresql(monkeypatch, tmp_path):
    monkeypatch.setenv("SGLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SGLD_DB", str(tmp_path / "x.duckdb"))
    settings.reset()
    try:
        cfg = settings.get()
        assert cfg.db == tmp_path / "x.duckdb" and cfg.db_url == ""
        assert cfg.db_target == str(tmp_path / "x.duckdb")
        monkeypatch.setenv("SGLD_DB", "postgresql://sgld:s3cret@db.example/sgld")
        settings.reset()
        cfg = settings.get()
        assert cfg.db is None and cfg.db_url == "postgresql://sgld:s3cret@db.example/sgld"
        assert cfg.raw["DB"] == "postgresql://sgld:******@db.example/sgld"  # the admin's table
        assert "s3cret" not in repr(cfg)
    finally:
        settings.reset()


@pytest.mark.parametrize(
    "sql, params, out",
    [
        ("SELECT ? , ?", True, "SELECT %s , %s"),
        ("SELECT '?' , ?", True, "SELECT '?' , %s"),
        ("SELECT x FROM t WHERE a LIKE '%a%' AND b = ?", True, "SELECT x FROM t WHERE a LIKE '%%a%%' AND b = %s"),
        ("SELECT strftime(x, '%Y')", False, "SELECT strftime(x, '%Y')"),
        ('SELECT "a?b" FROM t WHERE c = ?', True, 'SELECT "a?b" FROM t WHERE c = %s'),
    ],
)
def test_placeholders_are_translated_outside_quotes(sql, params, out):
    assert translate(sql, params) == out


def test_dialect_helpers_agree(db):
    """The per-dialect spellings give the same values on the open backend."""
    dialect = db.dialect
    assert db.scalar(f"SELECT {dsql.number_text('CAST(? AS DECIMAL(18, 6))', dialect)}", [5]) == "5"
    assert db.scalar(f"SELECT {dsql.number_text('CAST(? AS DECIMAL(18, 6))', dialect)}", [0.5]) == "0.5"

    def tx(cur):
        dsql.replace_temp_table(cur, "_probe", "SELECT ? AS n", [1], dialect)
        dsql.replace_temp_table(cur, "_probe", "SELECT ? AS n", [2], dialect)
        return cur.execute("SELECT n FROM _probe").fetchall()

    assert db.write(tx) == [(2,)]


def test_affected_rows_and_sums_read_as_on_duckdb(db):
    """DML without RETURNING gives its row count; sum of integers is an int."""
    n = db.write(
        lambda cur: cur.execute("UPDATE department SET created_at = created_at WHERE kind = 'supervision'").fetchone()[
            0
        ]
    )
    assert n == db.scalar("SELECT count(*) FROM department WHERE kind = 'supervision'") > 0
    total = db.scalar("SELECT sum(id) FROM audit_log")  # BIGINT: numeric on PostgreSQL
    assert isinstance(total, int)
