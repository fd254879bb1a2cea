"""Forms of the inventory pages. They parse input only; rules live in the services."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.catalog.models import Product
from hotline.inventory.models import StockMove, Supplier, Warehouse
from hotline.web.forms import ModelFieldsForm


class WarehouseForm(ModelFieldsForm):
    model = Warehouse
    field_names = ("code", "name", "address", "active")


class SupplierForm(ModelFieldsForm):
    model = Supplier
    field_names = ("name", "contact", "phone", "email", "address", "note", "active")


class ProductByCode(forms.CharField):
    """A product entered by its SKU."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        product = Product.objects.filter(sku__iexact=value.strip()).first()
        if product is None:
            raise forms.ValidationError(_("There is no product with the SKU %s.") % value)
        return product


def _warehouses():
    return Warehouse.objects.filter(active=True)


MOVE_KINDS = {
    "receive": [StockMove.Kind.PURCHASE_IN, StockMove.Kind.AFTER_SALES_IN],
    "issue": [StockMove.Kind.SALE_OUT, StockMove.Kind.RETURN_TO_SUPPLIER],
}


class StockMoveForm(forms.Form):
    """Receive or issue by hand (``action`` is "receive" or "issue")."""

    product = ProductByCode(label=gettext_lazy("Product SKU"))
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none()
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"))
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=100, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in MOVE_KINDS[action]]


class TransferForm(forms.Form):
    product = ProductByCode(label=gettext_lazy("Product SKU"))
    from_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("From"), queryset=Warehouse.objects.none()
    )
    to_warehouse = forms.ModelChoiceField(
        label=gettext_lazy("To"), queryset=Warehouse.objects.none()
    )
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=100, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = Warehouse.objects.all()
        self.fields["to_warehouse"].queryset = _warehouses()


class ReorderLevelForm(forms.Form):
    reorder_level = forms.IntegerField(label=gettext_lazy("Reorder level"), min_value=0)


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.none()
    )
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none()
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One product per line: SKU, quantity and unit cost, e.g. “TEA-01 100 30.50”."
        ),
    )
    expected_on = forms.DateField(
        label=gettext_lazy("Expected on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(active=True)
        self.fields["warehouse"].queryset = _warehouses()

    def clean_lines(self):
        result = []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = raw.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise forms.ValidationError(
                    _("Line %(n)d: write SKU, quantity and cost.") % {"n": number}
                )
            product = Product.objects.filter(sku__iexact=parts[0]).first()
            if product is None:
                raise forms.ValidationError(
                    _("Line %(n)d: there is no product %(sku)s.") % {"n": number, "sku": parts[0]}
                )
            try:
                quantity = int(parts[1])
                cost = Decimal(parts[2]) if len(parts) == 3 else product.cost
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(
                    _("Line %(n)d: not a number.") % {"n": number}
                ) from None
            result.append((product, quantity, cost))
        return result


class StocktakeForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none()
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


def line_numbers(data, prefix: str, line_ids) -> dict[int, int | None]:
    """``{prefix}{id}`` inputs → {line id: whole number or None}; raises ValueError on junk."""
    result = {}
    for line_id in line_ids:
        raw = (data.get(f"{prefix}{line_id}") or "").strip()
        if raw == "":
            result[line_id] = None
            continue
        result[line_id] = int(raw)
    return result
