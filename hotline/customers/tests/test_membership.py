"""Membership (MEM-1..3) and customer value (CUS-12): value figures and RFM
segments, level upgrades on spend, level rules, and a points ledger whose
balance never goes negative."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.customers.models import Customer, MemberLevel, PointsEntry
from hotline.customers.services import membership
from hotline.customers.tests.test_services import make_customer


@pytest.fixture
def levels(db):
    return {
        code: MemberLevel.objects.create(
            code=code, name=code, rank=rank, min_spend=Decimal(spend) if spend else None
        )
        for code, rank, spend in (("regular", 0, None), ("silver", 1, "1000"), ("gold", 2, "5000"))
    }


# --- value, levels, points -------------------------------------------------


def test_value_recording_and_rfm(org):
    customer = make_customer(org.agent_a1)
    now = timezone.now()
    membership.customer_value_record(customer_id=customer.pk, amount=Decimal("199"), at=now)
    customer.refresh_from_db()
    assert (customer.purchase_count, customer.total_spend) == (1, Decimal("199"))
    assert customer.rfm_segment == "new"
    for _ in range(2):
        membership.customer_value_record(customer_id=customer.pk, amount=Decimal("1000"), at=now)
    customer.refresh_from_db()
    assert customer.rfm_segment == "champion"
    assert customer.last_purchase_at == now
    old = now - timedelta(days=400)
    assert (
        membership.rfm_segment(last_purchase_at=old, count=5, spend=Decimal("9000"), now=now)
        == "at_risk"
    )
    assert membership.rfm_segment(last_purchase_at=old, count=1, spend=Decimal(1), now=now) == (
        "hibernating"
    )


def test_level_upgrades_on_spend_and_never_downgrades(org, levels):
    customer = make_customer(org.agent_a1)
    now = timezone.now()
    membership.customer_value_record(customer_id=customer.pk, amount=Decimal("1200"), at=now)
    assert Customer.objects.get(pk=customer.pk).level == levels["silver"]
    membership.customer_value_record(customer_id=customer.pk, amount=Decimal("4000"), at=now)
    assert Customer.objects.get(pk=customer.pk).level == levels["gold"]
    membership.customer_value_record(
        customer_id=customer.pk, amount=Decimal("-4000"), at=now, count=-1
    )
    assert Customer.objects.get(pk=customer.pk).level == levels["gold"]


def test_member_level_save_checks(org, levels):
    with pytest.raises(NotAllowed):
        membership.member_level_save(actor=org.lead_a, code="x", name="X")
    with pytest.raises(Conflict):
        membership.member_level_save(actor=org.admin, code="gold", name="金")
    with pytest.raises(InvalidData):
        membership.member_level_save(actor=org.admin, code="vip", name="VIP", discount_percent=120)
    level = membership.member_level_save(
        actor=org.admin, code="vip", name="VIP", discount_percent=Decimal("8"), queue_priority=5
    )
    assert level.queue_priority == 5


def test_points_never_negative(org):
    customer = make_customer(org.agent_a1)
    with pytest.raises(NotAllowed):
        membership.points_adjust(actor=org.agent_a1, customer=customer, delta=10, reason="gift")
    membership.points_adjust(actor=org.lead_a, customer=customer, delta=10, reason="gift")
    with pytest.raises(Conflict):
        membership.points_adjust(actor=org.lead_a, customer=customer, delta=-11, reason="fix")
    with pytest.raises(InvalidData):
        membership.points_adjust(actor=org.lead_a, customer=customer, delta=-1, reason=" ")
    entry = membership.points_adjust(actor=org.lead_a, customer=customer, delta=-10, reason="fix")
    assert entry.balance_after == 0
    assert Customer.objects.get(pk=customer.pk).points_balance == 0


def test_points_constraint_holds_in_the_database(org):
    customer = make_customer(org.agent_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(points_balance=-1)


def test_entry_constraint_holds_in_the_database(org):
    customer = make_customer(org.agent_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            customer=customer, kind="adjust", delta=-1, balance_after=-1, reason="x"
        )


def test_earn_and_redeem(org):
    customer = make_customer(org.agent_a1)
    assert membership.points_earn(customer=customer, points=0, reason="order") is None
    membership.points_earn(customer=customer, points=30, reason="order", reference="SO-1")
    with pytest.raises(Conflict):
        membership.points_redeem(actor=org.agent_a1, customer=customer, points=31, reason="gift")
    entry = membership.points_redeem(
        actor=org.agent_a1, customer=customer, points=30, reason="gift"
    )
    assert entry.delta == -30 and entry.balance_after == 0


def test_level_discount(org, levels):
    customer = make_customer(org.agent_a1)
    assert membership.level_discount_percent(customer) == 0
    levels["gold"].discount_percent = Decimal("5")
    levels["gold"].save()
    customer.level = levels["gold"]
    assert membership.level_discount_percent(customer) == Decimal("5")
