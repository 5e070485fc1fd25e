"""Login, lockout, passwords and the per-user session version."""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import NoReturn

import bcrypt

from db.connection import get_db
from sgld import audit, clock, settings
from sgld.errors import AuthError, NotFound, ValidationError
from sgld.security import Actor
from sgld.validate import password_problem

BCRYPT_ROUNDS = 11  # ~0.16 s on the 2-core server: login stays well under 0.5 s
BAD_LOGIN = "用户名或密码错误，或账号已停用。"


def locked_message(minutes_left: int) -> str:
    return f"连续登录失败次数过多，账号已锁定，请 {minutes_left} 分钟后再试，或联系系统管理员解锁。"


_dummy_hash: str | None = None


def _stand_in_hash() -> str:
    """Compared against when the username does not exist.  It has the same cost
    as a real hash, so the time of a refusal does not tell whether the user
    exists; made on first use so importing this module stays cheap."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def check_password(password: str, hashed: str | None) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), (hashed or _stand_in_hash()).encode())
    except ValueError:
        return False


def generate_password() -> str:
    """A random password that satisfies the strength rule."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        pw = body + secrets.choice("@#%&*") + secrets.choice(string.digits)
        if password_problem(pw) is None:
            return pw


def load_actor(user_id: int) -> Actor | None:
    """The active user as an Actor, or None (deactivated or missing)."""
    rows = get_db().all(
        "SELECT u.id, u.username, u.display_name, u.department_id, d.name, d.kind, r.role"
        " FROM app_user u JOIN department d ON d.id = u.department_id"
        " LEFT JOIN user_role r ON r.user_id = u.id"
        " WHERE u.id = ? AND u.active",
        [user_id],
    )
    if not rows:
        return None
    r = rows[0]
    return Actor(r[0], r[1], r[2], r[3], r[4], r[5], frozenset(x[6] for x in rows if x[6] is not None))


def actor_by_username(username: str) -> Actor | None:
    uid = get_db().scalar("SELECT id FROM app_user WHERE username = ?", [username])
    return load_actor(uid) if uid is not None else None


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))  # rounded up


def authenticate(username: str, password: str) -> Actor:
    """Check a password login.  Counts failures; ``lock_attempts`` failures in
    a row lock the account for ``lock_minutes``.

    What a refusal reveals: a wrong password, an unknown username and a
    deactivated account all get BAD_LOGIN.  A locked account gets a message
    that says so (the user must know to wait or to call the administrator) —
    and so that this message does not tell whether a username exists,
    failures for usernames without an account are counted and locked the
    same way (table ``login_failure``): an unknown name tried
    ``lock_attempts`` times answers "locked" exactly like a real one, with
    the same minutes left.  Timing is equalised by the stand-in hash."""
    cfg = settings.get()
    username = (username or "").strip().lower()
    if not username or not password:
        raise AuthError("请输入用户名和密码。")
    db = get_db()
    row = db.one(
        "SELECT id, password_hash, active, failed_attempts, locked_until FROM app_user WHERE username = ?", [username]
    )
    now = clock.now()
    if row is None:
        check_password(password, None)
        _unknown_failure(username, now, cfg)  # raises
    uid, pw_hash, active, failed, locked_until = row
    locked = locked_until is not None and locked_until > now
    ok = check_password(password, pw_hash) and active and not locked
    if ok:

        def success(cur):
            cur.execute("UPDATE app_user SET failed_attempts = 0, locked_until = NULL WHERE id = ?", [uid])
            audit.record(cur, _system_actor(uid, username), "login", "user", uid)

        db.write(success)
        actor = load_actor(uid)
        assert actor is not None
        return actor

    def failure(cur):
        # re-read inside the lock so concurrent failures all count
        n, lu = cur.execute("SELECT failed_attempts, locked_until FROM app_user WHERE id = ?", [uid]).fetchone()
        if lu is not None and lu > now:
            audit.record(cur, _system_actor(uid, username), "login_refused_locked", "user", uid)
            return lu
        n = (0 if lu is not None else n) + 1  # an expired lock starts a fresh count
        new_lock = now + timedelta(minutes=cfg.lock_minutes) if n >= cfg.lock_attempts else None
        # the count stays while locked (the user list shows 锁定 with its failures)
        cur.execute("UPDATE app_user SET failed_attempts = ?, locked_until = ? WHERE id = ?", [n, new_lock, uid])
        reason = "inactive" if not active else "bad_password"
        audit.record(
            cur,
            _system_actor(uid, username),
            "login_failed",
            "user",
            uid,
            after={"reason": reason, "failed_attempts": n},
        )
        if new_lock:
            audit.record(cur, _system_actor(uid, username), "lock", "user", uid, after={"locked_until": new_lock})
        return new_lock

    until = db.write(failure)
    if until is not None:
        raise AuthError(locked_message(_minutes_left(until, now)))
    raise AuthError(BAD_LOGIN)


