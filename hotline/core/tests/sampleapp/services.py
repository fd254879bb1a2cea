from django.db import transaction

from hotline.core.custom_fields import custom_fields_clean
from hotline.core.events import publish
from hotline.core.permissions import require_object_perm, require_perm

from .events import SampleRecordSaved
from .models import SampleRecord


def _announce(record: SampleRecord) -> None:
    publish(SampleRecordSaved(record_id=record.pk, title=record.title, owner_id=record.owner_id))


@transaction.atomic
def sample_record_create(*, actor, title: str, owner=None, custom_fields=None) -> SampleRecord:
    require_perm(actor, "sampleapp.add_samplerecord")
    record = SampleRecord(title=title, owner=owner or actor)
    record.custom_fields = custom_fields_clean(
        SampleRecord, custom_fields or {}, actor=actor, current={}
    )
    record.save()
    _announce(record)
    return record


@transaction.atomic
def sample_record_update(*, actor, record: SampleRecord, title=None, custom_fields=None):
    require_object_perm(actor, record, "change")
    if title is not None:
        record.title = title
    if custom_fields is not None:
        merged = {**record.custom_fields, **custom_fields}
        record.custom_fields = custom_fields_clean(
            SampleRecord, merged, actor=actor, current=record.custom_fields
        )
    record.save()
    _announce(record)
    return record
