"""Allocation of callbacks to agents (CB-3): manual by a lead, automatic by
rule, semi-automatic (a rule suggests, a lead confirms or rejects).

Rules are tried in position order; the first whose conditions all hold and
whose target resolves to an agent decides. Its target is, in this order:
the last agent of the number when "last agent first" is set and that agent
is logged in to telephony, else the rule's agent, else the member of the
rule's team with the fewest open callbacks. An ``auto`` rule assigns; a
``semi`` rule suggests the agent and a lead confirms.

``callbacks_allocate`` is the worker. Several may run at once: on PostgreSQL
each locks the pending rows it takes with ``FOR UPDATE SKIP LOCKED``, so no
callback is taken by two workers; SQLite runs one writer at a time.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.callbacks.models import AllocationRule, CallbackTask
from hotline.callbacks.services.common import (
    ASSIGN_CALLBACK,
    CHANGE_CALLBACK,
    callback_takers,
    claim,
    require_taker,
    require_task_in_scope,
)
from hotline.callbacks.services.transitions import apply_transition, lock, refresh
from hotline.callbacks.states import AllocationMode, CallbackStatus
from hotline.core.exceptions import Conflict, NotAllowed
from hotline.core.permissions import require_perm

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Decision:
    rule: AllocationRule
    agent: object  # the user

    @property
    def mode(self) -> str:
        return self.rule.mode


def active_rules() -> list[AllocationRule]:
    return list(
        AllocationRule.objects.filter(active=True)
        .select_related("target_user", "target_team")
        .order_by("position", "id")
    )


def _customer_facts(task: CallbackTask, customers: dict) -> dict:
    customer = customers.get(task.customer_id)
    if customer is None:
        return {"level_id": None, "source_id": None, "owner_id": None}
    return {
        "level_id": customer["level_id"],
        "source_id": customer["source_id"],
        "owner_id": customer["owner_id"],
    }


def rule_matches(rule: AllocationRule, task: CallbackTask, facts: dict) -> bool:
    """Whether every condition of ``rule`` holds for ``task`` (``facts``:
    the customer's level, media source and owner ids)."""
    if rule.kinds and task.kind not in rule.kinds:
        return False
    if rule.min_priority is not None and task.priority < rule.min_priority:
        return False
    if rule.member_level_id is not None and facts["level_id"] != rule.member_level_id:
        return False
    province = (rule.province or "").strip()
    if province and not (task.province and task.province.startswith(province)):
        return False
    if rule.ad_source_id is not None and facts["source_id"] != rule.ad_source_id:
        return False
    if rule.last_result and task.last_result != rule.last_result:
        return False
    return rule.customer_owner_id is None or facts["owner_id"] == rule.customer_owner_id


@dataclass
class Allocator:
    """Resolves rule targets for a batch of callbacks, remembering what it
    learned (who is logged in, open callbacks per team member) for the batch."""

    rules: list[AllocationRule]
    logged_in: dict[int, bool] = field(default_factory=dict)
    team_load: dict[int, dict[int, int]] = field(default_factory=dict)
    users: dict[int, object] = field(default_factory=dict)

    def _logged_in(self, user_id: int) -> bool:
        if user_id not in self.logged_in:
            from hotline.telephony.models import Agent, AgentState

            self.logged_in[user_id] = (
                Agent.objects.filter(user_id=user_id, user__is_active=True)
                .exclude(state=AgentState.LOGGED_OUT)
                .exists()
            )
        return self.logged_in[user_id]

    def _user(self, user_id: int):
        if user_id not in self.users:
            from django.contrib.auth import get_user_model

            self.users[user_id] = get_user_model().objects.filter(pk=user_id).first()
        return self.users[user_id]

    def _team_members(self, team_id: int) -> dict[int, int]:
        """Open callbacks (assigned or suggested) per callback taker of the team."""
        if team_id not in self.team_load:
            takers = callback_takers().filter(team_id=team_id).order_by("pk")
            members = list(takers.values_list("pk", flat=True))
            load = dict.fromkeys(members, 0)
            for column, status in (
                ("owner", CallbackStatus.ASSIGNED),
                ("suggested_to", CallbackStatus.SUGGESTED),
            ):
                counts = (
                    CallbackTask.objects.filter(status=status, **{f"{column}_id__in": members})
                    .values(column)
                    .annotate(n=Count("id"))
                )
                for row in counts:
                    load[row[column]] += row["n"]
            self.team_load[team_id] = load
        return self.team_load[team_id]

    def target(self, rule: AllocationRule, task: CallbackTask):
        if rule.last_agent_first and task.last_agent_id and self._logged_in(task.last_agent_id):
            return self._user(task.last_agent_id)
        if rule.target_user_id is not None:
            user = rule.target_user
            return user if user.is_active else None
        if rule.target_team_id is not None:
            load = self._team_members(rule.target_team_id)
            if not load:
                return None
            chosen = min(load, key=lambda pk: (load[pk], pk))
            return self._user(chosen)
        return None

    def decide(self, task: CallbackTask, facts: dict) -> Decision | None:
        for rule in self.rules:
            if not rule_matches(rule, task, facts):
                continue
            agent = self.target(rule, task)
            if agent is not None:
                return Decision(rule=rule, agent=agent)
        return None

    def taken(self, agent) -> None:
        """Count a new open callback of ``agent`` in the team loads."""
        for load in self.team_load.values():
            if agent.pk in load:
                load[agent.pk] += 1


def _customer_map(tasks) -> dict:
    from hotline.customers.models import Customer

    ids = {task.customer_id for task in tasks if task.customer_id}
    if not ids:
        return {}
    rows = Customer.objects.filter(pk__in=ids).values("pk", "level_id", "source_id", "owner_id")
    return {row["pk"]: row for row in rows}


def allocate_one(task: CallbackTask, allocator: Allocator, *, at, auto_only: bool = False):
    """Apply the first rule that takes the locked, pending ``task``; returns
    the decision, or None when no rule took it (or, with ``auto_only``, when
    the deciding rule only suggests)."""
    decision = allocator.decide(task, _customer_facts(task, _customer_map([task])))
    return _apply_decision(task, decision, allocator, at=at, auto_only=auto_only)


def _apply_decision(task, decision, allocator, *, at, auto_only=False):
    if decision is None:
        return None
    if decision.mode == AllocationMode.AUTO:
        apply_transition(
            task, CallbackStatus.ASSIGNED, at=at, owner=decision.agent, rule=decision.rule
        )
    elif auto_only:
        return None
    else:
        apply_transition(
            task, CallbackStatus.SUGGESTED, at=at, suggested_to=decision.agent, rule=decision.rule
        )
    allocator.taken(decision.agent)
    return decision


def callbacks_allocate(*, limit: int = DEFAULT_BATCH, now: datetime | None = None) -> int:
    """The allocation worker: take up to ``limit`` pending callbacks (highest
    priority, then earliest due) and assign or suggest each by the rules.
    Returns how many were assigned or suggested. Callbacks no rule takes stay
    pending for a lead, as do those whose suggestion a lead rejected."""
    now = now or timezone.now()
    with transaction.atomic():
        rules = active_rules()
        if not rules:
            return 0
        pending = CallbackTask.objects.filter(
            status=CallbackStatus.PENDING, auto_allocate=True
        ).order_by("-priority", "due_at", "id")
        tasks = list(claim(pending)[: max(1, int(limit))])
        if not tasks:
            return 0
        allocator = Allocator(rules=rules)
        customers = _customer_map(tasks)
        done = 0
        for task in tasks:
            decision = allocator.decide(task, _customer_facts(task, customers))
            if _apply_decision(task, decision, allocator, at=now) is not None:
                done += 1
        return done


# --- by a lead --------------------------------------------------------------


@transaction.atomic
def callback_assign(*, actor, task: CallbackTask, owner) -> CallbackTask:
    """Give ``task`` to the agent ``owner`` by hand (also to reassign it)."""
    require_perm(actor, ASSIGN_CALLBACK)
    locked = lock(task)
    require_task_in_scope(actor, locked)
    require_taker(actor, owner)
    if locked.status == CallbackStatus.ASSIGNED and locked.owner_id == owner.pk:
        refresh(task, locked)
        return task
    apply_transition(locked, CallbackStatus.ASSIGNED, by=actor, owner=owner)
    refresh(task, locked)
    return task


def _suggested(actor, task: CallbackTask) -> CallbackTask:
    require_perm(actor, ASSIGN_CALLBACK)
    locked = lock(task)
    if locked.status != CallbackStatus.SUGGESTED:
        raise Conflict(
            _("The callback to %(number)s is not waiting for a confirmation.")
            % {"number": locked.number},
            code="not_suggested",
        )
    require_task_in_scope(actor, locked)
    return locked


@transaction.atomic
def callback_suggest_confirm(*, actor, task: CallbackTask) -> CallbackTask:
    """Confirm the suggested agent: the callback is assigned to them."""
    locked = _suggested(actor, task)
    agent = locked.suggested_to
    require_taker(actor, agent)
    apply_transition(locked, CallbackStatus.ASSIGNED, by=actor, owner=agent, rule=locked.rule)
    refresh(task, locked)
    return task


@transaction.atomic
def callback_suggest_reject(*, actor, task: CallbackTask, note: str = "") -> CallbackTask:
    """Reject the suggestion: the callback goes back to the pool, to be
    allocated by hand (the rules do not suggest it again)."""
    locked = _suggested(actor, task)
    locked.auto_allocate = False
    apply_transition(locked, CallbackStatus.PENDING, by=actor, note=note)
    refresh(task, locked)
    return task


@transaction.atomic
def callback_release(*, actor, task: CallbackTask, note: str = "") -> CallbackTask:
    """Give an assigned callback back to the pool (its agent, or a lead whose
    scope covers the agent); the rules may allocate it again."""
    require_perm(actor, CHANGE_CALLBACK)
    locked = lock(task)
    if not CallbackTask.objects.restrict(actor, "change").filter(pk=locked.pk).exists():
        raise NotAllowed(
            _("The callback to %(number)s is outside your data scope.") % {"number": locked.number},
            details={"permission": CHANGE_CALLBACK},
        )
    locked.auto_allocate = True
    apply_transition(locked, CallbackStatus.PENDING, by=actor, note=note)
    refresh(task, locked)
    return task
