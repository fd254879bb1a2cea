"""Runtime settings of callbacks (CB-1, CB-4), editable at /manage/settings/."""

from django.utils.translation import gettext_lazy as _

from hotline.core.runtime_settings import SettingSpec, positive_int, register_setting

DEDUP_MINUTES = register_setting(
    SettingSpec(
        key="callbacks.dedup_minutes",
        label=_("Callback deduplication window (minutes)"),
        default=60,
        clean=positive_int,
        help_text=_(
            "Another missed call of a number within this time of its open callback is "
            "added to that callback instead of making a new one."
        ),
    )
)

RETRY_MINUTES = register_setting(
    SettingSpec(
        key="callbacks.retry_minutes",
        label=_("Callback retry delay (minutes)"),
        default=30,
        clean=positive_int,
        help_text=_("After no answer or a busy line the callback is due again this much later."),
    )
)

MAX_ATTEMPTS = register_setting(
    SettingSpec(
        key="callbacks.max_attempts",
        label=_("Callback attempts"),
        default=3,
        clean=positive_int,
        help_text=_(
            "Unanswered attempts after which a callback fails; applies to callbacks made "
            "from now on."
        ),
    )
)

DUE_MINUTES = register_setting(
    SettingSpec(
        key="callbacks.due_minutes",
        label=_("Time to call back a missed call (minutes)"),
        default=15,
        clean=positive_int,
        help_text=_("A callback made for a missed call is overdue this long after the call."),
    )
)
