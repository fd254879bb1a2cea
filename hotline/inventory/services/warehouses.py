"""Warehouses, suppliers and reorder levels (INV-2, INV-3, INV-5)."""

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.core.exceptions import Conflict, InvalidData
from hotline.core.permissions import require_perm
from hotline.inventory.models import StockLevel, Supplier, Warehouse
from hotline.inventory.services.stock import lock_level

WAREHOUSE_FIELDS = {"code", "name", "address", "active"}
SUPPLIER_FIELDS = {"name", "contact", "phone", "email", "address", "note", "active"}


def _apply(obj, fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        setattr(obj, name, value.strip() if isinstance(value, str) else value)


def _required(obj, *names) -> None:
    missing = [name for name in names if not getattr(obj, name)]
    if missing:
        raise InvalidData(
            _("Fill in the required fields."), details={n: [_("Required.")] for n in missing}
        )


@transaction.atomic
def warehouse_save(*, actor, warehouse: Warehouse | None = None, **fields) -> Warehouse:
    require_perm(actor, "inventory.change_warehouse" if warehouse else "inventory.add_warehouse")
    warehouse = warehouse or Warehouse()
    _apply(warehouse, fields, WAREHOUSE_FIELDS)
    _required(warehouse, "code", "name")
    if Warehouse.objects.filter(code=warehouse.code).exclude(pk=warehouse.pk).exists():
        raise Conflict(
            _("There is already a warehouse with the code “%(code)s”.") % {"code": warehouse.code},
            details={"code": [_("Already in use.")]},
        )
    warehouse.save()
    return warehouse


@transaction.atomic
def supplier_save(*, actor, supplier: Supplier | None = None, **fields) -> Supplier:
    require_perm(actor, "inventory.change_supplier" if supplier else "inventory.add_supplier")
    supplier = supplier or Supplier()
    _apply(supplier, fields, SUPPLIER_FIELDS)
    _required(supplier, "name")
    if Supplier.objects.filter(name=supplier.name).exclude(pk=supplier.pk).exists():
        raise Conflict(
            _("There is already a supplier named “%(name)s”.") % {"name": supplier.name},
            details={"name": [_("Already in use.")]},
        )
    supplier.save()
    return supplier


@transaction.atomic
def reorder_level_set(*, actor, product, warehouse, reorder_level: int) -> StockLevel:
    """Set the low-stock threshold of a product in a warehouse (0: no alert)."""
    require_perm(actor, "inventory.change_stocklevel")
    if reorder_level is None or int(reorder_level) < 0:
        raise InvalidData(
            _("The reorder level must be 0 or more."),
            details={"reorder_level": [_("0 or more.")]},
        )
    level = lock_level(product, warehouse)
    level.reorder_level = int(reorder_level)
    level.save(update_fields=["reorder_level", "updated_at"])
    return level
