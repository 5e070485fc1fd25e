"""Official documents as .docx (python-docx), in the layout of a Chinese
official letter (GB/T 9704 style, simplified): issuer header, document
number, title, addressee, body, signature (issuer, date), copy-to line.

Fonts: 方正小标宋/宋体 for the title, 仿宋 for the body, 黑体 for headings,
with East-Asian font names set so Word and WPS pick them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

# python-docx is imported when a document is made, not when a page that can
# make one is loaded (importing it costs ~0.1 s of a user's first page)

CN_DIGITS = "〇一二三四五六七八九"


def cn_date(d: date) -> str:
    """2026年11月26日 (Arabic numerals, as GB/T 9704-2012 prescribes)."""
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass
class Letter:
    issuer: str  # e.g. 南通市行政审批局
    title: str  # e.g. 关于……的函
    body: list[str]  # paragraphs; a line starting "一、" etc. stays as is
    issued_on: date
    addressee: str | None = None  # 主送机关, e.g. 市场监管局
    doc_no: str | None = None  # 发文字号, e.g. 通审批函〔2026〕12号
    headings: dict[int, str] = field(default_factory=dict)  # index in body -> heading before it
    table: list[list[str]] | None = None  # optional table after the body (first row = header)
    signer_note: str | None = None  # e.g. （联系人：…，电话：…）
    copy_to: str | None = None  # 抄送
    copy_label: str = "抄送"  # e.g. 分送 for minutes (纪要)


def _font(run, name: str, size: float, bold: bool = False, colour=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run._element.rPr.rFonts.set(qn("w:eastAsia"), name)
    run.font.size = Pt(size)
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour


def _para(
    doc,
    text: str,
    font: str = "仿宋",
    size: float = 16,
    *,
    align=None,
    indent=True,
    bold=False,
    colour=None,
    space_after: float = 0,
):
    from docx.shared import Pt

    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), font, size, bold, colour)
    return p


def _red_rule(p) -> None:
    """The red separator line under the header: a paragraph bottom border
    (a real line, not a row of dash characters)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, val in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(k), val)
    bdr.append(bottom)
    ppr.append(bdr)


def _page_field(p) -> None:
    """ "— PAGE —" in 4号 (14 pt) 宋体, Arabic numerals (GB/T 9704)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run(text=None, fld=None, instr=None):
        r = p.add_run(text or "")
        _font(r, "宋体", 14)
        if fld:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)

    run("— ")
    run(fld="begin")
    run(instr=" PAGE ")
    run(fld="separate")
    run("1")
    run(fld="end")
    run(" —")


def _page_numbers(doc, sec) -> None:
    """Odd pages: number at the right, one character in; even pages: at the
    left, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT), (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        _page_field(p)


def render(letter: Letter) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    style = doc.styles["Normal"]
    style.font.name = "仿宋"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")

    _page_numbers(doc, sec)
    _para(
        doc,
        letter.issuer,
        "方正小标宋简体",
        26,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        colour=RGBColor(0xC0, 0x00, 0x00),
        space_after=6,
    )
    if letter.doc_no:
        _para(doc, letter.doc_no, "仿宋", 16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _red_rule(doc.add_paragraph())
    _para(doc, letter.title, "方正小标宋简体", 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=12)
    if letter.addressee:
        _para(doc, f"{letter.addressee}：", indent=False)
    for i, text in enumerate(letter.body):
        if i in letter.headings:
            _para(doc, letter.headings[i], "黑体", 16)
        for line in str(text).splitlines() or [""]:
            _para(doc, line)
    if letter.table:
        t = doc.add_table(rows=len(letter.table), cols=len(letter.table[0]))
        t.style = "Table Grid"
        for r, row in enumerate(letter.table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = ""
                _font(t.cell(r, c).paragraphs[0].add_run(str(cell)), "仿宋", 12, bold=(r == 0))
    doc.add_paragraph()
    _para(doc, letter.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, cn_date(letter.issued_on), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    if letter.signer_note:
        _para(doc, letter.signer_note)
    if letter.copy_to:
        doc.add_paragraph()
        _para(doc, f"{letter.copy_label}：{letter.copy_to}。", "仿宋", 14, indent=False)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def text_of(data: bytes) -> str:
    """All paragraph and table text of a .docx (tests and previews)."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)
