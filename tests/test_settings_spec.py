"""The settings specification (sgld.settings.SPEC) is the one list of SGLD_
settings: the code reads no other, the README's table documents exactly
these, and the admin's read-only 部署配置 table shows none of the keys."""

import re

import pytest

from sgld import settings
from tests.conftest import ROOT

CODE_DIRS = ("sgld", "db", "web", "ui", "pages")


def _readme_table() -> dict[str, str]:
    """SGLD_ name (without the prefix) -> the README's default cell, for the
    rows of the table under "## Configuration"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        names = re.findall(r"`SGLD_([A-Z0-9_]+)`", cells[0])
        for name in names:
            rows[name] = cells[1] if len(names) == 1 else ""
    return rows


def _names_read_by_the_code() -> set[str]:
    """Names passed to Settings.get (``cfg.get("X")``, ``settings.get().get("X")``)
    or to the webhook worker's ``_seconds("X", …)``."""
    pat = re.compile(r"(?<!environ)(?<!os\.environ)\.get\(\"([A-Z][A-Z0-9_]+)\"|_seconds\(\"([A-Z][A-Z0-9_]+)\"")
    names: set[str] = set()
    for d in CODE_DIRS:
        for f in sorted((ROOT / d).rglob("*.py")):
            for m in pat.finditer(f.read_text(encoding="utf-8")):
                names.add(m.group(1) or m.group(2))
    return names


def test_the_code_reads_only_specified_settings():
    read = _names_read_by_the_code()
    assert {"LIAISON_LETTER_PREFIX", "WEBHOOK_KEY", "API_KEY"} <= read  # the scan finds them
    assert sorted(read - set(settings.SPEC)) == []


@pytest.mark.docs
def test_readme_settings_table_equals_the_spec():
    """Until the README has rows for the settings added since (webhooks, API),
    this fails naming them."""
    table = _readme_table()
    assert len(table) > 20  # the table was found
    assert {
        "missing in README": sorted(set(settings.SPEC) - set(table)),
        "not in SPEC": sorted(set(table) - set(settings.SPEC)),
    } == {"missing in README": [], "not in SPEC": []}
    # a literal default in the README is the specified one
    wrong = {
        name: (cell, settings.SPEC[name][0])
        for name, cell in table.items()
        if settings.SPEC[name][0] and cell.startswith("`") and cell != f"`{settings.SPEC[name][0]}`"
    }
    assert wrong == {}


def test_keys_are_masked_where_settings_are_shown(monkeypatch, tmp_path):
    values = {name: f"secret-{name.lower()}-" + "x" * 40 for name in settings.SECRET_KEYS}
    for name, value in values.items():
        monkeypatch.setenv(f"SGLD_{name}", value)
    monkeypatch.setenv("SGLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SGLD_LIAISON_LETTER_PREFIX", "测试联函")
    settings.reset()
    try:
        cfg = settings.get()
        assert all(cfg.raw[name] == "******" for name in values)
        assert not any(v in repr(cfg) or v in str(cfg.raw) for v in values.values())
        # the code still gets the values
        assert cfg.get("WEBHOOK_KEY") == values["WEBHOOK_KEY"] and cfg.get("api_key") == values["API_KEY"]
        assert cfg.audit_key == values["AUDIT_KEY"] and cfg.cookie_key == values["COOKIE_KEY"]
        assert cfg.get("LIAISON_LETTER_PREFIX") == "测试联函" == cfg.raw["LIAISON_LETTER_PREFIX"]
    finally:
        monkeypatch.undo()
        settings.reset()


def test_every_secret_is_a_specified_setting():
    assert settings.SECRET_KEYS <= set(settings.SPEC)
    assert all(settings.SPEC[name][0] == "" for name in settings.SECRET_KEYS)  # no key in the repository
