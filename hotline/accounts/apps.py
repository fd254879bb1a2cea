from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hotline.accounts"
    label = "accounts"
    verbose_name = _("Accounts and permissions")

    def ready(self):
        from hotline.accounts import audit  # noqa: F401  (login audit receivers)
