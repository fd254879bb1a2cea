from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "hotline.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # The customer 360 panel and the screen-pop history source of orders.
        from hotline.orders import registrations  # noqa: F401
