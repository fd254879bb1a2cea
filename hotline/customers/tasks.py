"""Background work of the customers app."""

from django_tasks import task


@task()
def customer_import(job_id: int) -> dict | None:
    """Run (or resume after a crash) the customer import ``job_id``."""
    from hotline.customers.services.imports import customer_import_run

    job = customer_import_run(job_id=job_id)
    if job is None:
        return None
    return {
        "created": job.created_count,
        "merged": job.merged_count,
        "rejected": job.rejected_count,
    }
