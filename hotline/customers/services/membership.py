"""Membership (MEM-1..3): levels with upgrade rules, the points ledger, and
the customer value figures (CUS-12) that orders keep up to date."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_object_perm, require_perm
from hotline.customers.models import Customer, MemberLevel, PointsEntry


@transaction.atomic
def member_level_save(*, actor, level: MemberLevel | None = None, **fields) -> MemberLevel:
    if level is None:
        require_perm(actor, "customers.add_memberlevel")
        level = MemberLevel()
    else:
        require_perm(actor, "customers.change_memberlevel")
    for name, value in fields.items():
        setattr(level, name, value)
    if not (level.code or "").strip() or not (level.name or "").strip():
        raise InvalidData(
            _("Give the level a code and a name."),
            details={
                key: [_("Required.")]
                for key in ("code", "name")
                if not (getattr(level, key) or "").strip()
            },
        )
    if MemberLevel.objects.filter(code=level.code).exclude(pk=level.pk).exists():
        raise Conflict(
            _("There is already a level with the code “%(code)s”.") % {"code": level.code},
            details={"code": [_("Already in use.")]},
        )
    if level.discount_percent is not None and not (0 <= level.discount_percent <= 100):
        raise InvalidData(
            _("The discount must lie between 0 and 100 %."),
            details={"discount_percent": [_("Between 0 and 100.")]},
        )
    level.save()
    return level


@transaction.atomic
def customer_set_level(*, actor, customer: Customer, level: MemberLevel | None) -> Customer:
    """Give a level by hand (levels without an upgrade rule, or a downgrade)."""
    require_object_perm(actor, customer, "change")
    require_perm(actor, "customers.change_memberlevel")
    customer.level = level
    customer.save(update_fields=["level", "updated_at"])
    return customer


def level_for_spend(total_spend: Decimal) -> MemberLevel | None:
    return (
        MemberLevel.objects.filter(min_spend__isnull=False, min_spend__lte=total_spend)
        .order_by("-rank", "-min_spend")
        .first()
    )


def member_level_evaluate(customer: Customer) -> bool:
    """Upgrade ``customer`` when their spend reaches a better level; never
    downgrades. Returns whether the level changed (the caller saves)."""
    earned = level_for_spend(customer.total_spend)
    current_rank = customer.level.rank if customer.level_id else -1
    if earned is not None and earned.rank > current_rank:
        customer.level = earned
        return True
    return False


def level_discount_percent(customer: Customer) -> Decimal:
    """The level discount; the catalogue's per-level price lists come first."""
    return customer.level.discount_percent if customer.level_id else Decimal(0)


def _post_points(*, customer_id: int, delta: int, kind: str, reason: str, reference="", by=None):
    if not reason.strip():
        raise InvalidData(_("Give a reason."), details={"reason": [_("Required.")]})
    if delta == 0:
        raise InvalidData(_("The change must not be zero."), details={"delta": [_("Not zero.")]})
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    balance = customer.points_balance + delta
    if balance < 0:
        raise Conflict(
            _("Only %(balance)d points are available.") % {"balance": customer.points_balance},
            details={"delta": [_("More than the balance.")]},
        )
    Customer.objects.filter(pk=customer_id).update(points_balance=balance)
    return PointsEntry.objects.create(
        customer_id=customer_id,
        kind=kind,
        delta=delta,
        balance_after=balance,
        reason=reason.strip(),
        reference=reference,
        created_by=by,
    )


@transaction.atomic
def points_adjust(*, actor, customer: Customer, delta: int, reason: str) -> PointsEntry:
    """An adjustment by hand, with a reason; the balance never goes negative."""
    require_perm(actor, "customers.add_pointsentry")
    require_object_perm(actor, customer, "view")
    return _post_points(
        customer_id=customer.pk, delta=delta, kind=PointsEntry.Kind.ADJUST, reason=reason, by=actor
    )


@transaction.atomic
def points_earn(*, customer: Customer, points: int, reason: str, reference: str = ""):
    """Points earned (on a settled order); called by the orders app."""
    if points <= 0:
        return None
    return _post_points(
        customer_id=customer.pk,
        delta=points,
        kind=PointsEntry.Kind.EARN,
        reason=reason,
        reference=reference,
    )


@transaction.atomic
def points_redeem(*, actor, customer: Customer, points: int, reason: str, reference: str = ""):
    require_object_perm(actor, customer, "view")
    if points <= 0:
        raise InvalidData(_("Redeem at least one point."))
    return _post_points(
        customer_id=customer.pk,
        delta=-points,
        kind=PointsEntry.Kind.REDEEM,
        reason=reason,
        reference=reference,
        by=actor,
    )


# --- customer value (CUS-12) ---------------------------------------------

RECENT_DAYS = 90
FREQUENT_PURCHASES = 3
HIGH_SPEND = Decimal("2000")


def rfm_segment(*, last_purchase_at: datetime | None, count: int, spend: Decimal, now=None) -> str:
    """A recency/frequency/monetary segment from three yes/no scores."""
    if not count:
        return ""
    now = now or timezone.now()
    recent = last_purchase_at is not None and now - last_purchase_at <= timedelta(days=RECENT_DAYS)
    frequent = count >= FREQUENT_PURCHASES
    valuable = spend >= HIGH_SPEND
    if recent and frequent and valuable:
        return "champion"
    if frequent and valuable:
        return "at_risk" if not recent else "loyal"
    if recent:
        return "new" if count == 1 else "promising"
    return "hibernating"


@transaction.atomic
def customer_value_record(*, customer_id: int, amount: Decimal, at: datetime, count: int = 1):
    """Add a settled purchase (or, with negative ``count`` and ``amount``, a
    return) to the customer's value figures, then re-evaluate segment and level."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    customer.purchase_count = max(customer.purchase_count + count, 0)
    customer.total_spend = max(customer.total_spend + amount, Decimal(0))
    if count > 0 and (customer.last_purchase_at is None or at > customer.last_purchase_at):
        customer.last_purchase_at = at
    customer.rfm_segment = rfm_segment(
        last_purchase_at=customer.last_purchase_at,
        count=customer.purchase_count,
        spend=customer.total_spend,
    )
    member_level_evaluate(customer)
    customer.save()
    return customer
