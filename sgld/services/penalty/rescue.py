"""The reference validation of a batch (pandas): every reason a row is bad.

The fast path (:mod:`.pipeline`) checks a batch with Arrow and numpy and
hands the rows it rejects to :func:`clean`, which gives their reasons — and
rescues a row the fast path misjudged.  :func:`clean` also checks a
quarantined row corrected by hand (:func:`.quarantine.release`)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from sgld import penalty_sources as ps
from sgld import uscc
from sgld import validate as v
from sgld.errors import ValidationError
from sgld.services.penalty.base import _ALLOWED, _LUT, _WEIGHTS, MAX_WAN, TEXT_FIELDS


def uscc_valid(codes: pd.Series) -> np.ndarray:
    """Boolean validity of *normalised* codes, the same rule as
    :func:`sgld.uscc.problem` (a test checks they agree), without a Python
    loop over the rows."""
    codes = codes.reset_index(drop=True)
    n = len(codes)
    ok = np.zeros(n, dtype=bool)
    lens = codes.str.len().to_numpy()
    ascii_ = codes.str.isascii().to_numpy(dtype=bool)
    idx = np.flatnonzero((lens == 18) & ascii_)
    if not len(idx):
        return ok
    mat = np.frombuffer("".join(codes.iloc[idx].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    vals = _LUT[mat]
    good = (vals != 255).all(axis=1)
    vals = np.where(vals == 255, 0, vals).astype(np.int64)
    good &= _ALLOWED[np.minimum(vals[:, 0], 31), np.minimum(vals[:, 1], 31)]
    good &= (vals[:, 2:8] < 10).all(axis=1)
    expected = (31 - (vals[:, :17] * _WEIGHTS).sum(axis=1) % 31) % 31
    good &= vals[:, 17] == expected
    ok[idx] = good
    return ok


def _normalise_codes(s: pd.Series) -> pd.Series:
    s = s.fillna("").astype(str)
    nonascii = ~s.str.isascii().to_numpy(dtype=bool)
    if nonascii.any():
        s = s.copy()
        s.iloc[np.flatnonzero(nonascii)] = s.iloc[np.flatnonzero(nonascii)].map(uscc.normalise)
    if s.str.contains(r"\s", regex=True).any():
        s = s.str.replace(r"\s+", "", regex=True)
    return s.str.upper()


def _dates(s: pd.Series, label: str, required: bool, not_future: bool):
    """Parse a column once per distinct value: (datetime64 array, {row: reason})."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    vals = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[D]")
    errs: dict[int, str] = {}
    for j, u in enumerate(uniques):
        if u is None or str(u).strip() == "":
            if required:
                errs[j] = f"缺少{label}"
            continue
        try:
            vals[j] = np.datetime64(v.parse_date(str(u).strip(), label, not_future=not_future), "D")
        except ValidationError as exc:
            errs[j] = exc.message
    bad: dict[int, str] = {}
    if errs:
        for i in np.flatnonzero(np.isin(codes, list(errs))):
            bad[int(i)] = errs[int(codes[i])]
    return vals[codes], bad


def _money(s: pd.Series, label: str):
    t = s.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    num = pd.to_numeric(t.where(t != ""), errors="coerce")
    bad: dict[int, str] = {}
    for i in np.flatnonzero(((t != "") & num.isna()).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}不是有效金额：{s.iloc[i]}"
    for i in np.flatnonzero((num < 0).fillna(False).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}不能为负数：{s.iloc[i]}"
    for i in np.flatnonzero((num >= MAX_WAN).fillna(False).to_numpy(dtype=bool)):
        bad[int(i)] = f"{label}超出可记录的范围（应小于 {MAX_WAN:.0f} 万元）：{s.iloc[i]}"
    return num.to_numpy(dtype="float64", na_value=np.nan), bad


def clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Normalise and validate a batch.  Returns the good rows (our columns,
    typed) and {row position: [reasons]} for the others."""
    frame = frame.reset_index(drop=True)
    problems: dict[int, list[str]] = defaultdict(list)
    out = pd.DataFrame(index=frame.index)
    for k in TEXT_FIELDS:
        out[k] = frame[k].fillna("").astype(str).str.strip()
    code = _normalise_codes(frame["uscc"])
    out["uscc"] = code
    ok = uscc_valid(code)
    for i in np.flatnonzero(~ok):
        problems[int(i)].append(uscc.problem(code.iloc[i]) or "统一社会信用代码无效")
    for k, reason in (("decision_no", "缺少行政处罚决定书文号"), ("entity_name", "缺少行政相对人名称")):
        for i in np.flatnonzero((out[k] == "").to_numpy(dtype=bool)):
            problems[int(i)].append(reason)
    for k, required, not_future in (
        ("decision_date", True, True),
        ("valid_until", False, False),
        ("publish_until", False, False),
    ):
        vals, bad = _dates(frame[k].fillna("").astype(str), ps.LABELS[k], required, not_future)
        out[k] = vals
        for i, r in bad.items():
            problems[i].append(r)
    for k in ("fine_wan", "confiscation_wan"):
        vals, bad = _money(frame[k].fillna("").astype(str).str.strip(), ps.LABELS[k])
        out[k] = vals
        for i, r in bad.items():
            problems[i].append(r)
    out["_row"] = frame["_row"].to_numpy() if "_row" in frame else np.arange(len(frame))
    if problems:
        out = out.drop(index=list(problems))
    return out, dict(problems)


def _raw_of(frame: pd.DataFrame, i: int, headers: dict[str, str]) -> dict:
    return {headers[k]: ("" if pd.isna(frame.at[i, k]) else str(frame.at[i, k])) for k in headers if k in frame.columns}
