"""``import-penalties PATH...`` and ``sync-penalties``: penalty extraction
from the command line.  Both end with one line
``read=N imported=N duplicates=N quarantined=N`` and exit 0 when the run
completed (even with quarantined rows), 1 when it failed."""

from __future__ import annotations

import sys
from pathlib import Path

from sgld.errors import SgldError


def cmd_import(args) -> int:
    from db.connection import get_db
    from sgld.services import penalty

    files = []
    for p in args.paths:
        path = Path(p)
        if path.is_dir():
            found = [
                (f.name, str(f))
                for f in sorted(path.iterdir())
                if f.is_file() and f.suffix.lower() in (".csv", ".xlsx")
            ]
            if not found:
                print(f"导入失败：目录“{path}”中没有 .csv 或 .xlsx 文件。", file=sys.stderr)
                print(penalty.summary_line([]))
                return 1
            files += found
        else:
            files.append((path.name, str(path)))
    try:
        get_db()
        result = penalty.import_files(None, files, source=args.source, trigger="命令行")
    except SgldError as exc:
        print(f"导入失败：{exc}", file=sys.stderr)
        print(penalty.summary_line([]))
        return 1
    except OSError as exc:
        print(f"导入失败：无法读取文件 {exc.filename or ''}：{exc.strerror or exc}", file=sys.stderr)
        print(penalty.summary_line([]))
        return 1
    print(
        f"批次 {result['run_id']}（数据源 {result['source']}）完成；新建企业 {result['enterprises_created']} 家。",
        file=sys.stderr,
    )
    print(penalty.summary_line([result]))
    return 0


def cmd_sync(args) -> int:
    from db.connection import get_db
    from sgld.services import penalty

    try:
        get_db()
        if args.source:
            results = [penalty.sync_source(None, args.source, trigger="命令行")]
        else:
            results = penalty.sync_all(None, trigger="命令行")
    except SgldError as exc:
        print(f"同步失败：{exc}", file=sys.stderr)
        print(penalty.summary_line([]))
        return 1
    failed = [r for r in results if r.get("status") != "完成"]
    for r in results:
        state = r.get("status")
        extra = f"：{r['error']}" if r.get("error") else ""
        print(f"数据源 {r['source']}：{state}{extra}", file=sys.stderr)
    if not results:
        print("没有启用的数据源。", file=sys.stderr)
    print(penalty.summary_line(results))
    return 1 if failed else 0


def register(sub) -> None:
    s = sub.add_parser("import-penalties", help="从 .csv/.xlsx 文件（双公示行政处罚格式）导入行政处罚")
    s.add_argument("paths", nargs="+", metavar="PATH", help="文件或目录（目录下的 .csv/.xlsx 全部导入）")
    s.add_argument("--source", default="文件导入", help="数据源名称（同一数据源内按决定书文号去重）")
    s.set_defaults(fn=cmd_import)
    s = sub.add_parser("sync-penalties", help="从已配置的数据源（行权系统）增量抽取行政处罚")
    s.add_argument("--source", help="只同步这一个数据源")
    s.set_defaults(fn=cmd_sync)
