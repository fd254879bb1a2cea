"""Running an import job (``customer_import_run``, called by the background
task): rows in chunks of ``CHUNK_ROWS`` from the job's checkpoint on, then
the workbook of rejected rows.

A task that dies leaves the last chunk unwritten and the checkpoint before
it; a rerun resumes there. Matching is by phone number against the database,
so even a chunk replayed after a commit could not create duplicates. Rows
before a resumed checkpoint are validated again to list their rejects, so a
rerun's workbook is complete (should a group or level have been added
between the crash and the rerun, those earlier rows are listed by today's
rules).
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline.core.exceptions import DomainError
from hotline.customers.models import ImportJob
from hotline.customers.services.imports.jobs import require_import
from hotline.customers.services.imports.mapping import mapping_check_allowed
from hotline.customers.services.imports.reading import job_table, table_kept_out_of_gc
from hotline.customers.services.imports.rows import RowParser, chunk_parse, rows_rejected
from hotline.customers.services.imports.writing import (
    CheckpointMoved,
    chunk_write,
    rejects_workbook,
)

# The logger of the package, as before it was split into modules.
logger = logging.getLogger("hotline.customers.services.imports")

CHUNK_ROWS = 2000


def _claim(job_id: int) -> ImportJob | None:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.UPLOADED):
            return None
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def _finish(job: ImportJob, rejected: list, headers: list[str]) -> None:
    with transaction.atomic():
        if rejected:
            name = f"rejected-{job.pk}.xlsx"
            job.rejects_file.save(name, ContentFile(rejects_workbook(headers, rejected)), False)
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["rejects_file", "status", "finished_at"])


def _fail(job: ImportJob, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        message = exc.message
    else:
        logger.exception("Customer import %s failed at row %s", job.pk, job.processed_rows)
        message = _("The import stopped because of an error on our side; resume it to go on.")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error=message)


def _run(job: ImportJob, actor, chunk_rows: int) -> None:
    require_import(actor)
    mapping_check_allowed(actor, job.mapping)
    table = job_table(job)
    parser = RowParser(table.headers, job.mapping)
    rejected = rows_rejected(parser, table.rows[: job.processed_rows])
    tag_ids: dict[str, int] = {}
    job.total_rows = len(table.rows)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    with table_kept_out_of_gc():
        for start in range(job.processed_rows, len(table.rows), chunk_rows):
            chunk = chunk_parse(parser, table.rows[start : start + chunk_rows], start)
            chunk_write(job, actor, chunk, tag_ids)
            rejected += chunk.rejected
    _finish(job, rejected, table.headers)


def customer_import_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> ImportJob | None:
    """Import the rows of a queued (or interrupted) job from its checkpoint on.

    Safe to call again after a crash: see the module's description."""
    job = _claim(job_id)
    if job is None:
        return None
    actor = job.created_by
    try:
        # Reasons in the rejects workbook speak the importer's language.
        with translation.override(actor.language or settings.LANGUAGE_CODE):
            _run(job, actor, chunk_rows)
    except CheckpointMoved:
        logger.warning("Customer import %s is being run elsewhere; this run stops.", job.pk)
        return None
    except Exception as exc:
        _fail(job, exc)
        raise
    return job
