"""Allocation rules (CB-3), kept by an administrator."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from hotline.callbacks.models import AllocationRule
from hotline.callbacks.states import AllocationMode, AttemptResult, CallbackKind
from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm

RULE_FIELDS = {
    "name",
    "position",
    "active",
    "mode",
    "kinds",
    "min_priority",
    "member_level",
    "province",
    "ad_source",
    "last_result",
    "customer_owner",
    "last_agent_first",
    "target_user",
    "target_team",
}


def _check(rule: AllocationRule) -> None:
    errors: dict[str, list[str]] = {}
    rule.name = (rule.name or "").strip()
    if not rule.name:
        errors["name"] = [_("Required.")]
    if rule.mode not in AllocationMode.values:
        errors["mode"] = [_("Choose a mode.")]
    kinds = list(dict.fromkeys(rule.kinds or []))
    if any(kind not in CallbackKind.values for kind in kinds):
        errors["kinds"] = [_("Unknown kind.")]
    rule.kinds = kinds
    if rule.last_result and rule.last_result not in AttemptResult.values:
        errors["last_result"] = [_("Choose a result.")]
    rule.province = (rule.province or "").strip()
    if rule.target_user_id and rule.target_team_id:
        errors["target_team"] = [_("Choose an agent or a team, not both.")]
    elif not (rule.target_user_id or rule.target_team_id or rule.last_agent_first):
        errors["target_user"] = [_("Choose an agent or a team.")]
    if rule.target_user_id and not rule.target_user.is_active:
        errors["target_user"] = [_("This user is not active.")]
    if errors:
        raise InvalidData(_("The rule is not complete."), details=errors)


@transaction.atomic
def allocation_rule_save(*, actor, rule: AllocationRule | None = None, **fields) -> AllocationRule:
    """Create (no ``rule``) or change an allocation rule."""
    require_perm(
        actor, "callbacks.change_allocationrule" if rule else "callbacks.add_allocationrule"
    )
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    rule = rule or AllocationRule()
    for name, value in fields.items():
        setattr(rule, name, value)
    _check(rule)
    rule.save()
    return rule


@transaction.atomic
def allocation_rule_delete(*, actor, rule: AllocationRule) -> None:
    require_perm(actor, "callbacks.delete_allocationrule")
    try:
        rule.delete()
    except ProtectedError as exc:  # pragma: no cover - nothing protects a rule today
        raise Conflict(_("“%(name)s” is still in use.") % {"name": rule}) from exc
