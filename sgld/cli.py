"""Command line: ``python manage.py <command>`` (or ``python -m sgld``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time

from sgld.errors import SgldError


def _db():
    from db.connection import get_db

    return get_db()


def cmd_init(args) -> int:
    from db.connection import open_database
    from db.migrate import migrate
    from sgld import settings

    db = open_database()
    applied = migrate(db)
    db.close()
    cfg = settings.get()
    shown = settings.masked_db_url(cfg.db_url) if cfg.db_url else cfg.db
    print(f"数据库 {shown}：" + (f"已应用迁移 {', '.join(applied)}" if applied else "已是最新，无需迁移"))
    return 0


def _scale(raw: str) -> int | None:
    try:
        n = int(str(raw).strip())
    except ValueError:
        return None
    return n if n >= 1 else None


def cmd_demo(args) -> int:
    from sgld import demo

    scale = _scale(args.scale)
    if scale is None:
        print(f"错误：--scale 应为不小于 1 的整数（数据量倍数），当前为 {args.scale!r}。", file=sys.stderr)
        return 2
    args.scale = scale
    _db()
    t = time.perf_counter()
    counts = demo.load(scale=scale)
    print(f"已载入演示数据（规模 {args.scale}），用时 {time.perf_counter() - t:.1f} 秒：")
    for table, n in counts.items():
        print(f"  {table}: {n}")
    print(f"演示账号密码：{demo.DEMO_PASSWORD}")
    return 0


def cmd_create_admin(args) -> int:
    from sgld.services.org import create_user

    db = _db()
    if args.department:
        dept = db.scalar("SELECT id FROM department WHERE name = ?", [args.department])
        if dept is None:
            print(f"部门“{args.department}”不存在。", file=sys.stderr)
            return 1
    else:
        from sgld import settings

        name = settings.get().bureau_name
        dept = db.scalar("SELECT id FROM department WHERE name = ?", [name])
        if dept is None:
            dept = db.write(lambda cur: _create_bureau(cur, name))
    password = None
    if not args.generate:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("新管理员密码：")
            if getpass.getpass("再次输入：") != password:
                print("两次输入的密码不一致。", file=sys.stderr)
                return 1
    uid, pw = create_user(None, args.username, args.name, dept, ["admin"], password, bootstrap=True)
    print(f"已创建系统管理员 {args.username}（编号 {uid}）。")
    if args.generate:
        print(f"初始密码（只显示这一次，请登录后立即修改）：{pw}")
    return 0


def _create_bureau(cur, name):
    from sgld import audit, clock

    did = cur.execute(
        "INSERT INTO department (name, kind, created_at) VALUES (?, 'bureau', ?) RETURNING id", [name, clock.now()]
    ).fetchone()[0]
    audit.record(cur, None, "create", "department", did, after={"name": name, "kind": "bureau"})
    return did


def cmd_verify_audit(args) -> int:
    from sgld import audit

    rep = audit.check(_db())
    if rep.ok:
        print(rep.message)
        return 0
    if rep.first_bad is not None:
        print(f"BROKEN at id {rep.first_bad} (验证了 {rep.checked} 条，{rep.message})")
    elif rep.missing is not None:
        lo, hi = rep.missing
        print(f"MISSING ids {lo}-{hi} (验证了 {rep.checked} 条，{rep.message})")
    else:
        print(f"BROKEN (验证了 {rep.checked} 条，{rep.message})")
    return 1


def cmd_check_config(args) -> int:
    """Load the settings as the server does; run before it starts."""
    from sgld import settings

    cfg = settings.load()  # a ConfigError becomes one line and exit code 2
    print(f"配置检查通过（{'生产' if cfg.mode == 'production' else '演示'}模式）")
    return 0


def cmd_backup(args) -> int:
    """A consistent copy, taken by the running app when it holds the file."""
    from db.connection import Database
    from sgld import backup, settings
    from sgld.errors import DatabaseBusy

    t = time.perf_counter()
    cfg = settings.get()
    if cfg.db is None:
        print(backup.NOT_ON_POSTGRES, file=sys.stderr)
        return 2
    try:
        db = Database(cfg.db)
    except DatabaseBusy:
        print("系统正在运行，请求运行中的系统生成备份……")
        result = backup.request(args.dest, args.force)
        if not result["ok"]:
            print(f"备份失败：{result['error']}", file=sys.stderr)
            return 1
        print(f"已备份到 {result['path']}（{result['bytes'] / 1e6:.1f} MB，用时 {result['seconds']:.1f} 秒）")
        return 0
    try:
        dest = backup.snapshot(db, args.dest, force=args.force)
    except FileExistsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"已备份到 {dest}（{dest.stat().st_size / 1e6:.1f} MB，用时 {time.perf_counter() - t:.1f} 秒）")
    return 0


def cmd_restore(args) -> int:
    from sgld import backup

    try:
        r = backup.restore(args.src, force=args.force, actor=args.actor)
    except (FileExistsError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(
        f"已从 {args.src} 恢复数据库 {r['db']} 和 {r['attachments']} 个附件文件"
        f"（备份含操作日志 {r['backup_rows']} 条）。"
    )
    if r["dropped"]:
        print(
            f"注意：恢复前的数据库比该备份多 {r['dropped']} 条操作日志"
            f"（{r['live_rows']} 条对 {r['backup_rows']} 条），这些记录及其对应的改动不在恢复后的数据库中。"
        )
    if r["kept"]:
        print(f"被替换的数据库已保留为 {r['kept']}。")
    print("本次恢复已记入操作日志。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manage.py", description="审管联动系统 命令行")
    sub = p.add_subparsers(dest="command", required=True, metavar="命令")
    s = sub.add_parser("init", help="创建或升级数据库结构（可重复执行）")
    s.set_defaults(fn=cmd_init)
    s = sub.add_parser("demo", help="向空数据库载入演示数据")
    s.add_argument("--scale", default="1", help="数据量倍数（1 约为一个城市 18 个月的业务量）")
    s.set_defaults(fn=cmd_demo)
    s = sub.add_parser("create-admin", help="创建第一个系统管理员（生产模式）")
    s.add_argument("--username", default="admin")
    s.add_argument("--name", default="系统管理员", help="姓名")
    s.add_argument("--department", help="所属部门名称（默认审批局，不存在时自动创建）")
    s.add_argument("--generate", action="store_true", help="生成随机密码并只打印一次")
    s.set_defaults(fn=cmd_create_admin)
    s = sub.add_parser("check-config", help="检查配置（生产模式缺少密钥时失败），启动前运行")
    s.set_defaults(fn=cmd_check_config)
    s = sub.add_parser("verify-audit", help="校验操作日志哈希链")
    s.set_defaults(fn=cmd_verify_audit)
    s = sub.add_parser("backup", help="把数据库和全部附件一致地备份为一个文件 DEST（文件或目录）")
    s.add_argument("dest")
    s.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    s.set_defaults(fn=cmd_backup)
    s = sub.add_parser("restore", help="用备份文件 SRC 恢复数据库（系统须已停止）")
    s.add_argument("src")
    s.add_argument("--force", action="store_true", help="覆盖已存在的数据库")
    s.add_argument(
        "--actor", default=os.environ.get("USER") or "system", help="执行恢复的人（记入操作日志），默认为当前系统账号"
    )
    s.set_defaults(fn=cmd_restore)
    for command in commands():
        command.register(sub)
    return p


def commands() -> tuple:
    """The command modules of ``sgld/commands/`` (each ``register(sub)``),
    listed here; ``tests/test_registry.py`` fails when one is missing."""
    from sgld.commands import api_client, bundle, penalties, webhook, workflows

    return api_client, bundle, penalties, webhook, workflows


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except SgldError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"错误：无法读写文件：{exc.filename or ''} {exc.strerror or exc}", file=sys.stderr)
        return 2
