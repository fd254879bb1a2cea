"""Demo callbacks setup for `manage.py demo_data`: two allocation rules
(voicemails suggested to the second sales team for a lead to confirm; every
other missed call to the agent who served the number last when logged in,
else to the first sales team) and a few pending items of the demo agents.
Created through the services; skipped when present."""

from datetime import timedelta

from django.utils import timezone

from hotline.callbacks.models import AllocationRule, PendingItem
from hotline.callbacks.services.pending import pending_item_create
from hotline.callbacks.services.rules import allocation_rule_save
from hotline.callbacks.states import AllocationMode, CallbackKind
from hotline.customers.models import Customer

# title, agent, hours from now (negative: already overdue)
PENDING_ITEMS = [
    ("确认退货地址并回电", "agent1", -2),
    ("发票抬头有误，重新开具后告知客户", "agent1", 20),
    ("核对会员积分，下周回访", "agent2", 48),
]


def _rules(builder, admin) -> list[str]:
    if AllocationRule.objects.exists():
        return []
    allocation_rule_save(
        actor=admin,
        name="语音留言：建议给销售二组",
        position=10,
        mode=AllocationMode.SEMI,
        kinds=[CallbackKind.VOICEMAIL.value],
        target_team=builder.teams["sales2"],
    )
    allocation_rule_save(
        actor=admin,
        name="未接来电：上次服务的坐席优先，否则销售一组",
        position=100,
        mode=AllocationMode.AUTO,
        last_agent_first=True,
        target_team=builder.teams["sales1"],
    )
    return ["2 callback allocation rules"]


def _pending_items(builder) -> list[str]:
    if PendingItem.objects.exists():
        return []
    now = timezone.now()
    for title, username, hours in PENDING_ITEMS:
        agent = builder.users[username]
        customer = Customer.objects.filter(owner=agent).order_by("id").first()
        pending_item_create(
            actor=agent,
            title=title,
            due_at=now + timedelta(hours=hours),
            customer=customer,
        )
    return [f"{len(PENDING_ITEMS)} pending items"]


def load(builder, admin) -> list[str]:
    return _rules(builder, admin) + _pending_items(builder)
