"""Callbacks from missed calls (CB-1), follow-ups scheduled by agents (CB-2),
attempts with retries and limits (CB-4) and the overdue alarm."""

import zlib
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.callbacks import settings as callback_settings
from hotline.callbacks.events import CallbackOverdue, CallbackUpdated
from hotline.callbacks.models import CallbackAttempt, CallbackTask
from hotline.callbacks.services.allocation import Allocator, active_rules, allocate_one
from hotline.callbacks.services.common import (
    ADD_CALLBACK,
    ASSIGN_CALLBACK,
    CHANGE_CALLBACK,
    claim,
    require_taker,
    require_task_in_scope,
)
from hotline.callbacks.services.transitions import (
    apply_transition,
    event_fields,
    lock,
    record_entry,
    refresh,
)
from hotline.callbacks.states import (
    OPEN,
    RETRY_RESULTS,
    AttemptResult,
    CallbackKind,
    CallbackStatus,
)
from hotline.core.events import publish
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_perm
from hotline.core.phones import phone_info
from hotline.core.runtime_settings import setting_get

# pg_advisory_xact_lock(class, key): the class of the per-number dedup locks.
NUMBER_LOCK_CLASS = 0x43420001
ALARM_BATCH = 1000


def number_and_province(raw: str) -> tuple[str, str]:
    """The number as E.164 when it is valid (else as given) and its province."""
    from hotline.customers.selectors.screen_pop import location_split

    info = phone_info(raw or "")
    if info is None:
        return (raw or "").strip()[:40], ""
    return info.e164, location_split(info.location)[0]


