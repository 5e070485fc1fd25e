"""`manage.py workflows`: write docs/workflows.md, the state diagrams drawn
from the workflow tables in ``sgld.workflows`` (``--check``: only say whether
the file is up to date)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = ROOT / "docs" / "workflows.md"


def run(args) -> int:
    from sgld import workflows

    text = workflows.markdown()
    path = Path(args.out)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} 与 sgld/workflows.py 中的流程表不一致，请运行 python -m sgld workflows。", file=sys.stderr)
            return 1
        print(f"{path} 与流程表一致。")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"已写入 {path}（{len(workflows.WORKFLOWS)} 个流程的状态图）。")
    return 0


def register(sub) -> None:
    s = sub.add_parser("workflows", help="由流程表生成 docs/workflows.md（状态图）")
    s.add_argument("--out", default=str(DOC), help="输出文件（默认 docs/workflows.md）")
    s.add_argument("--check", action="store_true", help="只检查文件是否与流程表一致")
    s.set_defaults(fn=run)
