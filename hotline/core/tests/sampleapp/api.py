from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from .models import SampleRecord
from .services import sample_record_create

router = Router(tags=["sample (tests only)"])


class RecordOut(Schema):
    id: int
    title: str
    owner_id: int | None
    custom_fields: dict


class RecordIn(Schema):
    title: str
    custom_fields: dict = {}


@router.get("/records", response=list[RecordOut])
def list_records(request):
    return list(SampleRecord.objects.restrict(request.user, "view"))


@router.get("/records/{record_id}", response=RecordOut)
def get_record(request, record_id: int):
    return get_object_or_404(SampleRecord.objects.restrict(request.user, "view"), pk=record_id)


@router.post("/records", response={201: RecordOut})
def create_record(request, payload: RecordIn):
    record = sample_record_create(
        actor=request.user, title=payload.title, custom_fields=payload.custom_fields
    )
    return Status(201, record)
