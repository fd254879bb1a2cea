"""Field edit rules for customers (CUS-10): which roles or departments may
change a given field of a customer. The rule itself is checked by
hotline.core.permissions.fields_not_editable inside customer_update."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.models import FieldEditRule
from hotline.core.permissions import require_perm
from hotline.customers.models import Customer

# Fields that are the record's identity or kept by the system, never under a rule.
NOT_RULED = {"id", "created_at", "updated_at", "custom_fields"}


def customer_rule_fields() -> list[tuple[str, str]]:
    """(name, label) of the customer fields a rule may cover."""
    fields = [
        (field.name, str(field.verbose_name))
        for field in Customer._meta.get_fields()
        if getattr(field, "editable", False)
        and (field.concrete or field.many_to_many)
        and not field.auto_created
        and field.name not in NOT_RULED
    ]
    return fields


def _content_type():
    return ContentType.objects.get_for_model(Customer)


@transaction.atomic
def customer_field_rule_add(*, actor, field_name: str, roles=(), departments=()) -> FieldEditRule:
    require_perm(actor, "core.add_fieldeditrule")
    if field_name not in dict(customer_rule_fields()):
        raise InvalidData(
            _("Customers have no field “%(name)s”.") % {"name": field_name},
            details={"field_name": [_("Unknown field.")]},
        )
    if not roles and not departments:
        raise InvalidData(
            _("Name at least one role or department that may change the field."),
            details={"roles": [_("Required.")]},
        )
    content_type = _content_type()
    if FieldEditRule.objects.filter(content_type=content_type, field_name=field_name).exists():
        raise Conflict(
            _("There is already a rule for this field."),
            details={"field_name": [_("Already has a rule.")]},
        )
    rule = FieldEditRule.objects.create(content_type=content_type, field_name=field_name)
    rule.roles.set(roles)
    rule.departments.set(departments)
    rule.record_change(
        {
            "roles": [None, sorted(str(r) for r in roles)],
            "departments": [None, sorted(str(d) for d in departments)],
        }
    )
    return rule


@transaction.atomic
def customer_field_rule_delete(*, actor, rule: FieldEditRule) -> None:
    require_perm(actor, "core.delete_fieldeditrule")
    rule.delete()


def customer_field_rules():
    return (
        FieldEditRule.objects.filter(content_type=_content_type())
        .prefetch_related("roles", "departments")
        .order_by("field_name")
    )
