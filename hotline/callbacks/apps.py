from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "hotline.callbacks"
    label = "callbacks"
    verbose_name = _("Callbacks")

    def ready(self):
        # Runtime settings, and the customer 360 panels of callbacks and pending items.
        from hotline.callbacks import registrations, settings  # noqa: F401
