"""Pending items (CB-5): created for oneself (or by a lead for an agent of the
team), listed per handler within scope, done once, and an alarm to the
handler when an open item is overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.callbacks.events import PendingItemCreated, PendingItemDone, PendingItemOverdue
from hotline.callbacks.models import PendingItem
from hotline.callbacks.selectors import my_pending_items, pending_item_list
from hotline.callbacks.services.pending import (
    pending_item_create,
    pending_item_done,
    pending_items_alarm,
)
from hotline.core.events import subscribe, unsubscribe
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.customers.tests.test_services import make_customer


@pytest.fixture
def events():
    seen = []
    kinds = (PendingItemCreated, PendingItemDone, PendingItemOverdue)
    handlers = [(kind, subscribe(kind)(seen.append)) for kind in kinds]
    yield seen
    for kind, handler in handlers:
        unsubscribe(kind, handler)


def soon(hours=1):
    return timezone.now() + timedelta(hours=hours)


def test_agent_notes_a_pending_item_about_a_customer(
    org, events, django_capture_on_commit_callbacks
):
    customer = make_customer(org.agent_a1)
    with django_capture_on_commit_callbacks(execute=True):
        item = pending_item_create(
            actor=org.agent_a1, title=" 回电确认地址 ", due_at=soon(), customer=customer
        )
    assert (item.title, item.handler, item.created_by, item.status) == (
        "回电确认地址",
        org.agent_a1,
        org.agent_a1,
        "open",
    )
    assert [e.type for e in events] == ["callbacks.pending_item_created"]
    assert list(my_pending_items(actor=org.agent_a1)) == [item]
    assert item.change_history().count() == 1


def test_refusals_change_nothing(org):
    theirs = make_customer(org.agent_b1)
    with pytest.raises(InvalidData) as empty:
        pending_item_create(actor=org.agent_a1, title=" ", due_at=None)
    assert set(empty.value.details) == {"title", "due_at"}
    with pytest.raises(NotAllowed):  # a customer outside the agent's scope
        pending_item_create(actor=org.agent_a1, title="x", due_at=soon(), customer=theirs)
    with pytest.raises(NotAllowed):  # an agent writes only their own items
        pending_item_create(actor=org.agent_a1, title="x", due_at=soon(), handler=org.agent_a2)
    with pytest.raises(NotAllowed):  # a lead only for their team
        pending_item_create(actor=org.lead_a, title="x", due_at=soon(), handler=org.agent_b1)
    assert not PendingItem.objects.exists()
    item = pending_item_create(actor=org.lead_a, title="x", due_at=soon(), handler=org.agent_a2)
    assert item.handler == org.agent_a2 and item.created_by == org.lead_a


def test_lists_follow_the_data_scope(org):
    mine = pending_item_create(actor=org.agent_a1, title="a1", due_at=soon(2))
    colleague = pending_item_create(actor=org.agent_a2, title="a2", due_at=soon(1))
    other = pending_item_create(actor=org.agent_b1, title="b1", due_at=soon(3))
    assert list(pending_item_list(actor=org.agent_a1)) == [mine]
    assert list(pending_item_list(actor=org.lead_a)) == [colleague, mine]
    assert list(pending_item_list(actor=org.head_sales)) == [colleague, mine, other]
    assert list(my_pending_items(actor=org.lead_a)) == []


def test_done_once_by_the_handler_or_a_lead(org, events, django_capture_on_commit_callbacks):
    item = pending_item_create(actor=org.agent_a1, title="x", due_at=soon())
    with pytest.raises(NotAllowed):
        pending_item_done(actor=org.agent_a2, item=item)
    with django_capture_on_commit_callbacks(execute=True):
        pending_item_done(actor=org.lead_a, item=item)
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    assert [e.type for e in events] == ["callbacks.pending_item_done"]
    with pytest.raises(Conflict):
        pending_item_done(actor=org.agent_a1, item=item)
    assert list(my_pending_items(actor=org.agent_a1)) == []
    assert list(my_pending_items(actor=org.agent_a1, status="done")) == [item]


def test_overdue_items_alarm_their_handler_once(org, events, django_capture_on_commit_callbacks):
    late = pending_item_create(actor=org.agent_a1, title="late", due_at=soon(-1))
    pending_item_create(actor=org.agent_a1, title="later", due_at=soon(5))
    done = pending_item_create(actor=org.agent_a2, title="done", due_at=soon(-2))
    pending_item_done(actor=org.agent_a2, item=done)
    with django_capture_on_commit_callbacks(execute=True):
        assert pending_items_alarm(timezone.now()) == 1
        assert pending_items_alarm(timezone.now()) == 0
    overdue = [e for e in events if e.type == "callbacks.pending_item_overdue"]
    assert [(e.item_id, e.handler_id, e.title) for e in overdue] == [
        (late.pk, org.agent_a1.pk, "late")
    ]
    audience = overdue[0].audience()
    assert audience.permission == "callbacks.view_pendingitem"
    assert audience.owner_id == org.agent_a1.pk and audience.owner_team_id == org.team_a.pk
    late.refresh_from_db()
    assert late.alarmed_at is not None
    assert pending_items_alarm(soon(6)) == 1  # "later" once it is overdue too
