"""警示名单 (warning list): section 一 of the notice — "市行政审批局根据监管信息
建立警示名单".

The list is built from supervision information by explicit rules whose
thresholds the admin sets (business settings, see ``RULE_SETTINGS``):

* ``big_penalty``   a penalty with a fine ≥ ``warning_fine_wan`` 万元, or whose
  category contains one of ``warning_penalty_categories`` (吊销, 责令停产停业);
* ``penalty_count`` ≥ ``warning_penalty_count`` penalties decided in the last
  ``warning_penalty_months`` months (each of them is a hit);
* ``inspection``    an inspection with a result in ``warning_inspection_results``
  (立案查处);
* ``revoked``       a licence 已撤销 or 已吊销 (``warning_revoked_licence``).

:func:`recompute` evaluates all rules in set-based SQL (one temporary table
of candidate hits, three statements) and brings ``warning_entry`` /
``warning_hit`` up to date:

1. an enterprise with a hit and no open (在列) entry gets a new entry —
   unless every one of its hits was already on an entry an approver lifted
   by hand (a lift holds until a *new* record qualifies: re-listing);
2. new hits are added to open entries (hits are history; never deleted);
3. an open entry made by the rules whose enterprise no longer has any hit
   (thresholds raised, the count window moved on) is lifted by the system.

It runs after every penalty sync (``on_penalty_sync``), inspection
(``on_inspection_saved``), revocation decision (inside its transaction),
manual listing and rule change, and lazily when the list is read on a new
day or under changed settings (:func:`ensure_current`).  Approvers add
enterprises by hand and lift entries, each with a reason (audited).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

import pandas as pd

from db.connection import get_db
from db.sql import number_text, replace_temp_table
from sgld import audit, clock, likes, uscc
from sgld import validate as v
from sgld.errors import NotFound, PermissionDenied, StateError, ValidationError
from sgld.export import to_xlsx
from sgld.likes import ESC
from sgld.security import Actor, require

LISTED, LIFTED = "在列", "已解除"
RULE_LABELS = {
    "big_penalty": "重大行政处罚",
    "penalty_count": "多次行政处罚",
    "inspection": "检查发现违法（立案查处）",
    "revoked": "证照被撤销或吊销",
    "manual": "人工列入",
}
RULE_SETTINGS = (
    "warning_fine_wan",
    "warning_penalty_categories",
    "warning_penalty_count",
    "warning_penalty_months",
    "warning_inspection_results",
    "warning_revoked_licence",
)
AUTO_LIFT_REASON = "已不再符合任何列入规则（系统重新计算后自动解除）"
PAGE_PUSH = "pages/1_审批推送.py"
READERS = ("admin", "leader", "approver")
OFF_WORDS = {"", "无", "不启用", "-", "—"}


# -- rules ------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    fine_wan: float  # 0: off
    categories: tuple  # empty: off
    count: int  # 0: off
    months: int
    results: tuple  # empty: off
    revoked: bool

    def describe(self) -> list[str]:
        out = []
        big = []
        if self.fine_wan > 0:
            big.append(f"罚款金额达到 {self.fine_wan:g} 万元")
        if self.categories:
            big.append(f"处罚类别含“{'”或“'.join(self.categories)}”")
        if big:
            out.append("一次行政处罚" + "，或".join(big))
        if self.count > 0:
            out.append(f"近 {self.months} 个月内受到行政处罚 {self.count} 次及以上")
        if self.results:
            out.append(f"日常检查结果为“{'”或“'.join(self.results)}”")
        if self.revoked:
            out.append("有证照被撤销或吊销")
        return out


def _split(value: str) -> tuple:
    parts = [p.strip() for p in str(value or "").replace("，", ",").replace("、", ",").split(",")]
    if len(parts) == 1 and parts[0] in OFF_WORDS:
        return ()
    return tuple(dict.fromkeys(p for p in parts if p and p not in OFF_WORDS))


def _split_list(value, label: str) -> tuple:
    """A rule's list from a form: a list of texts, or one text separated by
    commas or 、 (:func:`_split`); anything else is refused."""
    if isinstance(value, (list, tuple)):
        if not all(isinstance(x, str) for x in value):
            raise ValidationError(f"“{label}”应为文字列表。", field=label)
        value = ",".join(value)
    return _split(value)


def _num(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def current_rules() -> Rules:
    """The thresholds in force (settings, else the defaults)."""
    from sgld.services.org import BUSINESS_SETTINGS

    stored = dict(get_db().all("SELECT key, value FROM setting WHERE key LIKE 'warning_%'"))
    val = {k: stored.get(k, BUSINESS_SETTINGS[k][0]) for k in RULE_SETTINGS}
    return Rules(
        fine_wan=max(0.0, _num(val["warning_fine_wan"], 10.0)),
        categories=_split(val["warning_penalty_categories"]),
        count=max(0, int(_num(val["warning_penalty_count"], 3))),
        months=max(1, int(_num(val["warning_penalty_months"], 12))),
        results=_split(val["warning_inspection_results"]),
        revoked=str(val["warning_revoked_licence"]).strip() not in ("0", "否", "false", "False"),
    )


def _rules_hash(rules: Rules) -> str:
    return hashlib.sha256(json.dumps(asdict(rules), ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    m += 1
    import calendar

    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def candidates_sql(rules: Rules, today: date, scope: str | None = None) -> tuple[str, list]:
    """One SELECT of every current rule hit: (enterprise_id, rule,
    record_type, record_id, hit_on).  Narrow on purpose: the readable
    detail is built only for hits that are new (:func:`_fill_details`).
    ``scope``: a subquery of enterprise ids to restrict it to."""

    def only(alias: str) -> str:
        return f" AND {alias}.enterprise_id IN ({scope})" if scope else ""

    parts: list[str] = []
    params: list = []
    big: list[str] = []
    if rules.fine_wan > 0:
        big.append("p.fine_wan >= ?")
        params.append(rules.fine_wan)
    for c in rules.categories:
        big.append(f"p.category LIKE ?{ESC}")
        params.append(likes.contains(c))
    if big:
        parts.append(
            "SELECT p.enterprise_id, 'big_penalty' AS rule, 'penalty' AS record_type,"
            " CAST(p.id AS BIGINT) AS record_id, p.decision_date AS hit_on"
            f" FROM penalty p WHERE p.enterprise_id IS NOT NULL AND ({' OR '.join(big)}){only('p')}"
        )
    if rules.count > 0:
        cutoff = _months_before(today, rules.months)
        parts.append(
            "SELECT p.enterprise_id, 'penalty_count', 'penalty', CAST(p.id AS BIGINT), p.decision_date"
            " FROM penalty p JOIN (SELECT enterprise_id FROM penalty q WHERE enterprise_id IS NOT NULL"
            f"  AND decision_date >= ?{only('q')} GROUP BY enterprise_id HAVING count(*) >= ?) m"
            f"  ON m.enterprise_id = p.enterprise_id WHERE p.decision_date >= ?{only('p')}"
        )
        params += [cutoff, rules.count, cutoff]
    if rules.results:
        parts.append(
            "SELECT n.enterprise_id, 'inspection', 'inspection', CAST(n.id AS BIGINT),"
            " CAST(n.inspected_at AS DATE) FROM inspection n"
            f" WHERE n.result IN ({','.join('?' * len(rules.results))}){only('n')}"
        )
        params += list(rules.results)
    if rules.revoked:
        parts.append(
            "SELECT l.enterprise_id, 'revoked', 'licence', CAST(l.id AS BIGINT),"
            " CAST(l.status_changed_at AS DATE) FROM licence l WHERE l.status IN ('已撤销', '已吊销')" + only("l")
        )
    if not parts:
        return (
            "SELECT CAST(NULL AS INTEGER) AS enterprise_id, '' AS rule, '' AS record_type,"
            " CAST(NULL AS BIGINT) AS record_id, CAST(NULL AS DATE) AS hit_on WHERE FALSE"
        ), []
    # the columns are named whichever rule comes first (a UNION takes its names from its first part)
    return (
        "SELECT * FROM (" + " UNION ALL ".join(parts) + ") AS hits(enterprise_id, rule, record_type, record_id, hit_on)"
    ), params


_DETAILS = (
    (
        "big_penalty",
        "'行政处罚 ' || p.decision_no || '：' || coalesce(p.category, '') ||"
        " coalesce('，罚款 ' || {fine} || ' 万元', '')",
        "penalty p",
        "p.id",
    ),
    (
        "penalty_count",
        "'行政处罚 ' || p.decision_no || '（' || CAST(p.decision_date AS VARCHAR) || '）'",
        "penalty p",
        "p.id",
    ),
    (
        "inspection",
        "d.name || '日常检查：' || n.result",
        "inspection n JOIN department d ON d.id = n.department_id",
        "n.id",
    ),
    ("revoked", "l.kind || ' ' || l.licence_no || ' ' || l.status", "licence l", "l.id"),
)


def _fill_details(cur) -> None:
    """Readable details of the hits just added (detail IS NULL)."""
    fine = number_text("p.fine_wan", get_db().dialect)
    for rule, expr, source, key in _DETAILS:
        expr = expr.replace("{fine}", fine)
        cur.execute(
            f"UPDATE warning_hit SET detail = x.detail FROM (SELECT {key} AS rid, {expr} AS detail"
            f" FROM {source} WHERE {key} IN (SELECT record_id FROM warning_hit"
            f" WHERE detail IS NULL AND rule = ?)) x"
            f" WHERE warning_hit.detail IS NULL AND warning_hit.rule = ?"
            f" AND warning_hit.record_id = x.rid",
            [rule, rule],
        )


_WATERMARK_SQL = (
    "SELECT (SELECT max(id) FROM penalty), (SELECT max(id) FROM inspection),"
    " (SELECT max(updated_at) FROM inspection), (SELECT max(status_changed_at) FROM licence)"
)
_TOUCHED_SQL = (
    "SELECT enterprise_id FROM penalty WHERE id > ? AND enterprise_id IS NOT NULL"
    " UNION SELECT enterprise_id FROM inspection WHERE id > ? OR updated_at >= ?"
    " UNION SELECT enterprise_id FROM licence WHERE status_changed_at >= ?"
    " UNION SELECT unnest(?::INTEGER[])"
)


def _state(cur) -> tuple:
    return cur.execute(
        "SELECT rules_hash, computed_at, full_at, penalty_id, inspection_id,"
        " inspection_updated, licence_changed FROM warning_state WHERE singleton = 1"
    ).fetchone()


def _recompute(cur, actor=None, *, full: bool = False, enterprise_ids=()) -> dict:
    """Full: every enterprise.  Otherwise only the enterprises touched since
    the last run (new or corrected records, licence status changes) plus
    ``enterprise_ids``; a change of rules or of day forces a full run."""
    rules = current_rules()
    rhash = _rules_hash(rules)
    today = clock.today()
    now = clock.now()
    state = _state(cur)
    dialect = get_db().dialect
    mark = cur.execute(_WATERMARK_SQL).fetchone()
    if (
        state is None
        or state[0] != rhash
        or state[2] is None
        or state[2].date() != today
        or state[3] is None
        and mark[0] is not None
    ):
        full = True
    scope = None
    if not full:
        floor = datetime(1900, 1, 1)
        replace_temp_table(
            cur,
            "_warning_touched",
            _TOUCHED_SQL,
            [
                state[3] or 0,
                state[4] or 0,
                state[5] or floor,
                state[6] or floor,
                [int(e) for e in enterprise_ids or []],
            ],
            dialect,
        )
        scope = "SELECT enterprise_id FROM _warning_touched"
    sql, params = candidates_sql(rules, today, scope)
    replace_temp_table(cur, "_warning_cand", sql, params, dialect)
    listed = cur.execute(
        "INSERT INTO warning_entry (enterprise_id, status, listed_at, manual)"
        " SELECT DISTINCT c.enterprise_id, '在列', ?, FALSE FROM _warning_cand c"
        " WHERE NOT EXISTS (SELECT 1 FROM warning_entry e WHERE e.enterprise_id = c.enterprise_id"
        "                   AND e.status = '在列')"
        "   AND NOT EXISTS (SELECT 1 FROM warning_hit h JOIN warning_entry e ON e.id = h.entry_id"
        "                   WHERE e.enterprise_id = c.enterprise_id AND e.status = '已解除'"
        "                     AND e.lifted_by IS NOT NULL AND h.record_type = c.record_type"
        "                     AND h.record_id = c.record_id)"
        " RETURNING id, enterprise_id",
        [now],
    ).fetchall()
    hits = cur.execute(
        "INSERT INTO warning_hit (entry_id, rule, record_type, record_id, hit_on, added_at)"
        " SELECT n.entry_id, n.rule, n.record_type, n.record_id, c.hit_on, ? FROM ("
        "  SELECT e.id AS entry_id, c.rule, c.record_type, c.record_id FROM _warning_cand c"
        "  JOIN warning_entry e ON e.enterprise_id = c.enterprise_id AND e.status = '在列'"
        "  EXCEPT SELECT entry_id, rule, record_type, record_id FROM warning_hit) n"
        " JOIN _warning_cand c ON c.rule = n.rule AND c.record_type = n.record_type"
        "  AND c.record_id = n.record_id",
        [now],
    ).fetchone()[0]
    if hits:
        _fill_details(cur)
    lifted = cur.execute(
        "UPDATE warning_entry SET status = '已解除', lifted_at = ?, lift_reason = ?"
        " WHERE status = '在列' AND NOT manual"
        + (f" AND enterprise_id IN ({scope})" if scope else "")
        + "   AND NOT EXISTS (SELECT 1 FROM _warning_cand c WHERE c.enterprise_id = warning_entry.enterprise_id)"
        " RETURNING id, enterprise_id",
        [now, AUTO_LIFT_REASON],
    ).fetchall()
    cur.execute("DROP TABLE IF EXISTS _warning_cand")
    cur.execute("DROP TABLE IF EXISTS _warning_touched")
    cur.execute(
        "UPDATE warning_state SET rules_hash = ?, computed_at = ?,"
        " full_at = CASE WHEN ? THEN ? ELSE full_at END, penalty_id = ?, inspection_id = ?,"
        " inspection_updated = ?, licence_changed = ? WHERE singleton = 1",
        [rhash, now, full, now, mark[0] or 0, mark[1] or 0, mark[2], mark[3]],
    )
    result = {
        "listed": len(listed),
        "lifted": len(lifted),
        "hits_added": int(hits or 0),
        "mode": "full" if full else "incremental",
    }
    if listed or lifted:
        audit.record(
            cur,
            actor,
            "recompute",
            "warning_list",
            None,
            after={
                **result,
                "rules": asdict(rules),
                "listed_enterprise_ids": [r[1] for r in listed[:200]],
                "lifted_enterprise_ids": [r[1] for r in lifted[:200]],
            },
        )
    return result


def recompute(cur=None, actor=None, *, full: bool = False, enterprise_ids=()) -> dict:
    """Bring the warning list up to date with the rules.  With ``cur`` it
    runs inside the caller's transaction (e.g. a revocation decision).
    Incremental unless ``full`` or the rules or the day changed; returns
    {"listed", "lifted", "hits_added", "mode"}."""
    if cur is not None:
        return _recompute(cur, actor, full=full, enterprise_ids=enterprise_ids)
    return get_db().write(lambda c: _recompute(c, actor, full=full, enterprise_ids=enterprise_ids))


def ensure_current() -> None:
    """Recompute when the rules changed since the last run, it ran before
    today (the count window moves with the date) or records changed since."""
    with get_db().cursor() as cur:
        state = _state(cur)
        mark = cur.execute(_WATERMARK_SQL).fetchone()
    if (
        state is None
        or state[0] != _rules_hash(current_rules())
        or state[2] is None
        or state[2].date() != clock.today()
        or tuple(state[3:]) != (mark[0] or 0, mark[1] or 0, mark[2], mark[3])
    ):
        recompute()


# listeners called by the supervision services after their commits
def on_penalty_sync(run_id: int) -> None:
    recompute()


def on_inspection_saved(inspection_id: int, enterprise_id: int) -> None:
    recompute(enterprise_ids=[enterprise_id])


# -- permissions ----------------------------------------------------------------
def _reader(actor: Actor | None, action: str = "查看警示名单") -> Actor:
    return require(actor, *READERS, action=action)


def _writer(actor: Actor | None, action: str) -> Actor:
    if actor is not None and actor.has("leader"):
        raise PermissionDenied(f"领导账号为只读账号，不能{action}。")
    return require(actor, "approver", action=action)


# -- flags for other features ---------------------------------------------------
_REASONS_SQL = (
    "SELECT w.id, w.enterprise_id, w.listed_at, w.manual, w.manual_reason,"
    " coalesce(string_agg(DISTINCT CASE h.rule WHEN 'big_penalty' THEN '重大行政处罚'"
    "  WHEN 'penalty_count' THEN '多次行政处罚' WHEN 'inspection' THEN '检查发现违法'"
    "  WHEN 'revoked' THEN '证照被撤销或吊销' END, '、'), '') AS reasons"
    " FROM warning_entry w LEFT JOIN warning_hit h ON h.entry_id = w.id"
    " WHERE w.status = '在列' AND {cond}"
    " GROUP BY w.id, w.enterprise_id, w.listed_at, w.manual, w.manual_reason"
)


def _flag(row) -> dict:
    eid_, _eid, listed_at, manual, manual_reason, reasons = row
    parts = [p for p in [reasons] if p]
    if manual:
        parts.insert(0, f"人工列入（{manual_reason}）" if manual_reason else "人工列入")
    return {"entry_id": eid_, "listed_at": listed_at, "manual": bool(manual), "reasons": "；".join(parts) or "—"}


def status_for(enterprise_ids) -> dict[int, dict]:
    """{enterprise id: {"entry_id", "listed_at", "manual", "reasons"}} for the
    given enterprises that are on the list now (others are absent)."""
    ids = sorted({int(i) for i in (enterprise_ids or []) if i is not None and i == i})
    if not ids:
        return {}
    rows = get_db().all(_REASONS_SQL.format(cond="w.enterprise_id IN (SELECT unnest(?::INTEGER[]))"), [ids])
    return {r[1]: _flag(r) for r in rows}


def status_for_uscc(codes) -> dict[str, dict]:
    """The same keyed by 统一社会信用代码 (lists that carry codes, not ids)."""
    norm = sorted({uscc.normalise(str(c)) for c in (codes or []) if c})
    if not norm:
        return {}
    rows = get_db().all("SELECT e.uscc, e.id FROM enterprise e WHERE e.uscc IN (SELECT unnest(?::VARCHAR[]))", [norm])
    by_id = status_for([r[1] for r in rows])
    return {code: by_id[eid] for code, eid in rows if eid in by_id}


def profile_flags(actor: Actor, enterprise_id: int) -> list[dict]:
    """The enterprise profile's banner (see sgld.services.profile)."""
    s = status_for([enterprise_id]).get(int(enterprise_id))
    if s:
        return [
            {
                "label": "警示名单",
                "level": "error",
                "text": f"该企业已于 {s['listed_at']:%Y-%m-%d} 列入警示名单：{s['reasons']}。",
            }
        ]
    last = get_db().one(
        "SELECT lifted_at FROM warning_entry WHERE enterprise_id = ?"
        " AND status = '已解除' ORDER BY lifted_at DESC LIMIT 1",
        [enterprise_id],
    )
    if last:
        return [{"label": "警示名单", "level": "info", "text": f"该企业曾列入警示名单，已于 {last[0]:%Y-%m-%d} 解除。"}]
    return []


