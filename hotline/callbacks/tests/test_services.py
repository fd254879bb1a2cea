"""Callbacks (CB-1 … CB-4): missed calls deduplicated per number within a
window, allocation by rules (every condition, last agent first, teams,
semi-automatic suggestions), manual allocation within scope, attempts with
retries and limits, follow-ups, the overdue alarm and the events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline.callbacks.events import (
    CallbackCreated,
    CallbackOverdue,
    CallbackStatusChanged,
    CallbackUpdated,
)
from hotline.callbacks.models import AllocationRule, CallbackTask, CallbackTransition
from hotline.callbacks.selectors import callback_list, my_callbacks
from hotline.callbacks.services.allocation import (
    callback_assign,
    callback_release,
    callback_suggest_confirm,
    callback_suggest_reject,
    callbacks_allocate,
)
from hotline.callbacks.services.callbacks import (
    callback_cancel,
    callback_record_attempt,
    callback_schedule,
    callbacks_overdue_alarm,
)
from hotline.callbacks.services.rules import allocation_rule_delete, allocation_rule_save
from hotline.callbacks.states import CallbackStatus
from hotline.callbacks.tests.factories import assigned_task, logged_in, make_rule, missed
from hotline.core.events import subscribe, unsubscribe
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.runtime_settings import setting_set
from hotline.customers.models import AdSource, MemberLevel
from hotline.customers.tests.test_services import make_customer
from hotline.telephony.models import AgentState

NUMBER = "13800138000"
E164 = "+8613800138000"


@pytest.fixture
def events():
    """Every callback event published (after commit) during the test."""
    seen = []
    kinds = (CallbackCreated, CallbackStatusChanged, CallbackUpdated, CallbackOverdue)
    handlers = [(kind, subscribe(kind)(seen.append)) for kind in kinds]
    yield seen
    for kind, handler in handlers:
        unsubscribe(kind, handler)


def assignments(task) -> int:
    return CallbackTransition.objects.filter(task=task, to_status="assigned").count()


# --- CB-1: missed calls and deduplication --------------------------------------


def test_missed_call_makes_a_pending_callback_with_e164_province_and_due_time(org):
    at = timezone.now() - timedelta(hours=3)  # the engine's (virtual) clock
    task = missed("138 0013 8000", at=at)
    assert task.number == E164 and task.province == "北京市"
    assert task.status == CallbackStatus.PENDING and task.owner is None
    assert task.created_at == at and task.due_at == at + timedelta(minutes=15)
    assert task.max_attempts == 3 and task.calls_count == 1
    assert [(t.from_status, t.to_status) for t in task.transitions.all()] == [("", "pending")]
    invalid = missed("12345", kind="lost", at=at)
    assert invalid.number == "12345" and invalid.province == ""


def test_second_missed_call_within_the_window_is_merged(
    org, events, django_capture_on_commit_callbacks
):
    at = timezone.now()
    first = missed(NUMBER, at=at)
    with django_capture_on_commit_callbacks(execute=True):
        again = missed("+86 138-0013-8000", kind="voicemail", at=at + timedelta(minutes=59))
    assert again.pk == first.pk
    assert CallbackTask.objects.count() == 1
    again.refresh_from_db()
    assert again.calls_count == 2 and again.kind == "abandoned"  # the kind is kept
    assert [(e.type, e.change, e.calls_count) for e in events] == [
        ("callbacks.updated", "merged", 2)
    ]


def test_missed_call_after_the_window_makes_a_new_callback(org):
    at = timezone.now()
    first = missed(NUMBER, at=at)
    later = missed(NUMBER, at=at + timedelta(minutes=61))
    assert later.pk != first.pk and CallbackTask.objects.count() == 2
    setting_set(actor=org.admin, key="callbacks.dedup_minutes", value=120)
    third = missed(NUMBER, at=at + timedelta(minutes=100))
    assert third.pk == later.pk and CallbackTask.objects.count() == 2


def test_closed_callbacks_do_not_absorb_new_missed_calls(org):
    task = assigned_task(org.agent_a1)
    callback_record_attempt(actor=org.agent_a1, task=task, result="reached")
    new = missed(NUMBER)
    assert new.pk != task.pk and new.status == "pending"


def test_merge_keeps_the_higher_priority_and_fills_the_customer(org):
    gold = MemberLevel.objects.create(code="gold", name="金卡", rank=2, queue_priority=5)
    at = timezone.now()
    first = missed(NUMBER, at=at)
    assert first.priority == 0 and first.customer is None
    customer = make_customer(org.agent_a1, level=None)
    customer.level = gold
    customer.save()
    again = missed(NUMBER, at=at + timedelta(minutes=1), customer=customer)
    again.refresh_from_db()
    assert again.pk == first.pk and again.priority == 5 and again.customer == customer


def test_customer_is_found_by_number_when_the_engine_does_not_know_it(org):
    customer = make_customer(org.agent_a1, phones=[NUMBER])
    assert missed(NUMBER, call=False).customer == customer


def test_unknown_kind_is_refused(org):
    with pytest.raises(InvalidData):
        missed(NUMBER, kind="bogus")
    assert not CallbackTask.objects.exists()


# --- CB-3: rules -------------------------------------------------------------------


@pytest.fixture
def facts(org):
    """Two customers that differ in level, media source and owner."""
    gold = MemberLevel.objects.create(code="gold", name="金卡", rank=2)
    tv = AdSource.objects.create(name="CCTV-2")
    with_all = make_customer(org.agent_a1, name="甲", phones=["13800138000"], source=tv)
    with_all.level = gold
    with_all.save()
    plain = make_customer(org.agent_a2, name="乙", phones=["02087654321"])
    return {"gold": gold, "tv": tv, "with_all": with_all, "plain": plain}


CONDITIONS = {
    "kinds": lambda f: {"kinds": ["voicemail"]},
    "min_priority": lambda f: {"min_priority": 3},
    "member_level": lambda f: {"member_level": f["gold"]},
    "province": lambda f: {"province": "北京"},
    "ad_source": lambda f: {"ad_source": f["tv"]},
    "last_result": lambda f: {"last_result": "busy"},
    "customer_owner": lambda f: {"customer_owner": f["with_all"].owner},
}


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_each_rule_condition_takes_only_matching_callbacks(org, facts, condition):
    # Beijing mobile of the gold/TV customer of agent_a1, priority 5, voicemail, last result busy.
    match = missed("13800138000", kind="voicemail", customer=facts["with_all"])
    # Guangzhou landline of the plain customer of agent_a2, priority 0, abandoned, no attempt.
    other = missed("02087654321", kind="abandoned", customer=facts["plain"])
    CallbackTask.objects.filter(pk=match.pk).update(priority=5, last_result="busy")
    make_rule("only matching", target_user=org.agent_b1, **CONDITIONS[condition](facts))
    assert callbacks_allocate() == 1
    match.refresh_from_db()
    other.refresh_from_db()
    assert (match.status, match.owner) == ("assigned", org.agent_b1)
    assert (other.status, other.owner) == ("pending", None)
    assert match.rule.name == "only matching" and other.province == "广东省"


def test_rules_are_tried_in_position_order_and_skip_unresolvable_targets(org):
    inactive = org.agent_c1
    inactive.is_active = False
    inactive.save()
    make_rule("third", position=30, target_user=org.agent_b1)
    make_rule("first but nobody", position=10, target_user=inactive)
    make_rule("off", position=5, target_user=org.agent_a2, active=False)
    make_rule("second", position=20, target_user=org.agent_a1)
    task = missed(NUMBER)
    task.refresh_from_db()
    assert task.owner == org.agent_a1 and task.rule.name == "second"


def test_auto_rule_assigns_at_once_when_the_call_is_missed(
    org, events, django_capture_on_commit_callbacks
):
    make_rule("all to a1", target_user=org.agent_a1)
    with django_capture_on_commit_callbacks(execute=True):
        task = missed(NUMBER)
    assert task.status == "assigned" and task.owner == org.agent_a1
    assert [e.type for e in events] == ["callbacks.created", "callbacks.status_changed"]
    changed = events[1]
    assert (changed.from_status, changed.status, changed.owner_id) == (
        "pending",
        "assigned",
        org.agent_a1.pk,
    )
    audience = changed.audience()
    assert audience.permission == "callbacks.view_callbacktask" and audience.scoped
    assert audience.owner_id == org.agent_a1.pk and audience.owner_team_id == org.team_a.pk


def test_last_agent_first_when_logged_in_else_the_target(org):
    make_rule("sticky", last_agent_first=True, target_user=org.agent_a2)
    logged_in(org.agent_a1, AgentState.NOT_READY)
    sticky = missed(NUMBER, last_agent=org.agent_a1)
    assert sticky.owner == org.agent_a1
    logged_in(org.agent_b1, AgentState.LOGGED_OUT)
    fallback = missed("13900139000", last_agent=org.agent_b1)
    assert fallback.owner == org.agent_a2
    without_target = AllocationRule.objects.get()
    without_target.target_user = None
    without_target.save()
    nobody = missed("13700137000", last_agent=org.agent_b1)
    assert nobody.status == "pending"


def test_team_target_gives_to_the_member_with_fewest_open_callbacks(org):
    assigned_task(org.agent_a1, "13900139001")
    assigned_task(org.agent_a1, "13900139002")
    assigned_task(org.agent_a2, "13900139003")
    make_rule("team a", target_team=org.team_a)
    # lead_a is in team_a too and takes callbacks; nobody has fewer than 0.
    owners = [missed(f"1370013700{n}").owner for n in range(4)]
    # Loads a1 2, a2 1, lead 0; ties go to the earliest user.
    assert owners == [org.lead_a, org.agent_a2, org.lead_a, org.agent_a1]


def test_semi_automatic_rule_suggests_and_a_lead_confirms(
    org, events, django_capture_on_commit_callbacks
):
    make_rule("suggest", mode="semi", target_user=org.agent_a1)
    task = missed(NUMBER)
    assert task.status == "pending"  # the engine's path only assigns automatically
    with django_capture_on_commit_callbacks(execute=True):
        assert callbacks_allocate() == 1
    task.refresh_from_db()
    assert (task.status, task.suggested_to, task.owner) == ("suggested", org.agent_a1, None)
    suggested = [e for e in events if e.type == "callbacks.status_changed"][-1]
    assert suggested.audience().permission == "callbacks.assign_callbacktask"
    assert suggested.audience().owner_id == org.agent_a1.pk
    assert list(my_callbacks(actor=org.agent_a1)) == []
    with pytest.raises(NotAllowed):
        callback_suggest_confirm(actor=org.agent_a1, task=task)
    callback_suggest_confirm(actor=org.lead_a, task=task)
    task.refresh_from_db()
    assert (task.status, task.owner, task.suggested_to) == ("assigned", org.agent_a1, None)
    assert list(my_callbacks(actor=org.agent_a1)) == [task]
    row = task.transitions.last()
    assert (row.from_status, row.to_status, row.by, row.rule.name) == (
        "suggested",
        "assigned",
        org.lead_a,
        "suggest",
    )
    with pytest.raises(Conflict):
        callback_suggest_confirm(actor=org.lead_a, task=task)


def test_rejected_suggestion_goes_back_to_the_pool_for_manual_allocation(org):
    make_rule("suggest", mode="semi", target_user=org.agent_a1)
    task = missed(NUMBER)
    callbacks_allocate()
    task.refresh_from_db()
    callback_suggest_reject(actor=org.lead_a, task=task, note="a1 is on leave")
    task.refresh_from_db()
    assert (task.status, task.suggested_to, task.auto_allocate) == ("pending", None, False)
    assert callbacks_allocate() == 0  # not suggested again
    callback_assign(actor=org.lead_a, task=task, owner=org.agent_a2)
    task.refresh_from_db()
    assert task.owner == org.agent_a2


def test_suggestions_outside_the_leads_scope_cannot_be_confirmed(org):
    make_rule("suggest", mode="semi", target_user=org.agent_b1)
    task = missed(NUMBER)
    callbacks_allocate()
    task.refresh_from_db()
    with pytest.raises(NotAllowed):
        callback_suggest_confirm(actor=org.lead_a, task=task)
    callback_suggest_confirm(actor=org.head_sales, task=task)  # Sales-North is under Sales
    task.refresh_from_db()
    assert task.owner == org.agent_b1


def test_worker_takes_highest_priority_first_and_respects_the_limit(org):
    low = missed("13900139000")
    high = missed("13700137000")
    CallbackTask.objects.filter(pk=high.pk).update(priority=9)
    make_rule("all", target_user=org.agent_a1)
    assert callbacks_allocate(limit=1) == 1
    high.refresh_from_db()
    low.refresh_from_db()
    assert (high.status, low.status) == ("assigned", "pending")
    assert callbacks_allocate() == 1 and callbacks_allocate() == 0
    assert assignments(low) == assignments(high) == 1


# --- manual allocation and scope ------------------------------------------------


def test_manual_assignment_needs_the_permission_and_scope(org):
    task = missed(NUMBER)
    with pytest.raises(NotAllowed):
        callback_assign(actor=org.agent_a1, task=task, owner=org.agent_a1)
    with pytest.raises(NotAllowed):
        callback_assign(actor=org.lead_a, task=task, owner=org.agent_b1)  # other team
    with pytest.raises(InvalidData) as refused:
        callback_assign(
            actor=org.lead_a,
            task=task,
            owner=org.lead_a.__class__.objects.create(username="no_role", team=org.team_a),
        )
    assert "owner" in refused.value.details
    callback_assign(actor=org.lead_a, task=task, owner=org.agent_a2)
    assert task.status == "assigned" and task.owner == org.agent_a2
    callback_assign(actor=org.lead_a, task=task, owner=org.agent_a1)  # reassign
    assert task.owner == org.agent_a1 and assignments(task) == 2
    theirs = assigned_task(org.agent_b1, "13900139000")
    with pytest.raises(NotAllowed):
        callback_assign(actor=org.lead_a, task=theirs, owner=org.agent_a1)


def test_lists_follow_the_data_scope(org):
    mine = assigned_task(org.agent_a1, "13900139001")
    colleague = assigned_task(org.agent_a2, "13900139002")
    other_team = assigned_task(org.agent_b1, "13900139003")
    pool = missed("13900139004")
    assert list(my_callbacks(actor=org.agent_a1)) == [mine]
    assert set(callback_list(actor=org.agent_a1)) == {mine}
    assert set(callback_list(actor=org.lead_a)) == {mine, colleague, pool}
    assert set(callback_list(actor=org.head_sales)) == {mine, colleague, other_team, pool}
    assert set(callback_list(actor=org.admin)) == {mine, colleague, other_team, pool}
    assert list(callback_list(actor=org.lead_a, owner_id=org.agent_a2.pk)) == [colleague]
    assert list(callback_list(actor=org.lead_a, status="pending")) == [pool]
    with pytest.raises(NotAllowed):
        my_callbacks(actor=org.lead_a.__class__.objects.create(username="nobody"))


def test_overdue_flag_and_filter(org):
    late = assigned_task(org.agent_a1, "13900139001", due_in_minutes=-5)
    early = assigned_task(org.agent_a1, "13900139002", due_in_minutes=60)
    rows = list(my_callbacks(actor=org.agent_a1))
    assert rows == [late, early] and [r.overdue for r in rows] == [True, False]
    assert list(callback_list(actor=org.lead_a, overdue=True)) == [late]
    assert list(callback_list(actor=org.lead_a, overdue=False)) == [early]


def test_release_and_cancel(org):
    task = assigned_task(org.agent_a1)
    with pytest.raises(NotAllowed):
        callback_release(actor=org.agent_a2, task=task)
    callback_release(actor=org.agent_a1, task=task)
    assert (task.status, task.owner) == ("pending", None)
    with pytest.raises(NotAllowed):
        callback_cancel(actor=org.agent_a1, task=task)
    callback_cancel(actor=org.lead_a, task=task, note="duplicate")
    assert task.status == "cancelled" and task.closed_at is not None
    with pytest.raises(Conflict):
        callback_assign(actor=org.lead_a, task=task, owner=org.agent_a1)


# --- CB-4: attempts, retries and the limit ---------------------------------------


def test_reached_closes_the_callback(org):
    task = assigned_task(org.agent_a1)
    attempt = callback_record_attempt(actor=org.agent_a1, task=task, result="reached", note="ok")
    assert (attempt.agent, attempt.result) == (org.agent_a1, "reached")
    assert task.status == "done" and task.attempts == 1 and task.closed_at is not None
    with pytest.raises(Conflict):
        callback_record_attempt(actor=org.agent_a1, task=task, result="reached")


def test_no_answer_retries_after_the_delay_until_the_limit_then_fails(org):
    task = assigned_task(org.agent_a1, due_in_minutes=-60)  # an hour late
    before = timezone.now()
    callback_record_attempt(actor=org.agent_a1, task=task, result="no_answer")
    assert task.status == "assigned" and task.attempts == 1 and task.last_result == "no_answer"
    assert before + timedelta(minutes=30) <= task.due_at <= timezone.now() + timedelta(minutes=30)
    setting_set(actor=org.admin, key="callbacks.retry_minutes", value=10)
    due = task.due_at
    callback_record_attempt(actor=org.agent_a1, task=task, result="busy")
    assert task.status == "assigned" and task.due_at == due + timedelta(minutes=10)
    callback_record_attempt(actor=org.agent_a1, task=task, result="no_answer")
    assert task.status == "failed" and task.attempts == 3 and task.closed_at is not None
    assert task.transitions.last().to_status == "failed"
    assert list(task.attempt_rows.values_list("result", flat=True)) == [
        "no_answer",
        "busy",
        "no_answer",
    ]


def test_attempt_limit_comes_from_the_setting_at_creation(org):
    setting_set(actor=org.admin, key="callbacks.max_attempts", value=1)
    task = assigned_task(org.agent_a1)
    assert task.max_attempts == 1
    callback_record_attempt(actor=org.agent_a1, task=task, result="busy")
    assert task.status == "failed"


def test_call_later_needs_a_future_time_and_sets_the_due_time(org):
    task = assigned_task(org.agent_a1)
    with pytest.raises(InvalidData) as missing:
        callback_record_attempt(actor=org.agent_a1, task=task, result="call_later")
    assert "next_due_at" in missing.value.details
    with pytest.raises(InvalidData):
        callback_record_attempt(
            actor=org.agent_a1,
            task=task,
            result="call_later",
            next_due_at=timezone.now() - timedelta(minutes=1),
        )
    task.refresh_from_db()
    assert task.attempts == 0 and not task.attempt_rows.exists()  # refusals change nothing
    when = timezone.now() + timedelta(days=1)
    callback_record_attempt(actor=org.agent_a1, task=task, result="call_later", next_due_at=when)
    assert task.status == "assigned" and task.due_at == when and task.attempts == 1


def test_wrong_number_fails_and_bad_results_are_refused(org):
    task = assigned_task(org.agent_a1)
    with pytest.raises(InvalidData):
        callback_record_attempt(actor=org.agent_a1, task=task, result="maybe")
    callback_record_attempt(actor=org.agent_a1, task=task, result="wrong_number")
    assert task.status == "failed"


def test_only_the_owner_or_a_lead_in_scope_records_attempts(org):
    task = assigned_task(org.agent_a1)
    for outsider in (org.agent_a2, org.agent_b1):
        with pytest.raises(NotAllowed):
            callback_record_attempt(actor=outsider, task=task, result="reached")
    callback_record_attempt(actor=org.lead_a, task=task, result="busy")
    assert task.attempts == 1
    pool = missed("13900139000")
    with pytest.raises(NotAllowed):  # nobody's callback is in no agent's scope
        callback_record_attempt(actor=org.agent_a1, task=pool, result="reached")
    with pytest.raises(Conflict):  # the admin sees it, but it is not assigned
        callback_record_attempt(actor=org.admin, task=pool, result="reached")


# --- CB-2: follow-ups --------------------------------------------------------------


def test_agent_schedules_a_follow_up_for_a_customer(org):
    customer = make_customer(org.agent_a1, phones=["13900139000", NUMBER])
    when = timezone.now() + timedelta(days=3)
    task = callback_schedule(
        actor=org.agent_a1, customer=customer, number="", due_at=when, note="回访满意度"
    )
    assert (task.kind, task.status, task.owner, task.created_by) == (
        "scheduled",
        "assigned",
        org.agent_a1,
        org.agent_a1,
    )
    assert task.number == "+8613900139000" and task.due_at == when and task.note == "回访满意度"
    assert list(my_callbacks(actor=org.agent_a1)) == [task]
    assert assignments(task) == 1


def test_follow_up_refusals(org):
    customer = make_customer(org.agent_b1)
    when = timezone.now() + timedelta(days=1)
    with pytest.raises(NotAllowed):  # not the agent's customer
        callback_schedule(actor=org.agent_a1, customer=customer, number="", due_at=when)
    with pytest.raises(InvalidData) as bad:
        callback_schedule(actor=org.agent_a1, customer=None, number="12", due_at=when)
    assert "number" in bad.value.details
    with pytest.raises(InvalidData):
        callback_schedule(actor=org.agent_a1, customer=None, number=NUMBER, due_at=None)
    with pytest.raises(NotAllowed):
        callback_schedule(
            actor=org.agent_a1, customer=None, number=NUMBER, due_at=when, owner=org.agent_a2
        )
    task = callback_schedule(
        actor=org.lead_a, customer=None, number=NUMBER, due_at=when, owner=org.agent_a2
    )
    assert task.owner == org.agent_a2
    assert CallbackTask.objects.count() == 1


# --- overdue alarm and rules service -------------------------------------------------


def test_overdue_callbacks_are_announced_once(org, events, django_capture_on_commit_callbacks):
    late = assigned_task(org.agent_a1, "13900139001", due_in_minutes=-1)
    assigned_task(org.agent_a1, "13900139002", due_in_minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert callbacks_overdue_alarm() == 1
        assert callbacks_overdue_alarm() == 0
    overdue = [e for e in events if e.type == "callbacks.overdue"]
    assert [e.task_id for e in overdue] == [late.pk]
    assert overdue[0].audience().owner_id == org.agent_a1.pk
    late.refresh_from_db()
    assert late.alarmed_at is not None
    callback_record_attempt(actor=org.agent_a1, task=late, result="busy")
    assert late.alarmed_at is None  # a new due time may alarm again
    assert callbacks_overdue_alarm(now=late.due_at + timedelta(seconds=1)) == 2


def test_rule_service_checks_targets_and_permission(org):
    with pytest.raises(NotAllowed):
        allocation_rule_save(actor=org.lead_a, name="x", target_user=org.agent_a1)
    with pytest.raises(InvalidData) as none:
        allocation_rule_save(actor=org.admin, name="x")
    assert "target_user" in none.value.details
    with pytest.raises(InvalidData) as both:
        allocation_rule_save(
            actor=org.admin, name="x", target_user=org.agent_a1, target_team=org.team_a
        )
    assert "target_team" in both.value.details
    with pytest.raises(InvalidData) as kinds:
        allocation_rule_save(actor=org.admin, name="x", kinds=["nope"], target_team=org.team_a)
    assert "kinds" in kinds.value.details
    rule = allocation_rule_save(
        actor=org.admin, name=" sticky ", last_agent_first=True, kinds=["voicemail", "voicemail"]
    )
    assert rule.name == "sticky" and rule.kinds == ["voicemail"]
    assert rule.change_history().count() == 1
    with pytest.raises(NotAllowed):
        allocation_rule_delete(actor=org.lead_a, rule=rule)
    allocation_rule_delete(actor=org.admin, rule=rule)
    assert not AllocationRule.objects.exists()


def test_tasks_run_the_worker_and_the_alarms(org):
    from hotline.callbacks.tasks import alarm_overdue, allocate_callbacks

    missed(NUMBER)
    make_rule("all", target_user=org.agent_a1)
    assert allocate_callbacks.enqueue().return_value == 1
    assert alarm_overdue.enqueue().return_value == {"callbacks": 0, "pending_items": 0}


def test_worker_command_runs_one_round(org):
    from io import StringIO

    from django.core.management import call_command

    missed(NUMBER)
    make_rule("all", target_user=org.agent_a1)
    out = StringIO()
    call_command("callbacks_worker", "--once", stdout=out)
    assert "allocated 1" in out.getvalue()
    assert CallbackTask.objects.get().owner == org.agent_a1
