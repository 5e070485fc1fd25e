"""Every annotation in sgld/ names something that exists: ``typing.get_type_hints``
(used by dataclasses tooling, pydantic-style validators and documentation
generators) evaluates the string annotations that ``from __future__ import
annotations`` leaves behind, and fails on a name the module never imports —
as ``"pa.Table"`` in ``sgld.penalty_sources`` did."""

import importlib
import inspect
import pkgutil
import typing

import sgld


def _annotated():
    for info in pkgutil.walk_packages(sgld.__path__, "sgld."):
        if info.name.endswith("__main__"):  # runs the CLI when imported
            continue
        mod = importlib.import_module(info.name)
        for obj in list(vars(mod).values()):
            if getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isclass(obj):
                yield obj
                yield from (f for f in vars(obj).values() if inspect.isfunction(f))
            elif inspect.isfunction(obj):
                yield obj


def test_every_annotation_in_sgld_resolves():
    seen, broken = 0, []
    for obj in _annotated():
        seen += 1
        try:
            typing.get_type_hints(obj)
        except Exception as exc:  # noqa: BLE001 - every failure is listed
            broken.append(f"{obj.__module__}.{obj.__qualname__}: {exc!r}")
    assert seen > 500  # the walk found the code
    assert broken == []


def test_penalty_batch_frame_is_an_arrow_table():
    import pyarrow as pa

    from sgld import penalty_sources as ps

    assert typing.get_type_hints(ps.Batch)["frame"] is pa.Table
    assert typing.get_type_hints(ps.arrow_table)["return"] is pa.Table