def profile_events(actor: Actor, enterprise_id: int) -> list[dict]:
    rows = get_db().dicts(
        "SELECT w.id, w.listed_at, w.manual, w.manual_reason, w.status, w.lifted_at, w.lift_reason,"
        " (SELECT string_agg(h.detail, '；' ORDER BY h.hit_on) FROM warning_hit h"
        "  WHERE h.entry_id = w.id) AS details"
        " FROM warning_entry w WHERE w.enterprise_id = ? ORDER BY w.listed_at",
        [enterprise_id],
    )
    link = {"page": PAGE_PUSH, "params": {"warning": str(enterprise_id)}} if actor.has(*READERS) else None
    out = []
    for r in rows:
        why = (f"人工列入：{r['manual_reason']}" if r["manual"] else "") or (r["details"] or "")
        out.append(
            {
                "at": r["listed_at"],
                "kind": "警示",
                "title": "列入警示名单",
                "detail": why[:300],
                "status": r["status"],
                "link": link,
            }
        )
        if r["lifted_at"]:
            out.append(
                {
                    "at": r["lifted_at"],
                    "kind": "警示",
                    "title": "解除警示",
                    "detail": r["lift_reason"] or "",
                    "status": LIFTED,
                    "link": link,
                }
            )
    return out


# -- the list -------------------------------------------------------------------
LIST_COLUMNS = {
    "entry_id": "entry_id",
    "enterprise_id": "enterprise_id",
    "name": "企业名称",
    "uscc": "统一社会信用代码",
    "status": "状态",
    "how": "列入方式",
    "reasons": "列入原因",
    "hits": "依据记录数",
    "listed_at": "列入时间",
    "listed_by": "列入人",
    "lifted_at": "解除时间",
    "lifted_by": "解除人",
    "lift_reason": "解除原因",
}


