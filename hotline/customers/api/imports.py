"""/api/customers/imports and /api/customers/export (CUS-8)."""

from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status, UploadedFile

from hotline.accounts.models import User
from hotline.core.exceptions import InvalidData
from hotline.customers.models import ImportJob
from hotline.customers.selectors.imports import import_jobs_visible
from hotline.customers.services.exports import XLSX_CONTENT_TYPE, customer_export
from hotline.customers.services.imports import (
    import_mapping_suggest,
    import_preview,
    import_resume,
    import_start,
    import_targets,
    import_upload,
)

router = Router()


class ImportJobOut(Schema):
    id: int
    original_name: str
    status: str
    encoding: str
    headers: list[str]
    mapping: dict[str, str]
    owner_id: int | None
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    merged_count: int
    outside_scope_count: int
    rejected_count: int
    error: str
    rejects_url: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_rejects_url(job):
        if not job.rejects_file:
            return None
        return reverse("api:customer_import_rejects", args=[job.pk])


class TargetOut(Schema):
    target: str
    label: str


class UploadOut(ImportJobOut):
    suggested_mapping: dict[str, str]
    remembered: bool
    targets: list[TargetOut]


class MappingIn(Schema):
    mapping: dict[str, str]


class StartIn(MappingIn):
    owner_id: int | None = None


class PreviewPhoneOut(Schema):
    e164: str
    national: str
    kind: str
    location: str
    carrier: str


class PreviewRowOut(Schema):
    line: int
    name: str | None = None
    phones: list[PreviewPhoneOut] = []
    rejected_reason: str = ""


class ExportIn(Schema):
    criteria: dict = {}


def _job(request, job_id: int) -> ImportJob:
    return get_object_or_404(import_jobs_visible(request.user), pk=job_id)


@router.post("/imports", response={201: UploadOut}, summary="Upload a file to import")
def upload_import(request, file: UploadedFile = File(...)):  # noqa: B008
    job = import_upload(actor=request.user, file=file, filename=file.name)
    job.suggested_mapping, job.remembered = import_mapping_suggest(
        actor=request.user, headers=job.headers
    )
    job.targets = [{"target": t, "label": label} for t, label in import_targets()]
    return Status(201, job)


@router.get("/imports/{job_id}", response=ImportJobOut, summary="Status and counts of an import")
def get_import(request, job_id: int):
    return _job(request, job_id)


@router.post("/imports/{job_id}/preview", response=list[PreviewRowOut])
def preview_import(request, job_id: int, payload: MappingIn):
    preview = import_preview(actor=request.user, job=_job(request, job_id), mapping=payload.mapping)
    return [
        {
            "line": line,
            "name": draft.name if draft else None,
            "phones": [info.as_dict() for info in draft.phones.values()] if draft else [],
            "rejected_reason": reason,
        }
        for line, draft, reason in preview
    ]


@router.post("/imports/{job_id}/start", response=ImportJobOut, summary="Start an import")
def start_import(request, job_id: int, payload: StartIn):
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id).first()
        if owner is None:
            raise InvalidData(
                _("No such user: %(id)s") % {"id": payload.owner_id},
                details={"owner_id": [_("Not found.")]},
            )
    job = import_start(
        actor=request.user, job=_job(request, job_id), mapping=payload.mapping, owner=owner
    )
    job.refresh_from_db()
    return job


@router.post("/imports/{job_id}/resume", response=ImportJobOut, summary="Resume a failed import")
def resume_import(request, job_id: int):
    job = import_resume(actor=request.user, job=_job(request, job_id))
    job.refresh_from_db()
    return job


@router.get("/imports/{job_id}/rejects", url_name="customer_import_rejects")
def import_rejects(request, job_id: int):
    job = _job(request, job_id)
    if not job.rejects_file:
        raise InvalidData(_("This import has no rejected rows."))
    with job.rejects_file.open("rb") as handle:
        return _xlsx_response(f"rejected-{job.pk}.xlsx", handle.read())


@router.post("/export", summary="Customers matching the criteria, as an Excel file")
def export_customers(request, payload: ExportIn):
    filename, content = customer_export(actor=request.user, criteria=payload.criteria)
    return _xlsx_response(filename, content)


def _xlsx_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
