"""Callback pages: the agent's list with overdue highlighted and a result
form per row, the leads' list with assignment and suggestions, rules for
administrators, pending items, follow-ups, and the customer 360 panels."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.callbacks.models import AllocationRule, CallbackTask, PendingItem
from hotline.callbacks.services.allocation import callbacks_allocate
from hotline.callbacks.services.pending import pending_item_create
from hotline.callbacks.tests.factories import assigned_task, make_rule, missed
from hotline.customers.tests.test_services import make_customer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local(minutes: int) -> str:
    return timezone.localtime(timezone.now() + timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def test_my_callbacks_page_highlights_overdue_and_records_results(org):
    customer = make_customer(org.agent_a1, name="王伟", phones=["13900139001"])
    late = assigned_task(org.agent_a1, "13900139001", due_in_minutes=-5)
    fine = assigned_task(org.agent_a1, "13900139002", due_in_minutes=60)
    assigned_task(org.agent_a2, "13900139003")
    client = client_for(org.agent_a1)
    page = client.get("/callbacks/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('attempt-form"') == 2 and "13900139003" not in body
    assert f'data-task="{late.pk}" class="overdue"' in body
    assert f'data-task="{fine.pk}">' in body
    assert customer.get_absolute_url() in body and "王伟" in body
    response = client.post(
        f"/callbacks/{late.pk}/attempt/", {"result": "reached", "next": "/callbacks/"}
    )
    assert response.status_code == 302 and response["Location"] == "/callbacks/"
    late.refresh_from_db()
    assert late.status == "done"
    refused = client.post(f"/callbacks/{fine.pk}/attempt/", {"result": "call_later"}, follow=True)
    assert "Say when to call again." in refused.content.decode()
    fine.refresh_from_db()
    assert fine.attempts == 0


def test_detail_page_and_scope(org):
    task = assigned_task(org.agent_a1)
    assert client_for(org.agent_a1).get(f"/callbacks/{task.pk}/").status_code == 200
    assert client_for(org.agent_a2).get(f"/callbacks/{task.pk}/").status_code == 404
    lead_page = client_for(org.lead_a).get(f"/callbacks/{task.pk}/")
    assert lead_page.status_code == 200 and 'id="callback-assign"' in lead_page.content.decode()


def test_all_callbacks_for_leads_only(org):
    pool = missed("13900139001")
    theirs = assigned_task(org.agent_b1, "13900139002")
    assert client_for(org.agent_a1).get("/callbacks/all/").status_code == 403
    client = client_for(org.lead_a)
    page = client.get("/callbacks/all/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-task="{pool.pk}"' in body and f'data-task="{theirs.pk}"' not in body
    filtered = client.get(
        "/callbacks/all/", {"status": "assigned"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert filtered.status_code == 200 and f'data-task="{pool.pk}"' not in filtered.content.decode()
    assert "<html" not in filtered.content.decode()
    response = client.post(f"/callbacks/{pool.pk}/assign/", {"owner": org.agent_a2.pk})
    assert response.status_code == 302
    pool.refresh_from_db()
    assert pool.owner == org.agent_a2
    client.post(f"/callbacks/{theirs.pk}/assign/", {"owner": org.agent_a1.pk})
    theirs.refresh_from_db()
    assert theirs.owner == org.agent_b1  # outside the lead's scope: refused


def test_suggestions_and_allocate_now_from_the_page(org):
    first, second = missed("13900139001"), missed("13900139002")
    make_rule("suggest", mode="semi", target_user=org.agent_a1)
    client = client_for(org.lead_a)
    assert client.post("/callbacks/allocate/").status_code == 302
    first.refresh_from_db()
    assert first.status == "suggested"
    body = client.get("/callbacks/all/").content.decode()
    assert f"/callbacks/{first.pk}/confirm/" in body
    client.post(f"/callbacks/{first.pk}/confirm/")
    client.post(f"/callbacks/{second.pk}/reject/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("assigned", "pending")
    assert client_for(org.agent_a1).post("/callbacks/allocate/").status_code == 403


def test_schedule_from_a_customer_page(org):
    customer = make_customer(org.agent_a1, phones=["13800138000"])
    client = client_for(org.agent_a1)
    detail = client.get(customer.get_absolute_url()).content.decode()
    assert f"/callbacks/schedule/?customer={customer.pk}" in detail
    assert f"/callbacks/pending/new/?customer={customer.pk}" in detail
    form = client.get(f"/callbacks/schedule/?customer={customer.pk}")
    assert form.status_code == 200 and 'name="owner"' not in form.content.decode()
    response = client.post(
        "/callbacks/schedule/", {"customer": customer.pk, "due_at": local(60), "note": "回访"}
    )
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    task = CallbackTask.objects.get()
    assert (task.kind, task.owner, task.customer) == ("scheduled", org.agent_a1, customer)
    panel = client.get(customer.get_absolute_url()).content.decode()
    assert 'id="panel-callbacks"' in panel and f'data-task="{task.pk}"' in panel
    bad = client.post("/callbacks/schedule/", {"number": "12", "due_at": local(60)})
    assert bad.status_code == 200 and "Not a valid phone number." in bad.content.decode()
    other = make_customer(org.agent_b1, phones=["13900139000"])
    assert client.get(f"/callbacks/schedule/?customer={other.pk}").status_code == 404
    lead_form = client_for(org.lead_a).get("/callbacks/schedule/")
    assert 'name="owner"' in lead_form.content.decode()


def test_pending_items_pages(org):
    customer = make_customer(org.agent_a1)
    client = client_for(org.agent_a1)
    assert client.get("/callbacks/pending/").status_code == 200
    form = client.get(f"/callbacks/pending/new/?customer={customer.pk}")
    assert form.status_code == 200 and 'name="handler"' not in form.content.decode()
    response = client.post(
        "/callbacks/pending/new/", {"customer": customer.pk, "title": "寄样品", "due_at": local(-5)}
    )
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    item = PendingItem.objects.get()
    assert (item.customer, item.handler) == (customer, org.agent_a1)
    page = client.get("/callbacks/pending/").content.decode()
    assert "寄样品" in page and "Overdue" in page
    panel = client.get(customer.get_absolute_url()).content.decode()
    assert 'id="panel-pending_items"' in panel and "寄样品" in panel
    empty = client.post("/callbacks/pending/new/", {"title": "", "due_at": ""})
    assert empty.status_code == 200 and PendingItem.objects.count() == 1
    client.post(f"/callbacks/pending/{item.pk}/done/")
    item.refresh_from_db()
    assert item.status == "done"
    assert f'data-item="{item.pk}"' not in client.get("/callbacks/pending/").content.decode()
    assert client_for(org.agent_b1).post(f"/callbacks/pending/{item.pk}/done/").status_code == 404


def test_lead_sees_the_pending_items_of_the_team(org):
    pending_item_create(actor=org.agent_a2, title="a2 的待办", due_at=timezone.now())
    client = client_for(org.lead_a)
    assert "a2 的待办" not in client.get("/callbacks/pending/").content.decode()
    assert "a2 的待办" in client.get("/callbacks/pending/?scope=all").content.decode()
    assert (
        "a2 的待办"
        not in client_for(org.agent_a1).get("/callbacks/pending/?scope=all").content.decode()
    )
    form = client.get("/callbacks/pending/new/").content.decode()
    assert 'name="handler"' in form


def test_allocation_rule_pages_for_administrators(org):
    assert client_for(org.agent_a1).get("/callbacks/rules/").status_code == 403
    assert client_for(org.lead_a).get("/callbacks/rules/").status_code == 200
    assert client_for(org.lead_a).get("/callbacks/rules/new/").status_code == 403
    client = client_for(org.admin)
    assert client.get("/callbacks/rules/new/").status_code == 200
    incomplete = client.post("/callbacks/rules/new/", {"name": "x", "position": 1, "mode": "auto"})
    assert incomplete.status_code == 200 and not AllocationRule.objects.exists()
    assert "Choose an agent or a team." in incomplete.content.decode()
    created = client.post(
        "/callbacks/rules/new/",
        {
            "name": "语音留言",
            "position": 5,
            "active": "on",
            "mode": "semi",
            "kinds": ["voicemail"],
            "province": "广东",
            "target_team": org.team_a.pk,
        },
    )
    assert created.status_code == 302
    rule = AllocationRule.objects.get()
    assert (rule.kinds, rule.province, rule.target_team, rule.mode) == (
        ["voicemail"],
        "广东",
        org.team_a,
        "semi",
    )
    listing = client.get("/callbacks/rules/").content.decode()
    assert "语音留言" in listing and "Voicemail" in listing
    edit = client.get(f"/callbacks/rules/{rule.pk}/edit/")
    assert edit.status_code == 200
    assert re.search(r'value="voicemail"[^>]* checked', edit.content.decode())
    client.post(
        f"/callbacks/rules/{rule.pk}/edit/",
        {"name": "语音留言", "position": 5, "mode": "auto", "target_user": org.agent_a1.pk},
    )
    rule.refresh_from_db()
    assert (rule.mode, rule.kinds, rule.target_user, rule.active) == (
        "auto",
        [],
        org.agent_a1,
        False,
    )
    assert client_for(org.lead_a).post(f"/callbacks/rules/{rule.pk}/delete/").status_code == 403
    client.post(f"/callbacks/rules/{rule.pk}/delete/")
    assert not AllocationRule.objects.exists()


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("agent_a1", {"My callbacks", "My pending items"}),
        ("lead_a", {"My callbacks", "My pending items", "All callbacks", "Allocation rules"}),
    ],
)
def test_menu(org, username, visible):
    body = client_for(getattr(org, username)).get("/callbacks/").content.decode()
    shown = {
        label
        for label in ("My callbacks", "My pending items", "All callbacks", "Allocation rules")
        if f">{label}</a>" in body
    }
    assert shown == visible


def test_release_from_the_detail_page(org):
    task = assigned_task(org.agent_a1)
    client = client_for(org.agent_a1)
    assert 'id="release-form"' in client.get(f"/callbacks/{task.pk}/").content.decode()
    client.post(f"/callbacks/{task.pk}/release/")
    task.refresh_from_db()
    assert task.status == "pending"
    make_rule("back to a2", target_user=org.agent_a2)
    assert callbacks_allocate() == 1