def list_entries(
    actor: Actor, *, status: str | None = LISTED, text: str | None = None, rule: str | None = None, limit: int = 20000
) -> pd.DataFrame:
    """Entries (newest first): 在列, 已解除 or all (``status=None``)."""
    _reader(actor)
    ensure_current()
    where, params = [], []
    if status:
        v.choice(status, (LISTED, LIFTED), "状态")
        where.append("w.status = ?")
        params.append(status)
    q = (text or "").strip()
    if q:
        where.append(f"(e.name LIKE ?{ESC} OR e.uscc LIKE ?{ESC})")
        params += [likes.contains(q), likes.prefix(uscc.normalise(q))]
    if rule:
        v.choice(rule, list(RULE_LABELS), "列入规则")
        if rule == "manual":
            where.append("w.manual")
        else:
            where.append("w.id IN (SELECT entry_id FROM warning_hit WHERE rule = ?)")
            params.append(rule)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    sql = (
        "WITH hs AS (SELECT entry_id, count(*) AS hits, string_agg(DISTINCT CASE rule"
        "  WHEN 'big_penalty' THEN '重大行政处罚' WHEN 'penalty_count' THEN '多次行政处罚'"
        "  WHEN 'inspection' THEN '检查发现违法' WHEN 'revoked' THEN '证照被撤销或吊销' END, '、')"
        "  AS reasons FROM warning_hit GROUP BY entry_id)"
        " SELECT w.id AS entry_id, w.enterprise_id, e.name, e.uscc, w.status,"
        " CASE WHEN w.manual THEN '人工列入' ELSE '规则列入' END AS how,"
        " concat_ws('；', CASE WHEN w.manual THEN '人工列入：' || coalesce(w.manual_reason, '') END,"
        "  hs.reasons) AS reasons, coalesce(hs.hits, 0) AS hits, w.listed_at,"
        " coalesce(ul.display_name, CASE WHEN w.manual THEN '' ELSE '系统' END) AS listed_by,"
        " w.lifted_at, CASE WHEN w.lifted_at IS NULL THEN NULL"
        "  ELSE coalesce(uf.display_name, '系统') END AS lifted_by, w.lift_reason"
        " FROM warning_entry w JOIN enterprise e ON e.id = w.enterprise_id"
        " LEFT JOIN hs ON hs.entry_id = w.id LEFT JOIN app_user ul ON ul.id = w.listed_by"
        f" LEFT JOIN app_user uf ON uf.id = w.lifted_by{cond}"
        f" ORDER BY coalesce(w.lifted_at, w.listed_at) DESC, w.id DESC LIMIT {int(limit)}"
    )
    return get_db().df(sql, params).rename(columns=LIST_COLUMNS)