def _lock_number(number: str) -> None:
    """Serialise deduplication per number until the transaction ends
    (PostgreSQL; SQLite writers are serialised by the IMMEDIATE transaction)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(number.encode()) - (1 << 31)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NUMBER_LOCK_CLASS, key])


def _customer_by_number(e164: str):
    """The one current customer with this number, or None (none or several)."""
    from hotline.customers.models import Customer

    found = list(
        Customer.objects.filter(phones__number=e164, merged_into__isnull=True)
        .select_related("level")
        .distinct()[:2]
    )
    return found[0] if len(found) == 1 else None


def _priority(call, customer) -> int:
    priority = call.priority if call is not None else 0
    level = customer.level if customer is not None and customer.level_id else None
    if level is not None:
        priority = max(priority, level.queue_priority)
    return priority


def _kind(kind) -> CallbackKind:
    try:
        return CallbackKind(kind)
    except ValueError:
        raise InvalidData(
            _("“%(kind)s” is not a kind of callback.") % {"kind": kind},
            details={"kind": [_("Unknown kind.")]},
        ) from None


@transaction.atomic
def callback_create_for_call(
    *,
    call,
    kind,
    number: str,
    customer=None,
    last_agent=None,
    queue=None,
    at: datetime | None = None,
) -> CallbackTask:
    """The callback for a missed call, made by the telephony engine (no
    actor). ``at`` is the engine's clock. A second missed call of a number
    whose open callback was made within the dedup window is merged into it
    (calls_count + 1, the higher priority) instead of making another. A new
    callback is then offered to the allocation rules; an automatic rule
    assigns it at once, a semi-automatic one leaves it to the worker."""
    kind = _kind(kind)
    at = at or timezone.now()
    number, province = number_and_province(number)
    if customer is None and call is not None and call.customer_id:
        customer = call.customer
    if customer is None and number.startswith("+"):
        customer = _customer_by_number(number)
    if queue is None and call is not None and call.queue_id:
        queue = call.queue
    priority = _priority(call, customer)
    _lock_number(number)
    window = timedelta(minutes=setting_get(callback_settings.DEDUP_MINUTES.key))
    existing = (
        CallbackTask.objects.select_for_update()
        .filter(number=number, status__in=OPEN, created_at__gte=at - window)
        .order_by("-created_at", "-id")
        .first()
    )
    if existing is not None:
        return _merge(existing, priority=priority, customer=customer, last_agent=last_agent)
    due_minutes = setting_get(callback_settings.DUE_MINUTES.key)
    task = CallbackTask.objects.create(
        number=number,
        province=province,
        customer=customer,
        kind=kind,
        status=CallbackStatus.PENDING,
        priority=priority,
        due_at=at + timedelta(minutes=due_minutes),
        last_agent=last_agent,
        call=call,
        queue=queue,
        max_attempts=setting_get(callback_settings.MAX_ATTEMPTS.key),
        created_at=at,
    )
    record_entry(task=task)
    rules = active_rules()
    if rules:
        allocate_one(task, Allocator(rules=rules), at=at, auto_only=True)
    return task


def _merge(task: CallbackTask, *, priority: int, customer, last_agent) -> CallbackTask:
    task.calls_count += 1
    task.priority = max(task.priority, priority)
    if task.customer_id is None and customer is not None:
        task.customer = customer
    if last_agent is not None:
        task.last_agent = last_agent
    task.save(update_fields=["calls_count", "priority", "customer", "last_agent"])
    publish(
        CallbackUpdated(
            **event_fields(task),
            change="merged",
            calls_count=task.calls_count,
            attempts=task.attempts,
        )
    )
    return task


def _aware(value, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidData(
            _("Give a date and time."), details={field: [_("Enter a date and time.")]}
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _primary_number(customer) -> str:
    phone = customer.phones.order_by("-is_primary", "id").first()
    return phone.number if phone is not None else ""


@transaction.atomic
def callback_schedule(
    *, actor, customer, number: str, due_at, note: str = "", owner=None
) -> CallbackTask:
    """A follow-up call (回访, CB-2) at ``due_at`` for ``owner`` (the actor
    when not given; another agent needs the right to allocate callbacks).
    ``number`` defaults to the customer's primary phone."""
    require_perm(actor, ADD_CALLBACK)
    from hotline.customers.models import Customer

    if customer is not None and not (
        Customer.objects.restrict(actor, "view").filter(pk=customer.pk).exists()
    ):
        raise NotAllowed(
            _("“%(object)s” is outside your data scope.") % {"object": customer},
            details={"permission": "customers.view_customer"},
        )
    raw = (number or "").strip() or (_primary_number(customer) if customer is not None else "")
    if not raw:
        raise InvalidData(_("Give the number to call."), details={"number": [_("Required.")]})
    info = phone_info(raw)
    if info is None:
        raise InvalidData(
            _("“%(number)s” is not a valid phone number.") % {"number": raw},
            details={"number": [_("Not a valid phone number.")]},
        )
    if due_at is None:
        raise InvalidData(_("Say when to call."), details={"due_at": [_("Enter a date and time.")]})
    due_at = _aware(due_at, "due_at")
    owner = owner or actor
    if owner.pk != actor.pk:
        require_perm(actor, ASSIGN_CALLBACK)
    require_taker(actor, owner)
    number, province = number_and_province(info.e164)
    now = timezone.now()
    task = CallbackTask.objects.create(
        number=number,
        province=province,
        customer=customer,
        kind=CallbackKind.SCHEDULED,
        status=CallbackStatus.ASSIGNED,
        owner=owner,
        assigned_at=now,
        priority=0,
        due_at=due_at,
        last_agent=actor,
        created_by=actor,
        note=(note or "").strip(),
        max_attempts=setting_get(callback_settings.MAX_ATTEMPTS.key),
        created_at=now,
    )
    record_entry(task=task, by=actor)
    return task


def _require_changeable(actor, task: CallbackTask) -> None:
    require_perm(actor, CHANGE_CALLBACK)
    if not CallbackTask.objects.restrict(actor, "change").filter(pk=task.pk).exists():
        raise NotAllowed(
            _("The callback to %(number)s is outside your data scope.") % {"number": task.number},
            details={"permission": CHANGE_CALLBACK},
        )


def _result(value) -> AttemptResult:
    try:
        return AttemptResult(value)
    except ValueError:
        raise InvalidData(
            _("“%(result)s” is not a result of a callback.") % {"result": value},
            details={"result": [_("Choose a result.")]},
        ) from None


