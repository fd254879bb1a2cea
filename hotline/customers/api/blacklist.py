"""/api/customers/blacklist: reports, entries, windows and the status of a number (CUS-6)."""

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from hotline.core.permissions import require_perm
from hotline.customers.selectors.blacklist import (
    blacklist_entries,
    blacklist_entry_get,
    blacklist_status,
    window_as_dict,
)
from hotline.customers.services import blacklist as services

router = Router()
STATUS_FILTER = {"active": True, "inactive": False, "all": None}


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class WindowIn(Strict):
    weekdays: list[int] = Field(default_factory=list, description="0 = Monday … 6 = Sunday")
    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM; before the start: the window spans midnight")


class WindowOut(Schema):
    weekdays: list[int]
    start: str
    end: str


class ReportIn(Strict):
    number: str
    reason: str


class ReportOut(Schema):
    id: int
    number: str
    reason: str
    at: datetime
    reports: int
    listed: bool


class EntryIn(Strict):
    number: str
    reason: str = ""
    windows: list[WindowIn] = Field(default_factory=list)


class WindowsIn(Strict):
    windows: list[WindowIn]


class EntryOut(Schema):
    id: int
    number: str
    active: bool
    source: str
    reason: str
    reports: int
    windows: list[WindowOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_reports(obj):
        return obj.report_count

    @staticmethod
    def resolve_windows(obj):
        return [window_as_dict(window) for window in obj.windows.all()]


class StatusOut(Schema):
    number: str
    valid: bool
    listed: bool
    refused_now: bool
    reports: int
    reason: str
    source: str
    entry_id: int | None
    windows: list[WindowOut]


def _windows(windows: list[WindowIn]) -> list[dict]:
    return [window.model_dump() for window in windows]


@router.post("/blacklist/reports", response={201: ReportOut}, summary="Report a nuisance number")
def report_create(request, payload: ReportIn):
    report = services.blacklist_report(
        actor=request.user, number=payload.number, reason=payload.reason
    )
    status = blacklist_status(report.number)
    return Status(
        201,
        {
            "id": report.pk,
            "number": report.number,
            "reason": report.reason,
            "at": report.at,
            "reports": status["reports"],
            "listed": status["listed"],
        },
    )


@router.get("/blacklist/status", response=StatusOut, summary="Is a number blacklisted now?")
def status_get(request, number: str):
    require_perm(request.user, "customers.view_blacklistentry")
    return blacklist_status(number)


@router.get("/blacklist", response=list[EntryOut], summary="Blacklisted numbers")
def entry_list(request, status: Literal["active", "inactive", "all"] = "active"):
    """``status``: ``active`` (the default) the current blacklist, ``inactive``
    the removed entries, ``all`` both."""
    active = STATUS_FILTER[status]
    return list(blacklist_entries(actor=request.user, active=active)[:1000])


@router.post("/blacklist", response={201: EntryOut}, summary="Blacklist a number by hand")
def entry_create(request, payload: EntryIn):
    entry = services.blacklist_add(
        actor=request.user,
        number=payload.number,
        reason=payload.reason,
        windows=_windows(payload.windows),
    )
    return Status(201, blacklist_entry_get(actor=request.user, pk=entry.pk))


@router.put("/blacklist/{entry_id}/windows", response=EntryOut, summary="Set refusal windows")
def entry_windows(request, entry_id: int, payload: WindowsIn):
    entry = get_object_or_404(blacklist_entries(actor=request.user), pk=entry_id)
    services.blacklist_set_windows(
        actor=request.user, entry=entry, windows=_windows(payload.windows)
    )
    return blacklist_entry_get(actor=request.user, pk=entry.pk)


@router.delete(
    "/blacklist/{entry_id}", response=EntryOut, summary="Take a number off the blacklist"
)
def entry_remove(request, entry_id: int):
    """The entry stays, inactive, with its reports, as history."""
    entry = get_object_or_404(blacklist_entries(actor=request.user), pk=entry_id)
    services.blacklist_remove(actor=request.user, entry=entry)
    return blacklist_entry_get(actor=request.user, pk=entry.pk)
