"""Exports never run user text: formula-like strings stay string cells."""

import io

import openpyxl
import pandas as pd

from sgld.export import to_xlsx

NASTY = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=1+1"]


def _cells(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    return [[c for c in row] for row in ws.iter_rows(min_row=2)]


def test_formula_like_text_is_written_as_string():
    frame = pd.DataFrame({"名称": NASTY, "金额": list(range(len(NASTY)))})
    rows = _cells(to_xlsx(frame))
    assert len(rows) == len(NASTY)
    for text, (name, amount) in zip(NASTY, rows):
        assert name.data_type == "s", (text, name.data_type)
        # openpyxl does not undo the OOXML escape of a carriage return
        assert name.value.replace("_x000D_", "\r") == text
        assert amount.data_type == "n"
        assert isinstance(amount.value, (int, float))


def test_several_sheets_and_list_cells_are_safe_too():
    frames = {"甲": pd.DataFrame({"x": [["=1+1", "b"]]}), "乙": pd.DataFrame({"y": ["@cmd"], "n": [1.5]})}
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(frames)))
    a = wb["甲"]["A2"]
    assert a.data_type == "s" and a.value == "=1+1、b"
    b, n = wb["乙"]["A2"], wb["乙"]["B2"]
    assert b.data_type == "s" and b.value == "@cmd"
    assert n.value == 1.5