def counts(actor: Actor) -> dict:
    _reader(actor)
    ensure_current()
    row = get_db().one(
        "SELECT count(*) FILTER (WHERE status = '在列'),"
        " count(*) FILTER (WHERE status = '已解除'),"
        " count(*) FILTER (WHERE status = '在列' AND manual) FROM warning_entry"
    )
    by_rule = dict(
        get_db().all(
            "SELECT h.rule, count(DISTINCT h.entry_id) FROM warning_hit h JOIN warning_entry w"
            " ON w.id = h.entry_id WHERE w.status = '在列' GROUP BY 1"
        )
    )
    return {
        "listed": row[0],
        "lifted": row[1],
        "manual": row[2],
        "by_rule": {RULE_LABELS[k]: by_rule.get(k, 0) for k in RULE_LABELS if k != "manual"},
    }


HIT_COLUMNS = {
    "rule": "规则",
    "record_type": "记录类型",
    "record_id": "记录编号",
    "hit_on": "记录日期",
    "detail": "依据记录",
    "added_at": "计入时间",
}
RECORD_TYPES = {"penalty": "行政处罚", "inspection": "日常检查", "licence": "证照"}


def _hits_frame(entry_ids: list[int]) -> pd.DataFrame:
    if not entry_ids:
        return pd.DataFrame(columns=["entry_id", *HIT_COLUMNS.values()])
    frame = get_db().df(
        "SELECT entry_id, rule, record_type, record_id, hit_on, detail, added_at FROM warning_hit"
        f" WHERE entry_id IN ({','.join('?' * len(entry_ids))}) ORDER BY entry_id, hit_on DESC",
        entry_ids,
    )
    frame["rule"] = frame["rule"].map(RULE_LABELS)
    frame["record_type"] = frame["record_type"].map(RECORD_TYPES)
    return frame.rename(columns=HIT_COLUMNS)


