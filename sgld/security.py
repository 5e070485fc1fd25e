"""Actors, roles and the permission checks every service function calls."""

from __future__ import annotations

from dataclasses import dataclass

from sgld.errors import PermissionDenied

ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "leader": "领导",
    "approver": "审批局经办人",
    "supervisor": "监管部门工作人员",
    "liaison": "联络员",
}

DEPT_KINDS: dict[str, str] = {
    "bureau": "审批局",
    "supervision": "监管部门",
    "licensing": "其他许可部门",
    "government": "市政府",
}


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    department_id: int
    department_name: str
    department_kind: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        """``leader`` and ``admin`` see every department's data."""
        return self.has("leader", "admin")

    @property
    def role_names(self) -> str:
        return "、".join(ROLES[r] for r in ROLES if r in self.roles)


def require(actor: Actor | None, *roles: str, action: str = "执行此操作") -> Actor:
    """Raise :class:`PermissionDenied` unless the actor holds one of ``roles``."""
    if actor is None:
        raise PermissionDenied("请先登录。")
    if not actor.has(*roles):
        need = "、".join(ROLES[r] for r in roles)
        raise PermissionDenied(f"您没有权限{action}：需要{need}角色。")
    return actor


def require_department(actor: Actor, department_id: int, action: str = "操作其他部门的数据") -> None:
    """Supervisors and liaisons act on their own department's data only."""
    if actor.department_id != department_id:
        raise PermissionDenied(f"您没有权限{action}：只能处理本部门（{actor.department_name}）的数据。")


# Pages and the roles that may open them (the UI and the tests share this).
PAGES: dict[str, tuple[str, frozenset[str]]] = {
    "home": ("首页", frozenset(ROLES)),
    "push": ("审批推送", frozenset({"admin", "leader", "approver", "supervisor"})),
    "supervise": ("监管录入", frozenset({"admin", "leader", "approver", "supervisor"})),
    "review": ("专项审查", frozenset({"admin", "leader", "approver", "supervisor"})),
    "liaison": ("联络员", frozenset({"admin", "leader", "approver", "supervisor", "liaison"})),
    "profile": ("企业画像", frozenset({"admin", "leader", "approver", "supervisor"})),
    "account": ("账号设置", frozenset(ROLES)),
    "admin": ("系统管理", frozenset({"admin"})),
}


def visible_pages(actor: Actor) -> list[str]:
    return [key for key, (_, roles) in PAGES.items() if actor.has(*roles)]
