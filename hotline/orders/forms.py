"""The order entry form (the lines travel as ``item``/``quantity`` pairs
beside it, see views.entry) and the small review forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.customers.models import AdSource, CustomerAddress
from hotline.inventory.models import Warehouse
from hotline.orders.models import Order
from hotline.web.forms import ModelFieldsForm


class OrderEntryForm(ModelFieldsForm):
    model = Order
    field_names = (
        "delivery_method",
        "payment_method",
        "recipient",
        "phone",
        "province",
        "city",
        "district",
        "address_detail",
        "programme",
        "ad_slot",
        "invoice",
        "invoice_title",
        "urgent",
        "shipping_fee",
        "discount",
        "note",
    )
    address = forms.ModelChoiceField(
        label=_("Customer address"),
        queryset=CustomerAddress.objects.none(),
        required=False,
        empty_label=_("— new address below —"),
    )
    ad_source = forms.ModelChoiceField(
        label=_("Media source"), queryset=AdSource.objects.filter(active=True), required=False
    )
    warehouse = forms.ModelChoiceField(
        label=_("Ships from"), queryset=Warehouse.objects.filter(active=True), required=False
    )
    # The call the order is taken in (the agent desktop passes it); the
    # service's refusal of a call is shown above the form, the field is hidden.
    error_field_map = {"call_id": "__all__"}
    call_id = forms.RegexField(regex=r"^\d{1,18}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.fields["address"].queryset = customer.addresses.all()
            default = customer.addresses.order_by("-is_default", "id").first()
            if default is not None and not self.is_bound:
                self.initial.setdefault("address", default.pk)
            if customer.source_id and not self.is_bound:
                self.initial.setdefault("ad_source", customer.source_id)
        for name in ("shipping_fee", "discount"):
            self.fields[name].required = False

    def service_kwargs(self) -> dict:
        data = super().service_kwargs()
        data["address"] = self.cleaned_data.get("address")
        data["ad_source"] = self.cleaned_data.get("ad_source")
        data["warehouse"] = self.cleaned_data.get("warehouse")
        data["call_id"] = self.cleaned_data.get("call_id") or None
        for name in ("shipping_fee", "discount"):
            data[name] = data.get(name) or 0
        address_given = any(
            data.get(name) for name in ("province", "city", "district", "address_detail")
        )
        if data["address"] is not None and address_given and not data.get("address_detail"):
            data["address_detail"] = data["address"].detail
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