def entry_detail(actor: Actor, entry_id: int) -> dict:
    """One entry, its hits (the records that put it there) and the
    enterprise's other entries (history)."""
    _reader(actor)
    rows = get_db().dicts(
        "SELECT w.*, e.name, e.uscc, ul.display_name AS listed_by_name,"
        " uf.display_name AS lifted_by_name FROM warning_entry w"
        " JOIN enterprise e ON e.id = w.enterprise_id LEFT JOIN app_user ul ON ul.id = w.listed_by"
        " LEFT JOIN app_user uf ON uf.id = w.lifted_by WHERE w.id = ?",
        [entry_id],
    )
    if not rows:
        raise NotFound("警示名单记录不存在。")
    entry = rows[0]
    hits = _hits_frame([entry_id]).drop(columns=["entry_id"])
    history = get_db().dicts(
        "SELECT id, status, listed_at, manual, lifted_at, lift_reason FROM warning_entry"
        " WHERE enterprise_id = ? ORDER BY listed_at DESC, id DESC",
        [entry["enterprise_id"]],
    )
    return {"entry": entry, "hits": hits, "history": history}


def current_entry_id(actor: Actor, enterprise_id: int) -> int | None:
    _reader(actor)
    return get_db().scalar("SELECT id FROM warning_entry WHERE enterprise_id = ? AND status = '在列'", [enterprise_id])


