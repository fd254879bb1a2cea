from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "hotline.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self):
        # Runtime settings, and the customer 360 panel and screen-pop source of calls.
        from hotline.telephony import registrations  # noqa: F401
        from hotline.telephony import settings as telephony_settings  # noqa: F401
