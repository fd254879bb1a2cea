"""Forms of the catalogue pages. They parse input only; rules live in the services."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.catalog.models import Bundle, Category, PriceList, Product
from hotline.customers.models import MemberLevel
from hotline.web.forms import ModelFieldsForm


class ProductForm(ModelFieldsForm):
    model = Product
    field_names = (
        "sku",
        "name",
        "category",
        "unit",
        "price",
        "cost",
        "specs",
        "description",
        "image_url",
        "active",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent")
        self.fields["specs"].widget.attrs["rows"] = 3
        if self.instance is None:
            self.initial.setdefault("active", True)


class CategoryForm(ModelFieldsForm):
    model = Category
    field_names = ("name", "parent", "position")


def parse_item_lines(text: str, *, with_price: bool = False):
    """Lines of "SKU quantity" (or "SKU price") → [(item, number)]; products
    by SKU, bundles by code. Raises ValidationError naming the bad line."""
    result = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace("×", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(_("Line %(n)d: write a SKU and a number.") % {"n": number})
        code, value = parts
        item = Product.objects.filter(sku__iexact=code).first()
        if item is None and with_price:
            item = Bundle.objects.filter(code__iexact=code).first()
        if item is None:
            raise forms.ValidationError(
                _("Line %(n)d: there is no product %(sku)s.") % {"n": number, "sku": code}
            )
        try:
            amount = Decimal(value) if with_price else int(value)
        except (InvalidOperation, ValueError):
            raise forms.ValidationError(
                _("Line %(n)d: %(value)s is not a number.") % {"n": number, "value": value}
            ) from None
        result.append((item, amount))
    return result


class BundleForm(ModelFieldsForm):
    model = Bundle
    field_names = ("code", "name", "price", "description", "active")

    items = forms.CharField(
        label=gettext_lazy("Products"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One product per line: SKU and quantity, e.g. “TEA-01 2”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.is_bound:
            self.initial["items"] = "\n".join(
                f"{line.product.sku} {line.quantity}"
                for line in self.instance.items.select_related("product")
            )
        elif self.instance is None:
            self.initial.setdefault("active", True)

    def clean_items(self):
        return parse_item_lines(self.cleaned_data["items"])

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "items": self.cleaned_data["items"]}


class PriceListForm(ModelFieldsForm):
    model = PriceList
    field_names = ("level", "name", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = MemberLevel.objects.all()
        if self.instance is not None:
            self.fields["level"].disabled = True


class PriceListItemForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("SKU or bundle code"), max_length=50)
    price = forms.DecimalField(label=gettext_lazy("Member price"), min_value=0, decimal_places=2)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        item = Product.objects.filter(sku__iexact=code).first()
        item = item or Bundle.objects.filter(code__iexact=code).first()
        if item is None:
            raise forms.ValidationError(_("There is no product or bundle %s.") % code)
        return item
