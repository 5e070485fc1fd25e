"""Every leader figure of a demo database built at a fixed instant, for a
few filters (city-wide and by preset, one department, one category, a month
range, a supervisor), compared with the digests recorded in
``tests/dashboard_golden.json``: a change to the dashboard's queries or
shaping that alters any title, note, chart, column, type or value shows here.

After a change of the figures (or of the demo data) meant to be, record the
digests afresh:  ``SGLD_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_dashboard_golden.py``
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from db import connection
from sgld import clock
from tests.conftest import _point_at

pytestmark = pytest.mark.slow
GOLDEN = Path(__file__).parent / "dashboard_golden.json"
NOW = datetime(2026, 6, 15, 10, 0)


def _combos(db) -> list[tuple[str, str, dict]]:
    depts = [r[0] for r in db.all("SELECT id FROM department WHERE kind = 'supervision' ORDER BY id LIMIT 2")]
    cats = [r[0] for r in db.all("SELECT DISTINCT category FROM item ORDER BY 1")][:2]
    out = [(f"city {p}", "leader", {"preset": p}) for p in ("本年", "本月", "本季度", "近30天", "近12个月")]
    out += [
        ("department", "leader", {"preset": "本年", "department_id": depts[0]}),
        ("other department", "leader", {"preset": "本年", "department_id": depts[1]}),
        ("category", "leader", {"preset": "本年", "category": cats[0]}),
        ("department and category", "leader", {"preset": "近12个月", "department_id": depts[0], "category": cats[1]}),
        ("month range", "leader", {"range": (date(2025, 3, 1), date(2025, 8, 31))}),
        ("range and category", "leader", {"range": (date(2025, 11, 15), date(2026, 2, 10)), "category": cats[0]}),
        ("supervisor", "supervisor", {"preset": "本年"}),
    ]
    return out


def _canonical(dash) -> str:
    figs = [
        {
            "key": x.key,
            "title": x.title,
            "chart": x.chart,
            "note": x.note,
            "empty": x.empty,
            "columns": list(x.frame.columns),
            "dtypes": [str(t) for t in x.frame.dtypes],
            "index": [int(i) for i in x.frame.index],
            "data": x.frame.to_dict("split")["data"],
        }
        for x in dash.figures
    ]
    heads = [[h.label, h.value, h.previous, h.unit, h.better, h.fmt] for h in dash.headline]
    return json.dumps(
        {"scope": dash.scope, "previous": dash.previous, "headline": heads, "figures": figs},
        ensure_ascii=False,
        default=repr,
        sort_keys=True,
    )


@pytest.fixture(scope="module")
def digests(tmp_path_factory) -> dict[str, dict]:
    from sgld import demo
    from sgld.services import dashboard
    from sgld.services.accounts import actor_by_username

    _point_at(tmp_path_factory.mktemp("golden"))
    clock.freeze(NOW)
    try:
        db = connection.get_db()
        demo.load(scale=1)
        out = {}
        for name, user, c in _combos(db):
            d0, d1 = c.get("range") or dashboard.period_range(c["preset"])
            f = dashboard.make_filters(d0, d1, c.get("department_id"), c.get("category"), preset=c.get("preset"))
            dash = dashboard.leader_figures(actor_by_username(user), f)
            out[name] = {
                "figures": [x.key for x in dash.figures],
                "sha256": hashlib.sha256(_canonical(dash).encode()).hexdigest(),
            }
        return out
    finally:
        clock.freeze(None)
        connection.reset()


def test_leader_figures_are_unchanged(digests):
    if os.environ.get("SGLD_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(digests, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert list(digests) == list(golden)
    for name, got in digests.items():
        assert got == golden[name], f"the figures for “{name}” changed (see the module docstring)"
