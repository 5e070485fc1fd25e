"""The leader figures, one spec each (its SQL and its shaping), in the
order the page shows them."""

from __future__ import annotations

from sgld.services.dashboard.figures import (
    cases,
    claims,
    inspections,
    liaison,
    penalties,
    pushes,
    reviews,
    revocations,
    warning_list,
)
from sgld.services.dashboard.spec import FigureSpec

FIGURES: tuple[FigureSpec, ...] = (
    cases.SPEC,
    pushes.SPEC,
    claims.SPEC,
    inspections.SPEC,
    penalties.SPEC,
    revocations.SPEC,
    reviews.SPEC,
    liaison.SPEC,
    warning_list.SPEC,
)