def export_xlsx(actor: Actor, *, status: str | None = None) -> bytes:
    """The list (entries and, on a second sheet, every record behind them)."""
    frame = list_entries(actor, status=status)
    hits = _hits_frame([int(i) for i in frame["entry_id"]])
    names = frame.set_index("entry_id")["企业名称"]
    hits.insert(0, "企业名称", hits["entry_id"].map(names))
    return to_xlsx(
        {"警示名单": frame.drop(columns=["entry_id", "enterprise_id"]), "列入依据": hits.drop(columns=["entry_id"])}
    )


# -- manual changes ----------------------------------------------------------------
def _enterprise_id(cur, enterprise) -> int:
    if isinstance(enterprise, int) or (isinstance(enterprise, str) and enterprise.isdigit() and len(enterprise) < 12):
        row = cur.execute("SELECT id FROM enterprise WHERE id = ?", [int(enterprise)]).fetchone()
    else:
        code = uscc.validate(enterprise)
        row = cur.execute("SELECT id FROM enterprise WHERE uscc = ?", [code]).fetchone()
    if row is None:
        raise NotFound("企业不存在：请核对统一社会信用代码。")
    return row[0]


def add_manual(actor: Actor, enterprise, reason: str) -> int:
    """Put an enterprise on the list by hand (``enterprise``: id or 统一社会信用代码)."""
    _writer(actor, "人工列入警示名单")
    reason = v.text(reason, "列入原因", max_len=500, multiline=True)

    def tx(cur):
        eid = _enterprise_id(cur, enterprise)
        open_ = cur.execute(
            "SELECT id, listed_at FROM warning_entry WHERE enterprise_id = ? AND status = '在列'", [eid]
        ).fetchone()
        if open_:
            raise StateError(f"该企业已于 {open_[1]:%Y-%m-%d} 列入警示名单，无需重复列入。")
        now = clock.now()
        wid = cur.execute(
            "INSERT INTO warning_entry (enterprise_id, status, listed_at, manual, manual_reason,"
            " listed_by) VALUES (?, '在列', ?, TRUE, ?, ?) RETURNING id",
            [eid, now, reason, actor.user_id],
        ).fetchone()[0]
        audit.record(cur, actor, "list_manual", "warning_entry", wid, after={"enterprise_id": eid, "reason": reason})
        _recompute(cur, actor, enterprise_ids=[eid])  # attach the records that also apply
        return wid

    return get_db().write(tx)


