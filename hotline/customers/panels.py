"""The customer 360 view is a list of panels that apps contribute, and the
screen pop shows the latest history items that apps contribute. This module
knows neither orders nor calls: each app registers its own panel and history
source (in its AppConfig.ready), so the page grows as apps arrive."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

PANELS: dict[str, "Panel"] = {}
HISTORY_SOURCES: dict[str, Callable] = {}


@dataclass(frozen=True)
class Panel:
    key: str
    title: object  # lazy translated
    position: int
    template: str
    # context(customer, user) -> dict of template context, or None to hide
    context: Callable
    permission: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One line of a customer's history in the screen pop."""

    source: str  # "contact", "order", "call", "ticket" …
    at: datetime
    title: str
    detail: str = ""
    url: str = ""

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "at": self.at.isoformat(),
            "title": self.title,
            "detail": self.detail,
            "url": self.url,
        }


def register_panel(panel: Panel) -> Panel:
    PANELS[panel.key] = panel
    return panel


def register_history_source(key: str):
    """Decorator: ``fn(customer_ids, user, limit) -> list[HistoryItem]``."""

    def register(fn):
        HISTORY_SOURCES[key] = fn
        return fn

    return register


def panels_for(customer, user) -> list[dict]:
    shown = []
    for panel in sorted(PANELS.values(), key=lambda p: (p.position, p.key)):
        if panel.permission and not user.has_perm(panel.permission):
            continue
        context = panel.context(customer, user)
        if context is not None:
            shown.append(
                {"key": panel.key, "title": panel.title, "template": panel.template, **context}
            )
    return shown


def latest_history(customer_ids: list[int], user, limit: int = 10) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    for source in HISTORY_SOURCES.values():
        items += source(customer_ids, user, limit)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]
