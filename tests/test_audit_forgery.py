"""The audit log against a forger who can write the database file but has
neither the audit key nor write access to the seal file (issue 15 item 1)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from db import connection
from sgld import audit, settings
from tests.conftest import ROOT, raw_connection

KEY_A = "a" * 40
KEY_B = "b" * 40


def _probe(db, n):
    db.write(lambda cur: [audit.record(cur, None, "probe", "setting", i, after={"i": i}) for i in range(n)])


def _raw(db):
    """Close the app's handle and give the forger the bare file."""
    path = db.path
    connection.reset()
    return path, raw_connection(path)


def _reopen():
    return connection.get_db()


def _plain_sha(prev, r):
    (id_, at, actor_id, actor, dept, action, otype, oid, bj, aj) = r
    return audit.row_hash(prev, id_, at, actor_id, actor, dept, action, otype, oid, bj, aj)


def _recompute(con, sign):
    """Rewrite every row's hash and prev_hash and the head with ``sign``."""
    rows = con.execute(
        "SELECT id, logged_at, actor_id, actor, department, action, object_type,"
        " object_id, before_json, after_json FROM audit_log ORDER BY id"
    ).fetchall()
    prev, fixed = "0" * 64, []
    for r in rows:
        h = sign(prev, r)
        fixed.append((r[0], prev, h))
        prev = h
    con.execute("CREATE TEMP TABLE fix (id BIGINT, p VARCHAR, h VARCHAR)")
    con.executemany("INSERT INTO fix VALUES (?, ?, ?)", fixed)
    con.execute("UPDATE audit_log SET prev_hash = fix.p, hash = fix.h FROM fix WHERE audit_log.id = fix.id")
    con.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", [rows[-1][0], prev])
    return rows[-1][0]


def test_seals_are_written_outside_the_database(db):
    _probe(db, audit.SEAL_ROWS + 5)
    seals = audit.read_seals(audit.seal_path())
    head = db.one("SELECT last_id, last_hash FROM audit_head")
    assert seals and seals[-1]["id"] == head[0] and seals[-1]["mac"] == head[1]
    assert audit.check(db).ok


def test_truncation_with_head_moved_back_reports_the_missing_range(db):
    _probe(db, audit.SEAL_ROWS + 5)
    last = db.scalar("SELECT last_id FROM audit_head")
    path, con = _raw(db)
    keep = last - 30
    con.execute("DELETE FROM audit_log WHERE id > ?", [keep])
    con.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = (SELECT hash FROM audit_log WHERE id = ?)", [keep, keep]
    )
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.missing == (keep + 1, last)
    assert audit.verify(_reopen()) == (False, keep, keep + 1)


def test_row_edit_reports_its_id(db):
    _probe(db, 10)
    victim = db.scalar("SELECT max(id) - 4 FROM audit_log")
    path, con = _raw(db)
    con.execute("UPDATE audit_log SET after_json = '{\"i\": 99}' WHERE id = ?", [victim])
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.first_bad == victim


def test_full_recompute_with_plain_sha256_is_detected(db):
    _probe(db, 5)
    path, con = _raw(db)
    _recompute(con, _plain_sha)
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.first_bad == 1


def test_full_recompute_as_unkeyed_legacy_rows_is_detected(db):
    _probe(db, 5)
    path, con = _raw(db)
    con.execute("UPDATE audit_log SET key_id = NULL")
    _recompute(con, _plain_sha)
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.first_bad == 1


def test_full_recompute_with_a_wrong_key_is_detected(db):
    _probe(db, 5)
    path, con = _raw(db)
    kid = audit.key_id_of(KEY_A)
    import hmac as _h

    mac = _h.new(KEY_A.encode(), digestmod=hashlib.sha256)
    con.execute("UPDATE audit_log SET key_id = ?", [kid])
    _recompute(con, lambda prev, r: audit.row_hash(prev, *r, kid, mac))
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.first_bad == 1