def lift(actor: Actor, entry_id: int, reason: str) -> None:
    """Lift an entry with a reason; it stays in the history.  Its records no
    longer list the enterprise; a new qualifying record does."""
    _writer(actor, "解除警示")
    reason = v.text(reason, "解除原因", max_len=500, multiline=True)

    def tx(cur):
        row = cur.execute(
            "SELECT status, enterprise_id, lifted_at FROM warning_entry WHERE id = ?", [entry_id]
        ).fetchone()
        if row is None:
            raise NotFound("警示名单记录不存在。")
        if row[0] != LISTED:
            raise StateError(f"该记录已于 {row[2]:%Y-%m-%d %H:%M} 解除，不能重复解除。")
        now = clock.now()
        cur.execute(
            "UPDATE warning_entry SET status = '已解除', lifted_at = ?, lifted_by = ?,"
            " lift_reason = ? WHERE id = ? AND status = '在列'",
            [now, actor.user_id, reason, entry_id],
        )
        audit.record(
            cur,
            actor,
            "lift",
            "warning_entry",
            entry_id,
            before={"status": LISTED},
            after={"status": LIFTED, "reason": reason, "enterprise_id": row[1]},
        )

    get_db().write(tx)


# -- rule administration ---------------------------------------------------------------
def get_rules(actor: Actor) -> Rules:
    require(actor, "admin", "leader", "approver", action="查看警示规则")
    return current_rules()


