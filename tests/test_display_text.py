"""User text is shown as text (issue 15 item 5): Markdown, KaTeX, links and
HTML typed into enterprise names, inspection fields and the like reach the
Markdown widgets escaped by the one helper ui.widgets.md_text."""

from __future__ import annotations

import re
from datetime import timedelta

from sgld import clock, uscc
from sgld.services import inspection
from tests.apptest_util import login, markdown_source
from tests.conftest import actor
from ui.widgets import md_text

PAYLOAD = "**x** $x^2$ [a](javascript:1) <b>"
# CommonMark: a backslash before ASCII punctuation renders that character
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:=^&")


def rendered_text(md: str) -> str:
    return _UNESCAPE.sub(r"\1", md.replace("  \n", "\n"))


def test_md_text_escapes_every_markup_character():
    out = md_text(PAYLOAD)
    assert rendered_text(out) == PAYLOAD
    # no markup character is left unescaped
    bare = _UNESCAPE.sub("", out)
    assert not (set(bare) & _SPECIAL), bare
    for text in (
        "# 标题",
        "1. 列表",
        "- 项",
        "> 引用",
        "`代码`",
        ":red[红]",
        ":material/home:",
        "&lt;b&gt;",
        "a\n===",
        "    缩进代码",
        r"\*已转义\*",
        "~~删除~~",
        "$$\\frac12$$",
    ):
        out = md_text(text)
        assert not (set(_UNESCAPE.sub("", out)) & _SPECIAL), (text, out)
        assert rendered_text(out).split("\n") == [ln.strip() for ln in text.split("\n")]
    assert md_text(None) == "" and md_text(12) == "12"


def _seed(db):
    """An enterprise and an inspection whose every free-text field is the payload."""
    sup = actor("supervisor")
    code = uscc.make("91320602MA7XD5P0Q")
    iid = inspection.record(
        sup,
        uscc_code=code,
        entity_name=PAYLOAD,
        inspected_at=clock.now() - timedelta(hours=1),
        place=PAYLOAD,
        result=inspection.result_options()[0],
        findings=PAYLOAD,
        inspectors=PAYLOAD,
        files=[("证据 " + PAYLOAD + ".pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    eid = inspection.get(sup, iid)["enterprise_id"]
    with db.transaction() as cur:  # no service edits these registry fields
        cur.execute("UPDATE enterprise SET legal_rep = ?, address = ? WHERE id = ?", [PAYLOAD, PAYLOAD, eid])
    return code, eid, iid


def _labels(at) -> list[str]:
    return [str(getattr(w, "label", "")) for kind in ("button", "expander", "tabs") for w in getattr(at, kind)]


def _assert_verbatim(at, min_count: int):
    assert not at.exception, [e.value for e in at.exception]
    src = markdown_source(at) + "\n" + "\n".join(_labels(at))
    assert PAYLOAD not in src, "raw payload reached a Markdown widget"
    assert "**x**" not in src and "$x^2$" not in src and "](javascript" not in src
    assert src.count(md_text(PAYLOAD)) >= min_count, src
    assert rendered_text(src).count(PAYLOAD) >= min_count


def test_supervision_detail_shows_payload_verbatim(db):
    _, _, iid = _seed(db)
    at = login("supervisor")
    at.query_params["inspection"] = str(iid)
    at.switch_page("pages/2_监管录入.py").run()
    # name, place and inspectors; the evidence file's download link label
    _assert_verbatim(at, 3)
    labels = [d.proto.label for d in at.get("link_button")]
    assert any(md_text(PAYLOAD) in x for x in labels) and not any(PAYLOAD in x for x in labels), labels


def test_profile_shows_payload_verbatim(db):
    _, eid, _ = _seed(db)
    at = login("supervisor")
    at.query_params["enterprise"] = str(eid)
    at.switch_page("pages/5_企业画像.py").run()
    # name, legal representative, address, the inspection's place and inspectors
    _assert_verbatim(at, 4)


def test_quick_query_shows_payload_verbatim(db):
    code, _, _ = _seed(db)
    at = login("supervisor")
    at.text_input(key="qq_text").input(code).run()
    _assert_verbatim(at, 1)


def test_error_quoting_input_is_escaped(db):
    at = login("supervisor")
    at.text_input(key="qq_text").input(PAYLOAD + "无此记录").run()
    assert not at.exception
    src = markdown_source(at)
    assert PAYLOAD not in src and md_text(PAYLOAD) in src
