"""CUS-3 groundwork: administrator-defined fields with types, validation and
role-restricted editing; bad values change nothing."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from hotline.core.exceptions import InvalidData, NotAllowed
from hotline.core.models import CustomField
from hotline.core.tests.sampleapp.models import SampleRecord
from hotline.core.tests.sampleapp.services import sample_record_create, sample_record_update

pytestmark = pytest.mark.django_db


def define(name, field_type, **options):
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(SampleRecord),
        name=name,
        label=options.pop("label", name),
        field_type=field_type,
        **options,
    )


@pytest.mark.parametrize(
    ("field_type", "options", "raw", "stored"),
    [
        ("text", {"max_length": 5}, "  abc ", "abc"),
        ("number", {"min_value": 0, "max_value": 10}, "7", 7),
        ("number", {}, "2.50", 2.5),
        ("date", {}, "2026-02-28", "2026-02-28"),
        ("choice", {"choices": ["TV", "Web"]}, "TV", "TV"),
        ("multichoice", {"choices": ["a", "b", "c"]}, ["b", "a", "b"], ["b", "a"]),
    ],
)
def test_valid_values_are_normalised(field_type, options, raw, stored):
    assert define("f", field_type, **options).clean_value(raw) == stored


@pytest.mark.parametrize(
    ("field_type", "options", "raw", "message"),
    [
        ("text", {"max_length": 3}, "abcd", "at most 3 characters"),
        ("text", {"pattern": r"\d+"}, "12a", "expected format"),
        ("number", {}, "twelve", "must be a number"),
        ("number", {"min_value": 18}, "17", "at least 18"),
        ("number", {"max_value": 5}, "6", "at most 5"),
        ("date", {}, "31/12/2026", "must be a date"),
        ("choice", {"choices": ["TV"]}, "Radio", "not one of the choices"),
        ("multichoice", {"choices": ["a"]}, ["a", "z"], "not one of the choices"),
    ],
)
def test_invalid_values_get_a_clear_message(field_type, options, raw, message):
    field = define("f", field_type, label="Age", **options)
    with pytest.raises(ValidationError) as caught:
        field.clean_value(raw)
    assert message in caught.value.messages[0]


def test_required_field_must_be_given(sample_org):
    define("source", "choice", choices=["TV", "Web"], required=True, label="Source")
    with pytest.raises(InvalidData) as caught:
        sample_record_create(actor=sample_org.agent_a1, title="t", custom_fields={})
    assert caught.value.details == {"source": ["Source is required."]}
    assert not SampleRecord.objects.exists()


def test_unknown_field_is_refused(sample_org):
    with pytest.raises(InvalidData) as caught:
        sample_record_create(actor=sample_org.agent_a1, title="t", custom_fields={"nope": 1})
    assert "nope" in caught.value.details
    assert not SampleRecord.objects.exists()


def test_invalid_value_through_api_is_422_and_nothing_saved(client, sample_org):
    define("age", "number", min_value=18, label="Age")
    client.force_login(sample_org.agent_a1)
    response = client.post(
        "/api/sampleapp/records",
        {"title": "t", "custom_fields": {"age": "12"}},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert body["details"] == {"age": ["Age must be at least 18."]}
    assert not SampleRecord.objects.exists()


def test_field_editable_only_by_listed_roles(sample_org):
    field = define("vip_note", "text", label="VIP note")
    field.editable_by_roles.set([sample_org.roles["lead"]])
    record = sample_record_create(
        actor=sample_org.lead_a,
        title="t",
        owner=sample_org.agent_a1,
        custom_fields={"vip_note": "gold"},
    )
    with pytest.raises(NotAllowed):
        sample_record_update(
            actor=sample_org.agent_a1, record=record, custom_fields={"vip_note": "silver"}
        )
    record.refresh_from_db()
    assert record.cf == {"vip_note": "gold"}
    # Changing another field keeps the restricted one as it was: allowed.
    sample_record_update(actor=sample_org.agent_a1, record=record, title="renamed")
    record.refresh_from_db()
    assert (record.title, record.cf) == ("renamed", {"vip_note": "gold"})


def test_choice_field_needs_choices():
    field = CustomField(
        content_type=ContentType.objects.get_for_model(SampleRecord),
        name="x",
        label="X",
        field_type="choice",
        choices=[],
    )
    with pytest.raises(ValidationError):
        field.full_clean()
