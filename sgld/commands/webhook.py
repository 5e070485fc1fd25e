"""``webhook list|set|rotate|pause|resume|retry``: the departments' event
receivers (docs/webhooks.md), the same functions as 系统管理 → 推送队列.
A new subscription's signing secret, and a rotated one, is printed once;
it is never stored."""

from __future__ import annotations

import sys


def _department(db, name: str | None) -> int | None:
    if not name:
        print("错误：需要 --department（部门名称）。", file=sys.stderr)
        return None
    did = db.scalar("SELECT id FROM department WHERE name = ?", [name.strip()])
    if did is None:
        print(f"错误：部门“{name}”不存在。", file=sys.stderr)
    return did


def _secret(secret: str, name: str) -> None:
    print(f"签名密钥（只显示这一次，请立即交给“{name}”保管）：{secret}")


def cmd(args) -> int:
    from db.connection import get_db
    from sgld.services import outbox

    db = get_db()
    if args.action == "list":
        for s in outbox.list_subscriptions(None):
            state = "未登记" if s["url"] is None else ("在用" if s["active"] else "停用")
            print(
                f"{s['department']}\t{state}\t{s['url'] or ''}\t"
                f"待投递 {s['pending']}\t失败 {s['failed']}\t已投递 {s['delivered']}"
                + (f"\t指纹 {s['secret_hint']}" if s["secret_hint"] else "")
            )
        return 0
    if args.action == "retry":
        if args.department:
            did = _department(db, args.department)
            if did is None:
                return 2
        else:
            did = None
        ids = [e["id"] for e in outbox.list_events(None, state="failed", department_id=did, limit=5000)]
        if not ids:
            print("没有投递失败的事件。")
            return 0
        print(f"已重新排队 {outbox.retry(None, ids)} 个投递失败的事件（服务运行时将按顺序投递）。")
        return 0
    did = _department(db, args.department)
    if did is None:
        return 2
    if args.action == "set":
        if not args.url:
            print("错误：set 需要 --url（事件接收地址）。", file=sys.stderr)
            return 2
        secret = outbox.register_webhook(None, did, args.url)
        print(f"已登记“{args.department}”的事件接收地址：{args.url.strip()}")
        if secret:
            _secret(secret, args.department)
        else:
            print("签名密钥不变（如需更换：webhook rotate）。")
        return 0
    if args.action == "rotate":
        _secret(outbox.rotate_secret(None, did), args.department)
        print("旧密钥已立即失效。")
        return 0
    outbox.set_webhook_active(None, did, args.action == "resume")
    print(f"“{args.department}”的事件推送已{'启用' if args.action == 'resume' else '停用（事件继续排队）'}。")
    return 0


def register(sub) -> None:
    s = sub.add_parser(
        "webhook", help="部门事件接收地址（webhook）：列出、登记或更改地址、更换签名密钥、停用、启用、重试失败的投递"
    )
    s.add_argument("action", choices=["list", "set", "rotate", "pause", "resume", "retry"])
    s.add_argument("--department", help="部门名称（list 以外必填；retry 不填则重试全部部门）")
    s.add_argument("--url", help="事件接收地址，http:// 或 https:// 开头（set）")
    s.set_defaults(fn=cmd)
