"""The hooks are listed in one place each (sgld.services.registry,
sgld.services.listeners, ui.registry): a module that defines a hook but is
not listed would silently drop out of the landing page, the profile, the
listeners or 系统管理."""

import importlib
import pkgutil

import sgld.services as services
import ui
from sgld.services import listeners, registry
from ui import registry as ui_registry


def _defining(package, prefix: str, name: str) -> list:
    """(module, function) of every module of ``package`` that defines ``name`` itself,
    in module order; a sub-package's modules (``special_review.queries``) in its place."""
    out = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith(prefix):
            continue
        mod = importlib.import_module(f"{package.__name__}.{info.name}")
        if info.ispkg:
            out += _defining(mod, "", name)
            continue
        fn = getattr(mod, name, None)
        if callable(fn) and getattr(fn, "__module__", None) == mod.__name__:
            out.append(fn)
    return out


def test_every_reminders_function_is_registered_in_module_order():
    found = _defining(services, "", "reminders")
    assert len(found) >= 6
    assert list(registry.REMINDERS) == found


def test_every_profile_provider_is_registered():
    assert list(registry.PROFILE_EVENTS) == _defining(services, "", "profile_events")
    assert list(registry.PROFILE_FLAGS) == _defining(services, "", "profile_flags")


def test_every_listener_is_registered():
    assert list(listeners.ON_PENALTY_SYNC) == _defining(services, "", "on_penalty_sync")
    assert list(listeners.ON_INSPECTION_SAVED) == _defining(services, "", "on_inspection_saved")


def test_every_admin_tab_is_registered_once():
    tabs = [
        importlib.import_module(f"ui.{m.name}")
        for m in pkgutil.iter_modules(ui.__path__)
        if m.name.startswith("admin_")
    ]
    tabs = [m for m in tabs if hasattr(m, "TAB_TITLE")]
    assert sorted(m.__name__ for m in ui_registry.ADMIN_TABS) == sorted(m.__name__ for m in tabs)
    assert len(set(ui_registry.ADMIN_TABS)) == len(ui_registry.ADMIN_TABS)
    assert all(callable(m.render) for m in ui_registry.ADMIN_TABS)


def test_admin_tabs_keep_their_order():
    from ui.widgets import admin_tabs

    assert [m.TAB_TITLE for m in admin_tabs()] == [
        "节假日设置",
        "协同处理与警示规则",
        "监管数据",
        "统一身份认证",
        "推送队列",
        "接口管理",
    ]


def test_every_cli_command_and_demo_step_is_listed():
    import sgld.commands as commands
    import sgld.demo as demo
    from sgld import cli

    assert {m.__name__ for m in cli.commands()} == {
        f"sgld.commands.{i.name}" for i in pkgutil.iter_modules(commands.__path__)
    }
    steps = demo.steps()
    assert {m.__name__ for m in steps} == {
        f"sgld.demo.{i.name}"
        for i in pkgutil.iter_modules(demo.__path__)
        if hasattr(importlib.import_module(f"sgld.demo.{i.name}"), "load")
    }
    assert [m.ORDER for m in steps] == sorted({m.ORDER for m in steps})  # distinct, in order
