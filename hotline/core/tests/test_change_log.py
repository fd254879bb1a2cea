"""Change history: who, when, what changed, for every change-logged model."""

import pytest

from hotline.accounts.services import user_set_roles
from hotline.core.context import acting_as
from hotline.core.models import ObjectChange
from hotline.core.tests.sampleapp.models import SampleRecord
from hotline.core.tests.sampleapp.services import sample_record_update

pytestmark = pytest.mark.django_db


def test_create_update_delete_are_logged_with_actor_and_fields(sample_org):
    agent = sample_org.agent_a1
    with acting_as(agent, "10.0.0.7"):
        record = SampleRecord.objects.create(title="first", owner=agent)
    sample_record_update(actor=agent, record=record, title="second")  # no actor context
    with acting_as(agent):
        record.delete()

    create, update, delete = ObjectChange.objects.filter(
        object_repr__in=["first", "second"]
    ).order_by("id")
    assert (create.action, create.actor, create.remote_addr) == ("create", agent, "10.0.0.7")
    assert create.changes["title"] == [None, "first"]
    assert update.action == "update"
    assert update.changes == {"title": ["first", "second"]}
    assert update.actor is None
    assert delete.action == "delete" and delete.actor == agent


def test_saving_without_changes_logs_nothing(sample_org):
    record = SampleRecord.objects.create(title="same", owner=sample_org.agent_a1)
    record = SampleRecord.objects.get(pk=record.pk)
    before = ObjectChange.objects.count()
    record.save()
    assert ObjectChange.objects.count() == before


def test_custom_field_changes_are_logged_per_field(sample_org):
    record = SampleRecord.objects.create(title="t", custom_fields={"a": 1})
    record = SampleRecord.objects.get(pk=record.pk)
    record.custom_fields = {"a": 2, "b": "x"}
    record.save()
    assert record.change_history().first().changes == {"cf.a": [1, 2], "cf.b": [None, "x"]}


def test_password_never_enters_the_log(sample_org):
    user = sample_org.agent_a1
    user.set_password("another-secret-9")
    user.save()
    for change in user.change_history():
        assert "password" not in change.changes


def test_role_assignment_is_logged(sample_org):
    user = sample_org.agent_a1
    user_set_roles(actor=sample_org.admin, user=user, roles=[sample_org.roles["qa"]])
    latest = user.change_history().first()
    assert latest.changes == {"roles": [["agent"], ["qa"]]}


def test_in_place_edit_of_custom_fields_is_logged(sample_org):
    record = SampleRecord.objects.create(title="t", custom_fields={"a": 1})
    record = SampleRecord.objects.get(pk=record.pk)
    record.custom_fields["a"] = 2
    record.save()
    assert record.change_history().first().changes == {"cf.a": [1, 2]}
