"""``api-client create|list|revoke|rotate|disable|enable``: the API clients
of the HTTP interface (docs/api.md).  A secret is printed once, at
``create`` and ``rotate``; it is never stored."""

from __future__ import annotations

import sys


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").replace("，", ",").split(",") if x.strip()]


def _print_secret(made: dict, verb: str) -> None:
    print(f"已{verb}接口客户端“{made['name']}”（编号 {made['id']}）。")
    print(f"X-Sgld-Key: {made['key_id']}")
    print(f"密钥（只显示这一次，请立即交给对接系统保管）：{made['secret']}")
    print(f"密钥指纹：{made['fingerprint']}")


def cmd(args) -> int:
    from db.connection import get_db
    from sgld.services import api_clients as ac

    db = get_db()
    if args.action == "create":
        if not args.name or not args.department:
            print("错误：create 需要 --name 和 --department。", file=sys.stderr)
            return 2
        dept = db.scalar("SELECT id FROM department WHERE name = ?", [args.department])
        if dept is None:
            print(f"错误：部门“{args.department}”不存在。", file=sys.stderr)
            return 2
        made = ac.create(
            None,
            name=args.name,
            department_id=dept,
            roles=_split(args.roles),
            scopes=_split(args.scopes) or list(ac.SCOPES),
            rate_per_minute=args.rate,
            note=args.note,
        )
        _print_secret(made, "登记")
        return 0
    if args.action == "list":
        rows = ac.list_clients(None)
        if not rows:
            print("尚未登记接口客户端。")
        for r in rows:
            print(
                f"{r['id']}\t{r['name']}\t{r['key_id']}\t{r['department']}\t"
                f"{','.join(r['roles'])}\t{','.join(r['scopes'])}\t{r['rate_per_minute']}/分钟\t"
                f"{ac.STATUSES[r['status']]}\t指纹 {r['fingerprint']}"
            )
        return 0
    if not args.name:
        print(f"错误：{args.action} 需要 --name（名称、编号或 X-Sgld-Key）。", file=sys.stderr)
        return 2
    if args.action == "rotate":
        _print_secret(ac.rotate(None, args.name), "更换密钥：")
        return 0
    status = {"revoke": "revoked", "disable": "disabled", "enable": "active"}[args.action]
    ac.set_status(None, args.name, status)
    print(f"接口客户端“{args.name}”已{ac.STATUSES[status]}。")
    return 0


def register(sub) -> None:
    s = sub.add_parser("api-client", help="接口客户端：登记、列出、吊销、更换密钥、停用、启用")
    s.add_argument("action", choices=["create", "list", "revoke", "rotate", "disable", "enable"])
    s.add_argument("--name", help="客户端名称（revoke/rotate/disable/enable 也可用编号或 X-Sgld-Key）")
    s.add_argument("--department", help="所属部门名称（create）")
    s.add_argument("--roles", default="", help="角色，逗号分隔：approver、supervisor（create）")
    s.add_argument(
        "--scopes",
        default="",
        help="接口权限，逗号分隔：cases、penalties、pushes、inspections、revocations、events（create，默认全部）",
    )
    s.add_argument("--rate", type=int, default=None, help="每分钟请求上限（默认 600）")
    s.add_argument("--note", default=None, help="备注")
    s.set_defaults(fn=cmd)