def test_recompute_of_the_tail_after_an_edit_is_detected_by_the_seal(db):
    """Even with the key, rewriting sealed history is caught by the seal."""
    _probe(db, audit.SEAL_ROWS + 5)
    sealed = audit.read_seals(audit.seal_path())[-1]["id"]
    path, con = _raw(db)
    con.execute("UPDATE audit_log SET after_json = '{\"i\": -1}' WHERE id = ?", [sealed])
    audit.configure()
    kid, mac = audit._signer()
    _recompute(con, lambda prev, r: audit.row_hash(prev, *r, kid, mac))
    con.close()
    rep = audit.check(_reopen())
    assert not rep.ok and rep.first_bad is not None and rep.first_bad <= sealed


def test_key_rotation(db, monkeypatch):
    """Rows keep the id of the key that signed them: after rotation the old
    key, listed in SGLD_AUDIT_KEYS_OLD, still verifies them."""
    old = (settings.get().data_dir / ".audit_key").read_text().strip()
    _probe(db, 3)
    monkeypatch.setenv("SGLD_AUDIT_KEY", KEY_B)
    monkeypatch.setenv("SGLD_AUDIT_KEYS_OLD", old)
    settings.reset()
    _probe(db, 3)
    ids = db.all("SELECT DISTINCT key_id FROM audit_log WHERE key_id IS NOT NULL")
    assert {audit.key_id_of(old), audit.key_id_of(KEY_B)} <= {r[0] for r in ids}
    assert audit.check(db).ok
    # without the old key the first row it signed cannot be verified
    monkeypatch.delenv("SGLD_AUDIT_KEYS_OLD")
    settings.reset()
    rep = audit.check(db)
    first_old = db.scalar("SELECT min(id) FROM audit_log WHERE key_id = ?", [audit.key_id_of(old)])
    assert not rep.ok and rep.first_bad == first_old and "SGLD_AUDIT_KEYS_OLD" in rep.message


def test_record_restore_writes_a_row_and_a_seal(db):
    _probe(db, audit.SEAL_ROWS + 5)
    live = db.scalar("SELECT last_id FROM audit_head")
    backup_rows = live - 50
    # what a restore leaves: the backup's chain, then the restore's own row
    db.write(
        lambda cur: (
            cur.execute("DELETE FROM audit_log WHERE id > ?", [backup_rows]),
            cur.execute(
                "UPDATE audit_head SET last_id = ?, last_hash = (SELECT hash FROM audit_log WHERE id = ?)",
                [backup_rows, backup_rows],
            ),
        )
    )
    connection.reset()
    db = _reopen()
    assert audit.check(db).missing == (backup_rows + 1, live)
    rid = db.write(
        lambda cur: audit.record_restore(
            cur, actor_name="admin", source="backups/x.duckdb", backup_rows=backup_rows, live_rows=live
        )
    )
    assert rid == backup_rows + 1
    last = audit.read_seals(audit.seal_path())[-1]
    assert last["id"] == rid and last["restore"]["live_rows"] == live
    assert audit.check(db).ok


def test_verify_audit_command_reports_the_missing_range(db, tmp_path):
    _probe(db, audit.SEAL_ROWS + 5)
    last = db.scalar("SELECT last_id FROM audit_head")
    path, con = _raw(db)
    con.execute("DELETE FROM audit_log WHERE id > ?", [last - 3])
    con.execute(
        "UPDATE audit_head SET last_id = ?, last_hash = (SELECT hash FROM audit_log WHERE id = ?)", [last - 3, last - 3]
    )
    con.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGLD_")}
    env.update({"SGLD_DB": path, "SGLD_DATA_DIR": str(settings.get().data_dir)})
    out = subprocess.run(
        [sys.executable, "manage.py", "verify-audit"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert out.returncode == 1 and f"MISSING ids {last - 2}-{last}" in out.stdout
