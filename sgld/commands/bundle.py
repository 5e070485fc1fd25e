"""`manage.py bundle DEST`: an offline installation folder for an intranet
server with no internet — the app's tracked files, every wheel it needs
(`pip download`, for this platform and Python), and `install.sh`, which
installs from the wheels with `pip --no-index`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

INSTALL = """#!/usr/bin/env bash
# Offline install of 审管联动系统: no network needed.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv app/.venv
app/.venv/bin/pip install --no-index --find-links wheels -r app/{req}
echo "已安装。启动：cd app && .venv/bin/streamlit run server.py（生产模式请先设置 SGLD_MODE=production 与 SGLD_COOKIE_KEY，并执行 .venv/bin/python manage.py init 与 create-admin）"
"""


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in out.stdout.splitlines() if f]


def build(dest: Path, *, dev: bool = False) -> Path:
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} 已存在且不为空。")
    app = dest / "app"
    for rel in tracked_files():
        src = ROOT / rel
        if src.is_file():
            (app / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, app / rel)
    req = "requirements-dev.txt" if dev else "requirements.txt"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--disable-pip-version-check",
            "-d",
            str(dest / "wheels"),
            "-r",
            str(ROOT / req),
        ],
        check=True,
        cwd=ROOT,
    )
    script = dest / "install.sh"
    script.write_text(INSTALL.format(req=req))
    script.chmod(0o755)
    return dest


def run(args) -> int:
    try:
        dest = build(Path(args.dest), dev=args.dev)
    except (FileExistsError, subprocess.CalledProcessError) as exc:
        print(f"打包失败：{exc}", file=sys.stderr)
        return 1
    wheels = len(list((dest / "wheels").iterdir()))
    print(f"离线安装包已生成：{dest}（{wheels} 个安装包）。在内网服务器上运行 {dest}/install.sh")
    return 0


def register(sub) -> None:
    s = sub.add_parser("bundle", help="生成离线安装包（程序 + 全部依赖 wheel + install.sh）")
    s.add_argument("dest", help="输出目录（须为空或不存在）")
    s.add_argument("--dev", action="store_true", help="同时包含测试依赖")
    s.set_defaults(fn=run)
