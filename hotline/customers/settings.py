"""The customers app's runtime settings (editable by an administrator)."""

from django.utils.translation import gettext_lazy as _

from hotline.core.runtime_settings import SettingSpec, positive_int, register_setting

BLACKLIST_REPORT_THRESHOLD = register_setting(
    SettingSpec(
        key="customers.blacklist_report_threshold",
        label=_("Reports that blacklist a number"),
        default=3,
        clean=positive_int,
        help_text=_("After this many agent reports a number is blacklisted."),
    )
)
