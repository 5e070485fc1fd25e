"""Deployment settings.

Every setting is an environment variable prefixed ``SGLD_``.  The variables
override an optional TOML settings file (``SGLD_CONFIG``, default
``sgld.toml`` in the working directory) whose keys are the lower-case names
without the prefix (``db = "/srv/sgld/sgld.duckdb"``).  Business parameters
that an administrator changes at run time (thresholds, time limits) live in
the database table ``setting`` instead; see :mod:`sgld.services.org`.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

# name -> (default, description); README.md documents the same list.
SPEC: dict[str, tuple[str, str]] = {
    "DB": ("data/sgld.duckdb", "数据库：DuckDB 数据库文件路径，或 PostgreSQL 连接地址 postgresql://用户@主机/库名"),
    "DATA_DIR": ("data", "附件、生成文书、备份的存放目录"),
    "MODE": ("demo", "demo（演示，首次启动生成演示数据）或 production（生产）"),
    "APP_TITLE": ("审管联动系统", "系统名称"),
    "CITY": ("南通市", "城市名称"),
    "BUREAU_NAME": ("", "审批局全称，默认为 <城市>行政审批局"),
    "COOKIE_KEY": ("", "登录 Cookie 签名密钥；生产模式必填（至少 32 个字符）"),
    "AUDIT_KEY": ("", "操作日志签名密钥（HMAC）；生产模式必填（至少 32 个字符），不得存入数据库"),
    "AUDIT_KEYS_OLD": ("", "轮换前使用过的操作日志签名密钥，逗号分隔；只用于校验旧记录"),
    "COOKIE_NAME": ("sgld_auth", "登录 Cookie 名称"),
    "IDLE_MINUTES": ("30", "会话空闲超时（分钟）"),
    "LOCK_ATTEMPTS": ("5", "连续登录失败多少次后锁定"),
    "LOCK_MINUTES": ("15", "锁定时长（分钟）"),
    "UPLOAD_MAX_MB": ("20", "单个上传文件大小上限（MB）"),
    "BACKUP_DIR": ("", "自动备份目录，默认为 <数据目录>/backups"),
    "BACKUP_KEEP": ("14", "自动备份保留份数"),
    "BACKUP_HOUR": ("2", "每日自动备份的时刻（0–23 点）；-1 关闭自动备份"),
    "PENALTY_MAX_BAD_SHARE": (
        "0.5",
        "行政处罚导入：前 10000 行中无法读取或无效的行超过此比例（0–1）时整批停止，记为失败",
    ),
    "PENALTY_SYNC_MINUTES": ("60", "行政处罚定时抽取间隔（分钟），0 为关闭"),
    "DB_THREADS": ("", "DuckDB 工作线程数；为空则等于 CPU 核数（小规模写入多时设为 1 可降低每条语句的开销）"),
    "MAINTENANCE": ("on", "维护线程（命令行备份请求、每日备份）：on 或 off（测试中关闭）"),
    # several app processes on PostgreSQL (issue 21; sgld/leader.py)
    "LEADER_RETRY_SECONDS": (
        "5",
        "多进程部署：后台任务（定时抽取、事件推送、维护）只在持有主进程锁的进程运行，其他进程每隔多少秒尝试接管",
    ),
    # single sign-on (issue 8; see docs/deployment.md and sgld/services/sso.py)
    "SSO_MODE": ("off", "统一身份认证登录：off（仅本地账号）、both（与本地账号并存）、only（只用统一身份认证）"),
    "SSO_CLAIM": ("preferred_username", "用哪个身份声明（claim）对应本地账号，如 preferred_username、email、sub"),
    "SSO_AUTO_CREATE": ("false", "统一身份认证用户无本地账号时是否自动创建（无角色，待管理员分配）"),
    "SSO_DEPARTMENT": ("", "自动创建的账号所属部门名称，默认为审批局"),
    "SSO_CONTACT": ("", "未开通账号时提示用户联系的人或部门（可含电话），默认为 <审批局全称>系统管理员"),
    "SSO_LABEL": ("统一身份认证登录", "统一身份认证登录按钮的文字"),
    "CONTACT_PHONE": ("", "公文联系电话（联系人账号未填写电话时使用，如审批局办公室电话）"),
    # outbound webhooks (issue 18; see docs/webhooks.md and sgld/webhook.py)
    "WEBHOOK": ("on", "部门系统事件推送（Webhook）投递线程：on 或 off（off 时事件仍写入推送队列，可拉取，恢复后补投）"),
    "WEBHOOK_KEY": (
        "",
        "事件推送签名密钥的主密钥（至少 32 个字符，不得存入数据库）；生产模式登记接收地址前必填，更换后所有部门的签名密钥随之改变",
    ),
    "WEBHOOK_TIMEOUT_SECONDS": ("5", "事件推送单次投递的超时（秒）"),
    "WEBHOOK_MAX_ATTEMPTS": ("30", "事件推送连续投递失败多少次后标记为投递失败（管理员可重试）"),
    "WEBHOOK_BACKOFF_SECONDS": ("2", "事件推送首次重试前的等待（秒），此后每次加倍"),
    "WEBHOOK_BACKOFF_MAX_SECONDS": ("300", "事件推送重试等待的上限（秒）"),
    "WEBHOOK_POLL_SECONDS": (
        "10",
        "事件推送投递线程在无事可做时复查队列的最长间隔（秒）；新事件、管理员重试和退避到期时立即处理",
    ),
    "TRUSTED_HEADER": ("", "反向代理可信请求头名称（如 X-Remote-User）；为空则关闭，只在绑定 127.0.0.1 时生效"),
    # liaison letters (issue 5; sgld/services/liaison/letters.py)
    "LIAISON_LETTER_PREFIX": ("通审批联函", "联络员商请函编号的前缀"),
    # inbound API (issue 17; see docs/api.md and web/api/)
    "API_KEY": ("", "接口客户端密钥的派生主密钥（至少 32 个字符，不得存入数据库）；为空则由登录 Cookie 密钥派生"),
    "API_MAX_BODY_MB": ("24", "接口请求体大小上限（MB），须低于反向代理的 client_max_body_size（25m）"),
}

# Settings whose values are keys: Settings.raw (what the admin's 部署配置 table
# shows) holds "******" for them; Settings.get still returns the value.
SECRET_KEYS = frozenset({"COOKIE_KEY", "AUDIT_KEY", "AUDIT_KEYS_OLD", "WEBHOOK_KEY", "API_KEY"})


@dataclass(frozen=True)
class Settings:
    db: Path | None  # the DuckDB file; None when db_url names a PostgreSQL server
    data_dir: Path
    mode: str
    app_title: str
    city: str
    bureau_name: str
    cookie_key: str = field(repr=False)
    cookie_name: str
    idle_minutes: int
    lock_attempts: int
    lock_minutes: int
    upload_max_mb: int
    raw: dict = field(default_factory=dict, compare=False)  # secrets masked (SECRET_KEYS)
    secret_values: dict = field(default_factory=dict, compare=False, repr=False)
    audit_key: str = field(default="", repr=False)
    audit_keys_old: tuple = field(default=(), repr=False)
    db_url: str = field(default="", repr=False)  # postgresql:// URL (may hold a password)

    @property
    def db_target(self) -> str:
        """What the database setting names: the file path or the URL."""
        return self.db_url or str(self.db)

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    def get(self, name: str, default: str = "") -> str:
        """Any other SGLD_ setting (used by later features)."""
        name = name.upper()
        if name in SECRET_KEYS:
            return self.secret_values.get(name, default)
        return self.raw.get(name, default)


def _file_values() -> dict[str, str]:
    path = Path(os.environ.get("SGLD_CONFIG", "sgld.toml"))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {str(k).upper(): str(v) for k, v in data.items()}


def _int(values: dict, name: str) -> int:
    try:
        value = int(values[name])
    except ValueError as exc:
        raise ConfigError(f"配置项 SGLD_{name} 应为整数，当前为 {values[name]!r}") from exc
    if value <= 0:
        raise ConfigError(f"配置项 SGLD_{name} 应为正整数")
    return value


def _abs(p: str) -> Path:
    path = Path(p)
    return path if path.is_absolute() else (ROOT / path)


PG_SCHEMES = ("postgresql://", "postgres://")


def is_db_url(value: str) -> bool:
    """A PostgreSQL connection URL rather than a DuckDB file path."""
    return value.strip().lower().startswith(PG_SCHEMES)


def masked_db_url(url: str) -> str:
    """The URL with its password (if any) replaced by ``******``."""
    return re.sub(r"^([a-z]+://[^:/@]*):[^@]*@", r"\1:******@", url, flags=re.I)


def _demo_cookie_key(data_dir: Path, name: str = ".cookie_key") -> str:
    """Demo mode only: a random key kept in the data folder (never in the repo)."""
    key_file = data_dir / name
    if key_file.is_file():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load() -> Settings:
    values = {k: v[0] for k, v in SPEC.items()}
    values.update(_file_values())
    for key, val in os.environ.items():
        if key.startswith("SGLD_") and key != "SGLD_CONFIG":
            values[key[5:]] = val
    mode = values["MODE"].strip().lower()
    if mode not in ("demo", "production"):
        raise ConfigError("SGLD_MODE 只能是 demo 或 production")
    data_dir = _abs(values["DATA_DIR"])
    cookie_key = values["COOKIE_KEY"].strip()
    if not cookie_key:
        if mode == "production":
            raise ConfigError("生产模式必须设置 SGLD_COOKIE_KEY（登录 Cookie 签名密钥，至少 32 个字符）")
        cookie_key = _demo_cookie_key(data_dir)
    elif len(cookie_key) < 32:
        raise ConfigError("SGLD_COOKIE_KEY 至少需要 32 个字符")
    audit_key = values["AUDIT_KEY"].strip()
    if not audit_key:
        if mode == "production":
            raise ConfigError("生产模式必须设置 SGLD_AUDIT_KEY（操作日志签名密钥，至少 32 个字符）")
        audit_key = _demo_cookie_key(data_dir, ".audit_key")
    elif len(audit_key) < 32:
        raise ConfigError("SGLD_AUDIT_KEY 至少需要 32 个字符")
    if 0 < len(str(values.get("API_KEY", "")).strip()) < 32:
        raise ConfigError("SGLD_API_KEY（接口客户端密钥的派生密钥）至少需要 32 个字符")
    old = tuple(k.strip() for k in values["AUDIT_KEYS_OLD"].split(",") if k.strip())
    city = values["CITY"].strip() or "南通市"
    db_url = values["DB"].strip() if is_db_url(values["DB"]) else ""
    return Settings(
        db=None if db_url else _abs(values["DB"]),
        data_dir=data_dir,
        mode=mode,
        app_title=values["APP_TITLE"].strip() or "审管联动系统",
        city=city,
        bureau_name=values["BUREAU_NAME"].strip() or f"{city}行政审批局",
        cookie_key=cookie_key,
        cookie_name=values["COOKIE_NAME"].strip() or "sgld_auth",
        idle_minutes=_int(values, "IDLE_MINUTES"),
        lock_attempts=_int(values, "LOCK_ATTEMPTS"),
        lock_minutes=_int(values, "LOCK_MINUTES"),
        upload_max_mb=_int(values, "UPLOAD_MAX_MB"),
        raw={
            k: ("******" if k in SECRET_KEYS and str(v).strip() else masked_db_url(v) if k == "DB" and db_url else v)
            for k, v in values.items()
        },
        secret_values={k: v for k, v in values.items() if k in SECRET_KEYS},
        audit_key=audit_key,
        audit_keys_old=old,
        db_url=db_url,
    )


_cached: Settings | None = None


def get() -> Settings:
    global _cached
    if _cached is None:
        _cached = load()
    return _cached


def reset() -> None:
    """Forget the cached settings (tests change the environment)."""
    global _cached
    _cached = None
    from sgld import audit

    audit.forget_keys()