def _unknown_failure(username: str, now: datetime, cfg) -> NoReturn:
    """Count a failure for a username without an account, exactly as for an
    account, and raise the same AuthError an account would get."""

    def tx(cur):
        row = cur.execute(
            "SELECT failed_attempts, locked_until FROM login_failure WHERE username = ?", [username]
        ).fetchone()
        n, lu = row if row else (0, None)
        if lu is not None and lu > now:
            return lu
        n = (0 if lu is not None else n) + 1
        new_lock = now + timedelta(minutes=cfg.lock_minutes) if n >= cfg.lock_attempts else None
        cur.execute(
            "INSERT INTO login_failure (username, failed_attempts, locked_until,"
            " last_failed_at) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET"
            " failed_attempts = excluded.failed_attempts,"
            " locked_until = excluded.locked_until, last_failed_at = excluded.last_failed_at",
            [username, n, new_lock, now],
        )
        # rows of names nobody tried for a day go (the table stays small)
        cur.execute("DELETE FROM login_failure WHERE last_failed_at < ?", [now - timedelta(days=1)])
        return new_lock

    until = get_db().write(tx)
    if until is not None:
        raise AuthError(locked_message(_minutes_left(until, now)))
    raise AuthError(BAD_LOGIN)


def _system_actor(uid: int, username: str):
    class _A:  # minimal stand-in for audit: who tried to log in
        user_id = uid
        department_name = None

    a = _A()
    a.username = username  # type: ignore[attr-defined]
    return a


# The login cookie outlives the idle timeout by COOKIE_GRACE_MINUTES so that a
# browser coming back after the timeout (a new session: the tab was closed,
# the connection dropped) can still be told why it was logged out.  The grace
# adds no access: a cookie whose last activity is older than the idle timeout
# is refused (by the login gate and by the download route), whatever its own
# expiry says.
COOKIE_GRACE_MINUTES = 8 * 60


def cookie_minutes(idle_minutes: int) -> float:
    """Lifetime given to the login cookie each time it is (re)set."""
    return idle_minutes + COOKIE_GRACE_MINUTES


def cookie_last_active(expires: datetime, idle_minutes: int) -> datetime:
    """When the cookie was (re)set, i.e. the user's last activity it knows."""
    return expires - timedelta(minutes=cookie_minutes(idle_minutes))


def cookie_idle(expires: datetime, now: datetime, idle_minutes: int) -> bool:
    return now - cookie_last_active(expires, idle_minutes) > timedelta(minutes=idle_minutes)


def session_valid(user_id: int, issued_at: datetime) -> bool:
    """True when the user is active and the session (or cookie) was issued
    after the user's session version (bumped by logout, password change,
    reset and deactivation)."""
    row = get_db().one("SELECT active, session_valid_from FROM app_user WHERE id = ?", [user_id])
    return bool(row and row[0] and issued_at >= row[1])


def logout(actor: Actor) -> None:
    """End every session of this user: old cookies no longer log in."""

    def tx(cur):
        cur.execute("UPDATE app_user SET session_valid_from = ? WHERE id = ?", [clock.now(), actor.user_id])
        audit.record(cur, actor, "logout", "user", actor.user_id)

    get_db().write(tx)


def change_own_password(actor: Actor, old: str, new: str, confirm: str | None = None) -> None:
    db = get_db()
    pw_hash = db.scalar("SELECT password_hash FROM app_user WHERE id = ? AND active", [actor.user_id])
    if pw_hash is None:
        raise NotFound("账号不存在或已停用。")
    if not check_password(old or "", pw_hash):
        raise ValidationError("原密码不正确。", field="old")
    if confirm is not None and new != confirm:
        raise ValidationError("两次输入的新密码不一致。", field="confirm")
    why = password_problem(new or "")
    if why:
        raise ValidationError(f"新密码强度不足：{why}。", field="new")
    if new == old:
        raise ValidationError("新密码不能与原密码相同。", field="new")
    new_hash = hash_password(new)

    def tx(cur):
        cur.execute(
            "UPDATE app_user SET password_hash = ?, session_valid_from = ?, updated_at = ?,"
            " must_change_password = FALSE WHERE id = ?",
            [new_hash, clock.now(), clock.now(), actor.user_id],
        )
        audit.record(cur, actor, "change_password", "user", actor.user_id)

    db.write(tx)


def must_change_password(user_id: int) -> bool:
    """True while the user still has a password an administrator issued
    (initial or reset): only the change-password form is shown."""
    return bool(get_db().scalar("SELECT coalesce(must_change_password, FALSE) FROM app_user WHERE id = ?", [user_id]))
