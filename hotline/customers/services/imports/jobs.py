"""An import job before it runs: upload, preview, start (the mapping is
remembered for the same headers) and resume after a failure.

Permissions are checked here once, not per row: ``customers.import_customer``
and ``customers.add_customer``, ``customers.assign_customer`` for another
owner, and the field edit rules and custom-field roles of every mapped field.
"""

from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.customers.models import ImportJob, ImportMapping
from hotline.customers.services.imports.mapping import (
    headers_key,
    mapping_check_allowed,
    mapping_clean,
)
from hotline.customers.services.imports.reading import import_file_read, job_table
from hotline.customers.services.imports.rows import RowParser, RowRejected, sheet_line

PREVIEW_ROWS = 20


def require_import(actor) -> None:
    """NotAllowed unless ``actor`` may import and add customers."""
    require_perm(actor, "customers.import_customer")
    require_perm(actor, "customers.add_customer")


@transaction.atomic
def import_upload(*, actor, file, filename: str) -> ImportJob:
    """A new import job for the uploaded ``file``; an unreadable file raises
    InvalidData and nothing is saved."""
    require_import(actor)
    data = file.read()
    table = import_file_read(data, filename)
    job = ImportJob(
        created_by=actor,
        original_name=Path(filename).name[:255],
        encoding=table.encoding,
        headers=table.headers,
        total_rows=len(table.rows),
    )
    job.file.save(Path(filename).name, ContentFile(data), save=False)
    job.save()
    return job


def import_preview(*, actor, job: ImportJob, mapping: dict, limit: int = PREVIEW_ROWS):
    """The first rows as they would be imported: (line, Draft or None, reason)."""
    require_import(actor)
    mapping = mapping_clean(job.headers, mapping)
    parser = RowParser(job.headers, mapping)
    preview = []
    for index, cells in enumerate(job_table(job).rows[:limit]):
        try:
            preview.append((sheet_line(index), parser.parse(sheet_line(index), cells), ""))
        except RowRejected as exc:
            preview.append((sheet_line(index), None, str(exc)))
    return preview


def _check_owner(actor, owner):
    if owner is None or owner.pk == actor.pk:
        return owner
    require_perm(actor, "customers.assign_customer")
    if not owner.is_active:
        raise InvalidData(
            _("%(user)s is not an active user.") % {"user": owner},
            details={"owner": [_("Inactive user.")]},
        )
    return owner


def _locked_own_job(actor, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk:
        raise NotAllowed(_("Only the person who uploaded the file may start its import."))
    return job


@transaction.atomic
def import_start(*, actor, job: ImportJob, mapping: dict, owner=None) -> ImportJob:
    """Save the mapping (remembered for the same headers) and queue the job."""
    require_import(actor)
    job = _locked_own_job(actor, job)
    if job.status != ImportJob.Status.UPLOADED:
        raise Conflict(_("This import was already started."))
    job.mapping = mapping_clean(job.headers, mapping)
    mapping_check_allowed(actor, job.mapping)
    job.owner = _check_owner(actor, owner)
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["mapping", "owner", "status"])
    ImportMapping.objects.update_or_create(
        user=actor, headers_key=headers_key(job.headers), defaults={"mapping": job.mapping}
    )
    _enqueue(job)
    return job


@transaction.atomic
def import_resume(*, actor, job: ImportJob) -> ImportJob:
    """Queue a failed job again; it resumes at its checkpoint."""
    require_import(actor)
    job = _locked_own_job(actor, job)
    if job.status != ImportJob.Status.FAILED:
        raise Conflict(_("Only a failed import can be resumed."))
    job.status = ImportJob.Status.QUEUED
    job.error = ""
    job.save(update_fields=["status", "error"])
    _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    from hotline.customers.tasks import customer_import

    transaction.on_commit(lambda: customer_import.enqueue(job.pk))
