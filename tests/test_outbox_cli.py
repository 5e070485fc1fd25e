"""``manage.py webhook``: the admin registers, changes, pauses, resumes and
rotates a department's event receiver from the command line, with the same
checks and audit rows as in 系统管理 → 推送队列."""

from __future__ import annotations

import json

from sgld.cli import main
from sgld.services import outbox


def _secret(out: str) -> str:
    return [line.split("：", 1)[1] for line in out.splitlines() if line.startswith("签名密钥（")][0]


def test_webhook_command_line(db, capsys):
    sm = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    assert main(["webhook", "set", "--department", "市场监管局", "--url", "http://127.0.0.1:9/hook"]) == 0
    secret = _secret(capsys.readouterr().out)
    row = db.dicts("SELECT * FROM webhook_subscription WHERE department_id = ?", [sm])[0]
    assert row["url"] == "http://127.0.0.1:9/hook" and row["active"]
    assert outbox.secret_of(row) == secret and secret not in json.dumps(row, default=str)
    assert main(["webhook", "list"]) == 0
    listed = capsys.readouterr().out
    assert "市场监管局\t在用\thttp://127.0.0.1:9/hook" in listed and secret not in listed
    # a URL change keeps the secret
    assert main(["webhook", "set", "--department", "市场监管局", "--url", "https://example.org/in"]) == 0
    assert "签名密钥不变" in capsys.readouterr().out
    row = db.dicts("SELECT * FROM webhook_subscription WHERE department_id = ?", [sm])[0]
    assert row["url"] == "https://example.org/in" and outbox.secret_of(row) == secret
    assert main(["webhook", "rotate", "--department", "市场监管局"]) == 0
    new = _secret(capsys.readouterr().out)
    row = db.dicts("SELECT * FROM webhook_subscription WHERE department_id = ?", [sm])[0]
    assert new != secret and outbox.secret_of(row) == new
    assert main(["webhook", "pause", "--department", "市场监管局"]) == 0
    assert not db.scalar("SELECT active FROM webhook_subscription WHERE department_id = ?", [sm])
    assert main(["webhook", "pause", "--department", "市场监管局"]) == 2
    assert "已是停用" in capsys.readouterr().err
    assert main(["webhook", "resume", "--department", "市场监管局"]) == 0
    assert db.scalar("SELECT active FROM webhook_subscription WHERE department_id = ?", [sm])
    actions = [
        a
        for (a,) in db.all(
            "SELECT action FROM audit_log WHERE object_type = 'webhook_subscription' AND actor = 'system' ORDER BY id"
        )
    ]
    assert actions == ["create", "update", "rotate_secret", "deactivate", "activate"]


def test_webhook_command_line_refuses_bad_input(db, capsys):
    assert main(["webhook", "set", "--department", "没有这个部门", "--url", "http://127.0.0.1:9/x"]) == 2
    assert "不存在" in capsys.readouterr().err
    assert main(["webhook", "set", "--department", "市场监管局", "--url", "ftp://x/y"]) == 2
    assert "http" in capsys.readouterr().err
    assert main(["webhook", "set", "--department", "南通市行政审批局", "--url", "http://127.0.0.1:9/x"]) == 2
    assert "不是监管部门" in capsys.readouterr().err
    assert main(["webhook", "set", "--department", "市场监管局"]) == 2
    assert main(["webhook", "rotate", "--department", "生态环境局"]) == 2
    assert "尚未登记" in capsys.readouterr().err
    assert db.scalar("SELECT count(*) FROM webhook_subscription") == 0


def test_webhook_retry_requeues_failed_events(db, capsys):
    sm = db.scalar("SELECT id FROM department WHERE name = '市场监管局'")
    assert main(["webhook", "set", "--department", "市场监管局", "--url", "http://127.0.0.1:9/hook"]) == 0
    assert main(["webhook", "retry"]) == 0
    assert "没有投递失败" in capsys.readouterr().out
    from tests.test_push_service import record

    record(db, case_no="CLI-WH-1", code="SC-001")
    eid = db.scalar("SELECT max(id) FROM outbox_event WHERE department_id = ? AND state = 'pending'", [sm])
    assert eid is not None
    db.write(lambda cur: cur.execute("UPDATE outbox_event SET state = 'failed', attempts = 30 WHERE id = ?", [eid]))
    assert main(["webhook", "retry", "--department", "市场监管局"]) == 0
    assert "已重新排队 1 个" in capsys.readouterr().out
    assert db.one("SELECT state, attempts FROM outbox_event WHERE id = ?", [eid]) == ("pending", 0)
