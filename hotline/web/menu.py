"""The navigation: each app lists its entries in its own ``menu.py`` as
``MENU = [MenuSection(...)]``; a user sees an entry when they hold its
permission, and a section when they see one of its entries."""

import importlib
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.urls import reverse


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str | None = None  # None: every signed-in user

    def visible_to(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


@dataclass(frozen=True)
class MenuSection:
    key: str
    label: str
    position: int
    items: tuple[MenuItem, ...] = field(default_factory=tuple)


@cache
def all_sections() -> tuple[MenuSection, ...]:
    sections = []
    for config in apps.get_app_configs():
        if not config.name.startswith("hotline."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.menu")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.menu":
                raise
            continue
        sections += getattr(module, "MENU", [])
    return tuple(sorted(sections, key=lambda s: (s.position, s.key)))


def _active_url(urls: list[str], current_path: str) -> str | None:
    """The entry the page belongs to: the longest URL the path starts with."""
    matching = [
        url for url in urls if current_path == url or (url != "/" and current_path.startswith(url))
    ]
    return max(matching, key=len) if matching else None


def menu_for(user, current_path: str = "") -> list[dict]:
    """The sections and entries ``user`` may see, with the active entry marked."""
    if not user.is_authenticated:
        return []
    result = []
    for section in all_sections():
        entries = [
            {"label": item.label, "url": reverse(item.url_name)}
            for item in section.items
            if item.visible_to(user)
        ]
        if entries:
            result.append({"key": section.key, "label": section.label, "items": entries})
    active = _active_url([e["url"] for s in result for e in s["items"]], current_path)
    for section in result:
        for entry in section["items"]:
            entry["active"] = entry["url"] == active
    return result


def _web_menu():
    from django.utils.translation import gettext_lazy as _

    return [
        MenuSection(
            key="workbench",
            label=_("Workbench"),
            position=10,
            items=(
                MenuItem(_("Home"), "web:home"),
                MenuItem(_("My account"), "web:account"),
            ),
        )
    ]


MENU = _web_menu()