def save_rules(actor: Actor, *, fine_wan, categories, count, months, results, revoked: bool) -> dict:
    """Set the thresholds (admin) and recompute the list in the same transaction."""
    require(actor, "admin", action="设置警示规则")
    try:
        fine = float(fine_wan)
    except (TypeError, ValueError):
        raise ValidationError("“单笔罚款金额”应为数字。", field="fine_wan") from None
    if not 0 <= fine <= 1_000_000:
        raise ValidationError("“单笔罚款金额”应在 0 至 1000000 万元之间（0 表示不启用）。", field="fine_wan")
    cats = _split_list(categories, "处罚类别")
    for c in cats:
        v.text(c, "处罚类别", max_len=20)
    n = v.integer(count, "处罚次数", minimum=0, maximum=100)
    m = v.integer(months, "统计期间（月）", minimum=1, maximum=120)
    res = _split_list(results, "检查结果")
    # read here, not through services.inspection: inspection calls this module's
    # listener after its writes (services.listeners), so warning must not import it
    known = {r[0] for r in get_db().all("SELECT name FROM inspection_result")}
    bad = [r for r in res if r not in known]
    if bad:
        raise ValidationError(f"检查结果“{'、'.join(bad)}”不存在。", field="results")
    new = Rules(fine, cats, n, m, res, bool(revoked))
    values = {
        "warning_fine_wan": f"{fine:g}",
        "warning_penalty_categories": ",".join(cats) or "无",
        "warning_penalty_count": str(n),
        "warning_penalty_months": str(m),
        "warning_inspection_results": ",".join(res) or "无",
        "warning_revoked_licence": "1" if revoked else "0",
    }

    def tx(cur):
        before = asdict(current_rules())
        now = clock.now()
        for key, value in values.items():
            cur.execute(
                "INSERT INTO setting (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [key, value, now, actor.username],
            )
        audit.record(cur, actor, "update", "setting", "warning_rules", before=before, after=asdict(new))
        return _recompute(cur, actor, full=True)

    return get_db().write(tx)
