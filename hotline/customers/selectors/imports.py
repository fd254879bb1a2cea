"""Reads of customer import jobs (CUS-8), within the reader's data scope."""

from hotline.customers.models import ImportJob


def import_jobs_visible(actor):
    """The import jobs ``actor`` may see, with the person who uploaded each."""
    return ImportJob.objects.restrict(actor, "view").select_related("created_by")
