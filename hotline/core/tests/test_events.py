"""The event bus: typed payloads, published only after commit, delivered to
in-process subscribers, routed to the groups of those allowed to see them."""

import pytest
from django.db import transaction
from pydantic import ValidationError

from hotline.core.events import Audience, subscribe, unsubscribe
from hotline.core.tests.sampleapp.events import SampleRecordSaved
from hotline.core.tests.sampleapp.services import sample_record_create


@pytest.fixture
def received():
    seen = []

    def handler(event):
        seen.append(event)

    subscribe(SampleRecordSaved)(handler)
    yield seen
    unsubscribe(SampleRecordSaved, handler)


def test_payload_forbids_unknown_fields():
    with pytest.raises(ValidationError):
        SampleRecordSaved(record_id=1, title="t", owner_id=None, colour="red")


@pytest.mark.django_db(transaction=True)
def test_event_is_delivered_after_commit(sample_org, received):
    with transaction.atomic():
        record = sample_record_create(actor=sample_org.agent_a1, title="hello")
        assert received == []
    assert [(e.record_id, e.title) for e in received] == [(record.pk, "hello")]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_announces_nothing(sample_org, received):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        sample_record_create(actor=sample_org.agent_a1, title="never")
        raise Abort
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_failing_subscriber_does_not_break_the_service(sample_org, received):
    def broken(event):
        raise RuntimeError("boom")

    subscribe(SampleRecordSaved)(broken)
    try:
        sample_record_create(actor=sample_org.agent_a1, title="still works")
    finally:
        unsubscribe(SampleRecordSaved, broken)
    assert [e.title for e in received] == ["still works"]


@pytest.mark.django_db
def test_scoped_audience_names_owner_team_and_department_chain(sample_org):
    agent = sample_org.agent_b1  # team_b in Sales-North, under Sales, under HQ
    groups = Audience.scoped_to_owner("x.view_y", agent).groups()
    perm = "s.x.view_y"
    assert groups == [
        f"{perm}.all",
        f"{perm}.u.{agent.pk}",
        f"{perm}.t.{sample_org.team_b.pk}",
        f"{perm}.d.{sample_org.hq.pk}",
        f"{perm}.d.{sample_org.sales.pk}",
        f"{perm}.d.{sample_org.sales_north.pk}",
    ]