def _reschedule(task: CallbackTask, due_at: datetime) -> None:
    task.due_at = due_at
    task.alarmed_at = None
    task.save()
    publish(
        CallbackUpdated(
            **event_fields(task),
            change="rescheduled",
            calls_count=task.calls_count,
            attempts=task.attempts,
        )
    )


@transaction.atomic
def callback_record_attempt(
    *, actor, task: CallbackTask, result, note: str = "", next_due_at=None
) -> CallbackAttempt:
    """Record one try to reach the customer (CB-4), by the callback's agent
    or a lead whose scope covers that agent. ``reached`` closes it as done,
    ``wrong_number`` as failed; ``no_answer`` and ``busy`` make it due again
    after the retry delay (or at ``next_due_at``) until the attempt limit,
    then it fails; ``call_later`` makes it due at ``next_due_at`` (required)."""
    _require_changeable(actor, task)
    locked = lock(task)
    if locked.status != CallbackStatus.ASSIGNED:
        raise Conflict(
            _("The callback to %(number)s is %(status)s; only an assigned callback is worked on.")
            % {"number": locked.number, "status": CallbackStatus(locked.status).label},
            code="not_assigned",
        )
    result = _result(result)
    now = timezone.now()
    if next_due_at is not None:
        next_due_at = _aware(next_due_at, "next_due_at")
        if next_due_at <= now:
            raise InvalidData(
                _("The next call must be in the future."),
                details={"next_due_at": [_("Choose a later time.")]},
            )
    if result == AttemptResult.CALL_LATER and next_due_at is None:
        raise InvalidData(
            _("Say when to call again."), details={"next_due_at": [_("Enter a date and time.")]}
        )
    attempt = CallbackAttempt.objects.create(
        task=locked,
        agent=actor,
        at=now,
        result=result,
        note=(note or "").strip(),
        next_due_at=None if result == AttemptResult.REACHED else next_due_at,
    )
    locked.attempts += 1
    locked.last_result = result
    if result == AttemptResult.REACHED:
        apply_transition(locked, CallbackStatus.DONE, by=actor, at=now, note=note)
    elif result == AttemptResult.WRONG_NUMBER:
        apply_transition(locked, CallbackStatus.FAILED, by=actor, at=now, note=note)
    elif result in RETRY_RESULTS and locked.attempts >= locked.max_attempts:
        apply_transition(
            locked,
            CallbackStatus.FAILED,
            by=actor,
            at=now,
            note=_("No answer after %(count)d attempts.") % {"count": locked.attempts},
        )
    elif result in RETRY_RESULTS:
        retry = timedelta(minutes=setting_get(callback_settings.RETRY_MINUTES.key))
        _reschedule(locked, next_due_at or max(locked.due_at, now) + retry)
    else:
        _reschedule(locked, next_due_at)
    refresh(task, locked)
    return attempt


@transaction.atomic
def callback_cancel(*, actor, task: CallbackTask, note: str = "") -> CallbackTask:
    """Close an open callback without calling (a lead: duplicate, resolved
    otherwise …)."""
    require_perm(actor, ASSIGN_CALLBACK)
    locked = lock(task)
    require_task_in_scope(actor, locked)
    apply_transition(locked, CallbackStatus.CANCELLED, by=actor, note=note)
    refresh(task, locked)
    return task


def callbacks_overdue_alarm(now: datetime | None = None) -> int:
    """Announce ``CallbackOverdue`` once for each open callback past its due
    time (again after it is rescheduled); returns how many were announced."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            overdue = CallbackTask.objects.filter(
                status__in=OPEN, due_at__lt=now, alarmed_at__isnull=True
            ).order_by("due_at", "id")
            tasks = list(claim(overdue)[:ALARM_BATCH])
            if not tasks:
                return total
            CallbackTask.objects.filter(pk__in=[task.pk for task in tasks]).update(alarmed_at=now)
            for task in tasks:
                publish(CallbackOverdue(**event_fields(task)))
        total += len(tasks)
        if len(tasks) < ALARM_BATCH:
            return total
